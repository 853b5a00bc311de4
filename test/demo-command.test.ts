/**
 * `npm start` with no configuration file, run as the real command: beside the gateway and the demo
 * shop it starts the T-Bank, YooKassa and CloudPayments emulators, the shop offers their ways next to
 * the sandbox ones, a T-Bank card payment goes through the emulator's card page and PAY marks the
 * order paid, and SIGTERM closes the emulators too.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';

const dir = mkdtempSync(join(tmpdir(), 'onpay-demo-cmd-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const refused = async (url: string) => fetch(url).then(() => false, () => true);

test('npm start offers the emulated providers\' ways and pays a T-Bank card through the emulator', { timeout: 60_000 }, async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/gateway.ts'], {
    env: { ...process.env, PORT: '0', DATABASE_URL: `sqlite:${join(dir, 'gw.sqlite')}`, SHOP_DATABASE: join(dir, 'shop.sqlite'), ONPAY_CONFIG: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  try {
    await until('the start-up message', async () => /demo shop on /.test(stdout), 30_000).catch((e) => {
      throw new Error(`${(e as Error).message}\n${stdout}\n${stderr}`);
    });
    const shop = /demo shop on (http:\/\/\S+)/.exec(stdout)![1]!;
    const emulators = Object.fromEntries(['T-Bank', 'YooKassa', 'CloudPayments'].map((name) => {
      const m = new RegExp(`${name} emulator: +(http://127\\.0\\.0\\.1:\\d+)`).exec(stdout);
      assert.ok(m, `${name} emulator printed:\n${stdout}`);
      return [name, m[1]!];
    }));
    assert.doesNotMatch(stdout + stderr, /in the provider's dashboard/, 'no dashboard hint for the emulators: they are told the URL');

    // An order in the shop; its payment link (signed by the shop) gives the form with every way.
    const cart = await fetch(`${shop}/cart`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'tea=1' });
    const orderUrl = new URL(cart.headers.get('location')!, shop).href;
    const orderId = /\/orders\/(\d+)/.exec(orderUrl)![1]!;
    const orderPage = await (await fetch(orderUrl)).text();
    const link = /id="pay-link" href="([^"]+)"/.exec(orderPage)![1]!.replaceAll('&amp;', '&');
    const form = (await (await fetch(link, { headers: { accept: 'application/json' } })).json()) as { token: string; ways: { code: string; title: string; kind: string }[] };
    const offered = Object.fromEntries(form.ways.map((w) => [w.code, w.title]));
    assert.equal(offered.CRD, 'Банковская карта (тест)', 'the sandbox ways stay');
    assert.equal(offered.TBC, 'Банковская карта (T-Bank)');
    assert.equal(offered.SBP, 'СБП');
    assert.equal(offered.YKC, 'Банковская карта (ЮKassa)');
    assert.equal(offered.CPC, 'Банковская карта (CloudPayments)');
    assert.equal(offered.CPS, 'СБП (CloudPayments)', 'SBP by CloudPayments\' QR link');
    assert.equal(form.ways.find((w) => w.code === 'CPS')!.kind, 'instructions');
    const csp = (await fetch(orderUrl)).headers.get('content-security-policy')!;
    assert.ok(csp.includes(emulators.CloudPayments!), `the shop's CSP frames the CloudPayments page: ${csp}`);

    // The buyer pays by T-Bank card: the gateway creates it at the emulator, which shows its card page.
    const gateway = new URL(link).origin;
    // Every page's origin answers the icon browsers ask for (no 404): the gateway, the shop, each emulator.
    for (const origin of [gateway, shop, ...Object.values(emulators)]) {
      const icon = await fetch(`${new URL(origin).origin}/favicon.ico`);
      assert.equal(icon.status, 200, `${origin}/favicon.ico`);
      assert.equal(icon.headers.get('content-type'), 'image/x-icon');
      assert.deepEqual([...new Uint8Array(await icon.arrayBuffer()).slice(0, 4)], [0, 0, 1, 0], 'an ICO file');
    }
    const created = await fetch(`${gateway}/api/v1/payments`, {
      method: 'POST', headers: { 'content-type': 'application/json', 'idempotency-key': 'demo-cmd-1' },
      body: JSON.stringify({ token: form.token, way: 'TBC' }),
    });
    const payment = (await created.json()) as { id: string; action: { type: string; url: string; frame?: boolean } };
    assert.equal(created.status, 201, JSON.stringify(payment));
    assert.equal(payment.action.type, 'redirect');
    assert.ok(payment.action.url.startsWith(emulators['T-Bank']!), payment.action.url);
    const cardPage = await (await fetch(payment.action.url)).text();
    const action = /<form method="post" action="([^"]+\/pay)"/.exec(cardPage)![1]!;
    const paid = await fetch(new URL(action, payment.action.url), {
      method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ pan: '2200770239097761', exp: '12/30', cvv: '123' }).toString(),
    });
    assert.equal(paid.status, 303);
    assert.match(paid.headers.get('location')!, new RegExp(`/providers/tbank/return/${payment.id}\\?result=success`));
    await until('the order paid by PAY', async () => ((await (await fetch(`${shop}/orders/${orderId}/status`)).json()) as { status: string }).status === 'paid');
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 0, stderr);
  const urls = [...stdout.matchAll(/emulator: +(http:\/\/\S+)/g)].map((m) => m[1]!);
  assert.equal(urls.length, 3);
  for (const url of urls) assert.ok(await refused(url), `${url} closed on shutdown`);
});
