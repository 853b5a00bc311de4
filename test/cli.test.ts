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

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
  /** What the process has written to stderr so far (it keeps running after `until`). */
  stderrNow: () => string;
  kill?: () => void;
}

function run(args: string[], env: Record<string, string> = {}, until?: RegExp, input?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', ...args], { env: { ...process.env, ...env }, stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    if (input !== undefined) child.stdin!.end(input);
    let stdout = '';
    let stderr = '';
    let resolved = false;
    const stderrNow = () => stderr;
    child.stdout!.on('data', (d) => {
      stdout += d;
      if (until && !resolved && until.test(stdout)) {
        resolved = true;
        resolve({ code: null, stdout, stderr, stderrNow, kill: () => child.kill('SIGTERM') });
      }
    });
    child.stderr!.on('data', (d) => (stderr += d));
    child.on('close', (code) => {
      if (!resolved) resolve({ code, stdout, stderr, stderrNow });
    });
  });
}

describe('gateway command', () => {
  test('starts from a configuration file, serves the payment link, and stops on SIGTERM', async () => {
    const config = join(dir, 'gw.json');
    writeFileSync(config, JSON.stringify({
      port: 0, database: `sqlite:${join(dir, 'gw.sqlite')}`, secret: 's'.repeat(32),
      merchants: [{ login: 'acme', name: 'ACME', secret: 'acme-secret', checkLinkMd5: false }],
    }));
    const r = await run(['src/cli/gateway.ts', '--config', config], {}, /gateway on (http:\/\/[\d.]+:\d+)/);
    try {
      const url = /gateway on (http:\/\/[\d.]+:\d+)/.exec(r.stdout)![1]!;
      const res = await fetch(`${url}/pay/acme?price=10&pay_for=1`, { headers: { accept: 'application/json' } });
      assert.equal(res.status, 200);
      assert.equal(((await res.json()) as any).merchant.name, 'ACME');
      // No ready-signed link for an operator's merchant (only for the built-in demo one), and a
      // warning for a merchant that neither signs links nor answers CHECK.
      assert.ok(!r.stdout.includes('hosted payment page'), r.stdout);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.match(r.stderrNow(), /warning: merchant acme: payment links are not signed/);
      assert.ok(!r.stdout.includes('acme-secret') && !r.stderrNow().includes('acme-secret'), 'no secret printed');
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
    assert.equal(await runMerchantAdmin(['set', '--login', 'shop', '--name', 'Shop', '--secret', 'k-secret-1-0123456789', '--api-url', 'https://shop.example/api', '--notifications', 'on', '--api-type', '1', '--origins', 'https://shop.example', '--api-key', 'cabinet-key-0123456789abcdef'], env, out), 0);
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
    assert.ok(!all.includes('k-secret-1-0123456789') && !all.includes('cabinet-key'), 'no secrets in the output');
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
    assert.equal(await runMerchantAdmin(['set', '--login', 'modal', '--name', 'M', '--secret', 'modal-secret-0123456789', '--mode', 'live', '--fees', 'merchant', '--return-urls', 'https://m.example/onpay/, https://n.example'], env, out, { warn: () => {} }), 0);
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

  test('--duplicates flag|refund sets what a duplicate payment of a paid order gets; default clears it; a bad value is named', async () => {
    assert.equal(await runMerchantAdmin(['set', '--login', 'dups', '--name', 'D', '--secret', 'dups-secret-of-16-chars', '--duplicates', 'refund'], env, out, { warn: () => {} }), 0);
    assert.equal(await runMerchantAdmin(['set', '--login', 'dups', '--name', 'D2'], env, out, { warn: () => {} }), 0);
    lines.splice(0);
    await runMerchantAdmin(['show', '--login', 'dups'], env, out);
    assert.equal((JSON.parse(lines.splice(0).join('\n')) as Record<string, unknown>).duplicates, 'refund', 'kept on a later change');
    assert.equal(await runMerchantAdmin(['set', '--login', 'dups', '--duplicates', 'default'], env, out, { warn: () => {} }), 0);
    lines.splice(0);
    await runMerchantAdmin(['show', '--login', 'dups'], env, out);
    assert.equal((JSON.parse(lines.splice(0).join('\n')) as Record<string, unknown>).duplicates, 'default');
    await assert.rejects(runMerchantAdmin(['set', '--login', 'dups', '--duplicates', 'keep'], env, out), /duplicates/);
  });

  test('--capture manual and --hold-expiry capture (issue 25) are set, kept by a later change, cleared by default; a bad value is named', async () => {
    assert.equal(await runMerchantAdmin(['set', '--login', 'holds', '--name', 'H', '--secret', 'holds-secret-of-16-chars', '--capture', 'manual', '--hold-expiry', 'capture'], env, out, { warn: () => {} }), 0);
    assert.equal(await runMerchantAdmin(['set', '--login', 'holds', '--name', 'H2'], env, out, { warn: () => {} }), 0);
    lines.splice(0);
    await runMerchantAdmin(['show', '--login', 'holds'], env, out);
    const shown = JSON.parse(lines.splice(0).join('\n')) as Record<string, unknown>;
    assert.equal(shown.capture, 'manual', 'kept on a later change');
    assert.equal(shown.holdExpiry, 'capture');
    assert.equal(await runMerchantAdmin(['set', '--login', 'holds', '--capture', 'default', '--hold-expiry', 'default'], env, out, { warn: () => {} }), 0);
    lines.splice(0);
    await runMerchantAdmin(['show', '--login', 'holds'], env, out);
    assert.equal((JSON.parse(lines.splice(0).join('\n')) as Record<string, unknown>).capture, 'default');
    await assert.rejects(runMerchantAdmin(['set', '--login', 'holds', '--capture', 'later'], env, out), /capture/);
    await assert.rejects(runMerchantAdmin(['set', '--login', 'holds', '--hold-expiry', 'keep'], env, out), /hold-expiry/);
  });

  test('secrets from a file, standard input or the environment; on the command line they still work but warn', async () => {
    const warnings: string[] = [];
    const io = (stdin = '') => ({ warn: (s: string) => warnings.push(s), readStdin: async () => stdin });
    const secretFile = join(dir, 'k.txt');
    const keyFile = join(dir, 'key.txt');
    writeFileSync(secretFile, 'file-secret-1-0123456789\n');
    writeFileSync(keyFile, 'file-cabinet-key-0123456789\n');
    const storedSecret = async (login: string) => {
      const { openDatabase } = await import('../src/server/storage/db.ts');
      const { createStorage } = await import('../src/server/storage/storage.ts');
      const db = await openDatabase(env.DATABASE_URL);
      try {
        return await createStorage(db.db, db.dialect).getMerchant(login);
      } finally {
        await db.close();
      }
    };
    const { hashApiKey } = await import('../src/server/token.ts');
    assert.equal(await runMerchantAdmin(['set', '--login', 'sfile', '--name', 'F', '--secret-file', secretFile, '--api-key-file', keyFile], env, out, io()), 0);
    let m = await storedSecret('sfile');
    assert.equal(m?.secret, 'file-secret-1-0123456789', 'the trailing newline is dropped');
    assert.equal(m?.apiKeyHash, hashApiKey('file-cabinet-key-0123456789'));
    assert.equal(await runMerchantAdmin(['set', '--login', 'sfile', '--secret', '-'], env, out, io('stdin-secret-2-0123456789\n')), 0);
    assert.equal((await storedSecret('sfile'))?.secret, 'stdin-secret-2-0123456789');
    assert.equal(await runMerchantAdmin(['set', '--login', 'sfile', '--api-key', '-'], env, out, io('stdin-cabinet-key-0123456789')), 0);
    assert.equal((await storedSecret('sfile'))?.apiKeyHash, hashApiKey('stdin-cabinet-key-0123456789'));
    assert.equal(await runMerchantAdmin(['set', '--login', 'senv', '--name', 'E'], { ...env, ONPAY_MERCHANT_SECRET: 'env-secret-3-0123456789', ONPAY_MERCHANT_API_KEY: 'env-cabinet-key-0123456789' }, out, io()), 0);
    m = await storedSecret('senv');
    assert.equal(m?.secret, 'env-secret-3-0123456789');
    assert.equal(m?.apiKeyHash, hashApiKey('env-cabinet-key-0123456789'));
    assert.deepEqual(warnings, [], 'no warning for files, standard input or the environment');
    assert.equal(await runMerchantAdmin(['set', '--login', 'sarg', '--name', 'A', '--secret', 'argv-secret-0123456789', '--api-key', 'argv-cabinet-key-0123456789'], env, out, io()), 0);
    assert.equal(warnings.length, 2);
    assert.match(warnings[0]!, /--secret on the command line is visible in ps/);
    assert.match(warnings[1]!, /--api-key on the command line is visible in ps/);
    assert.ok(!warnings.join('').includes('argv-secret-0123456789'), 'the warning does not repeat the secret');
    await assert.rejects(runMerchantAdmin(['set', '--login', 'sarg', '--secret', 'a', '--secret-file', secretFile], env, out, io()), /either --secret or --secret-file/);
    await assert.rejects(runMerchantAdmin(['set', '--login', 'sarg', '--secret', '-', '--api-key', '-'], env, out, io()), /standard input/);
    await assert.rejects(runMerchantAdmin(['set', '--login', 'sarg', '--secret-file', join(dir, 'missing')], env, out, io()), /secret-file: cannot read/);
    lines.splice(0);
  });

  test('a new merchant checks link md5 unless told not to, and one that neither signs nor checks is warned about', async () => {
    const warnings: string[] = [];
    const io = { warn: (s: string) => warnings.push(s), readStdin: async () => '' };
    assert.equal(await runMerchantAdmin(['set', '--login', 'md5new', '--name', 'N', '--secret-file', join(dir, 'k.txt')], env, out, io), 0);
    await runMerchantAdmin(['show', '--login', 'md5new'], env, out, io);
    assert.equal((JSON.parse(lines.splice(0).slice(1).join('\n')) as { checkLinkMd5: boolean }).checkLinkMd5, true);
    assert.deepEqual(warnings, []);
    assert.equal(await runMerchantAdmin(['set', '--login', 'md5new', '--check-link-md5', 'off'], env, out, io), 0);
    assert.match(warnings.join('\n'), /md5new: payment links are not signed/);
    lines.splice(0);
  });

  test('reads the secret from standard input as a real command', async () => {
    const r = await run(['src/cli/merchant-admin.ts', 'set', '--login', 'piped', '--name', 'Piped', '--secret', '-'], env, undefined, 'piped-secret-0123456789\n');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /added merchant piped/);
    assert.equal(r.stderr, '');
  });

  test('runs as a real command', async () => {
    const r = await run(['src/cli/merchant-admin.ts', 'set', '--login', 'cmd', '--name', 'Cmd', '--secret', 'cmd-secret-0123456789'], env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /added merchant cmd/);
    const bad = await run(['src/cli/merchant-admin.ts', 'set', '--login', 'cmd', '--api-type', '3'], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /api-type/);
  });
});
