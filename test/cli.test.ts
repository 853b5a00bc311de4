/**
 * The operator's commands, run as real processes: the gateway starts from a configuration file
 * and refuses a bad one naming the key; merchants are added and updated without editing files.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { runMerchantAdmin } from '../src/cli/merchant-admin.ts';

const dir = mkdtempSync(join(tmpdir(), 'onpay-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[], env: Record<string, string> = {}, until?: RegExp): Promise<{ code: number | null; stdout: string; stderr: string; kill?: () => void }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let resolved = false;
    child.stdout.on('data', (d) => {
      stdout += d;
      if (until && !resolved && until.test(stdout)) {
        resolved = true;
        resolve({ code: null, stdout, stderr, kill: () => child.kill('SIGTERM') });
      }
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => {
      if (!resolved) resolve({ code, stdout, stderr });
    });
  });
}

describe('gateway command', () => {
  test('starts from a configuration file, serves the payment link, and stops on SIGTERM', async () => {
    const config = join(dir, 'gw.json');
    writeFileSync(config, JSON.stringify({
      port: 0, database: `sqlite:${join(dir, 'gw.sqlite')}`, secret: 's'.repeat(32),
      merchants: [{ login: 'acme', name: 'ACME', secret: 'acme-secret' }],
    }));
    const r = await run(['src/cli/gateway.ts', '--config', config], {}, /gateway on (http:\/\/[\d.]+:\d+)/);
    try {
      const url = /gateway on (http:\/\/[\d.]+:\d+)/.exec(r.stdout)![1]!;
      const res = await fetch(`${url}/pay/acme?price=10&pay_for=1`, { headers: { accept: 'application/json' } });
      assert.equal(res.status, 200);
      assert.equal(((await res.json()) as any).merchant.name, 'ACME');
      assert.match(r.stdout, /hosted payment page: .*\/pay\/acme\?/);
      assert.ok(!r.stdout.includes('acme-secret') && !r.stderr.includes('acme-secret'), 'no secret printed');
    } finally {
      r.kill!();
    }
  });

  test('a bad configuration stops the start with a message naming the key', async () => {
    const cases: [unknown, RegExp][] = [
      [{ merchants: [{ login: 'A B', name: 'x', secret: 'xxxx' }] }, /merchants\.0\.login/],
      [{ port: 'eighty' }, /port/],
      [{ secret: 'short' }, /secret: at least 32/],
      [{ rates: { USD: '-1' } }, /rates\.USD/],
      [{ ways: [{ code: 'XYZ', system: 'card', ticker: 'GBP', title: { ru: 'a', en: 'b' } }] }, /ways\.0\.ticker: no rate for GBP/],
      [{ merchants: [{ login: 'ok', name: 'x', secret: 'xxxx', notifications: true }] }, /merchants\.0\.apiUrl/],
      [{ unknownKey: 1 }, /unrecognized|unknownKey/i],
    ];
    for (const [body, message] of cases) {
      const file = join(dir, `bad-${Math.random()}.json`);
      writeFileSync(file, JSON.stringify({ database: `sqlite:${join(dir, 'bad.sqlite')}`, secret: 's'.repeat(32), ...(body as object) }));
      const r = await run(['src/cli/gateway.ts', '--config', file]);
      assert.equal(r.code, 2, `${JSON.stringify(body)} → exit 2 (${r.stderr})`);
      assert.match(r.stderr, message);
    }
    const notJson = join(dir, 'broken.json');
    writeFileSync(notJson, '{ nope');
    const r = await run(['src/cli/gateway.ts'], { ONPAY_CONFIG: notJson });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /not valid JSON/);
  });
});

describe('merchant command', () => {
  const env = { DATABASE_URL: `sqlite:${join(dir, 'm.sqlite')}`, ONPAY_SECRET: 'x'.repeat(32) };
  const lines: string[] = [];
  const out = (s: string) => lines.push(s);

  test('adds, updates, shows and lists merchants, never printing secrets', async () => {
    assert.equal(await runMerchantAdmin(['set', '--login', 'shop', '--name', 'Shop', '--secret', 'k-secret-1', '--api-url', 'https://shop.example/api', '--notifications', 'on', '--api-type', '1', '--origins', 'https://shop.example', '--api-key', 'cabinet-key-0123456789abcdef'], env, out), 0);
    assert.equal(await runMerchantAdmin(['set', '--login', 'shop', '--name', 'Shop renamed'], env, out), 0);
    assert.deepEqual(lines.splice(0), ['added merchant shop', 'updated merchant shop']);
    await runMerchantAdmin(['show', '--login', 'shop'], env, out);
    const shown = JSON.parse(lines.splice(0).join('\n')) as Record<string, unknown>;
    assert.equal(shown.name, 'Shop renamed');
    assert.equal(shown.apiType, 1, 'kept from the first call');
    assert.equal(shown.notifications, true);
    assert.deepEqual(shown.origins, ['https://shop.example']);
    assert.equal(shown.cabinetKey, 'set');
    await runMerchantAdmin(['list'], env, out);
    const all = lines.splice(0).join('\n');
    assert.ok(!all.includes('k-secret-1') && !all.includes('cabinet-key'), 'no secrets in the output');
  });

  test('bad input is refused naming the option, and changes nothing', async () => {
    await assert.rejects(runMerchantAdmin(['set', '--login', 'shop', '--api-url', 'not a url'], env, out), /api-url/);
    await assert.rejects(runMerchantAdmin(['set', '--login', 'new', '--name', 'n'], env, out), /secret/);
    await assert.rejects(runMerchantAdmin(['set', '--login', 'shop', '--notifications', 'maybe'], env, out), /notifications: must be on or off/);
    await runMerchantAdmin(['show', '--login', 'shop'], env, out);
    const shown = JSON.parse(lines.splice(0).join('\n')) as Record<string, unknown>;
    assert.equal(shown.apiUrl, 'https://shop.example/api');
    await assert.rejects(runMerchantAdmin(['show', '--login', 'new'], env, out), /no such merchant/);
  });

  test('sets mode, fees and return URLs, keeps them on later changes, and clears them with default', async () => {
    assert.equal(await runMerchantAdmin(['set', '--login', 'modal', '--name', 'M', '--secret', 'modal-secret', '--mode', 'live', '--fees', 'merchant', '--return-urls', 'https://m.example/onpay/, https://n.example'], env, out), 0);
    assert.equal(await runMerchantAdmin(['set', '--login', 'modal', '--name', 'M2'], env, out), 0);
    lines.splice(0);
    await runMerchantAdmin(['show', '--login', 'modal'], env, out);
    let shown = JSON.parse(lines.splice(0).join('\n')) as Record<string, unknown>;
    assert.equal(shown.mode, 'live');
    assert.equal(shown.fees, 'merchant');
    assert.deepEqual(shown.returnUrls, ['https://m.example/onpay/', 'https://n.example']);
    assert.equal(await runMerchantAdmin(['set', '--login', 'modal', '--mode', 'default', '--fees', 'default', '--return-urls', ''], env, out), 0);
    lines.splice(0);
    await runMerchantAdmin(['show', '--login', 'modal'], env, out);
    shown = JSON.parse(lines.splice(0).join('\n')) as Record<string, unknown>;
    assert.equal(shown.mode, 'default');
    assert.equal(shown.fees, 'default');
    assert.deepEqual(shown.returnUrls, []);
    await assert.rejects(runMerchantAdmin(['set', '--login', 'modal', '--mode', 'prod'], env, out), /mode/);
    await assert.rejects(runMerchantAdmin(['set', '--login', 'modal', '--fees', 'shop'], env, out), /fees/);
    await assert.rejects(runMerchantAdmin(['set', '--login', 'modal', '--return-urls', 'ftp://x.example'], env, out), /return-urls/);
  });

  test('runs as a real command', async () => {
    const r = await run(['src/cli/merchant-admin.ts', 'set', '--login', 'cmd', '--name', 'Cmd', '--secret', 'cmd-secret'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /added merchant cmd/);
    const bad = await run(['src/cli/merchant-admin.ts', 'set', '--login', 'cmd', '--api-type', '3'], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /api-type/);
  });
});
