/**
 * The gateway's own dispatcher is woken by a payment becoming paid: the PAY goes out at once, not at
 * the next poll (here the poll interval is 30 s).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { startGateway } from '../src/server/bootstrap.ts';
import { parseConfig } from '../src/server/config.ts';
import { api2AnswerSignature } from '../src/protocol/onpay-api.ts';
import { startMerchantStub } from './helpers.ts';

test('a paid payment\'s PAY is sent at once, not at the next poll', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'onpay-wake-'));
  const pays: number[] = [];
  const stub = await startMerchantStub((req, res) => {
    const body = JSON.parse(req.body) as { type: 'check' | 'pay'; pay_for: string };
    if (body.type === 'pay') pays.push(Date.now());
    res.end(JSON.stringify({ status: true, pay_for: body.pay_for, signature: api2AnswerSignature(body.type, true, body.pay_for, 'k-wake') }));
  });
  const running = await startGateway(parseConfig({
    port: 0, database: `sqlite:${join(dir, 'gw.sqlite')}`, secret: 'w'.repeat(32), allowPrivateMerchantUrls: true,
    dispatcher: { pollMs: 30_000 },
    merchants: [{ login: 'shop', name: 'Shop', secret: 'k-wake', notifications: true, apiUrl: stub.url, apiType: 2, checkLinkMd5: false }],
  }), { log: () => {} });
  try {
    // Let the dispatcher's first look at the empty outbox pass: it now sleeps for the poll interval.
    await new Promise((r) => setTimeout(r, 300));
    const form = (await (await fetch(`${running.url}/pay/shop?price=10&pay_for=w1`, { headers: { accept: 'application/json' } })).json()) as { token: string };
    const created = (await (await fetch(`${running.url}/api/v1/payments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: form.token, way: 'RUR' }) })).json()) as { id: string };
    const paidAt = Date.now();
    await fetch(`${running.url}/api/v1/sandbox/payments/${created.id}/pay`, { method: 'POST' });
    const until = Date.now() + 5000;
    while (pays.length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
    assert.equal(pays.length, 1, 'PAY delivered');
    assert.ok(pays[0]! - paidAt < 2000, `within 2 s of the payment (took ${pays[0]! - paidAt} ms)`);
  } finally {
    await running.close();
    await stub.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
