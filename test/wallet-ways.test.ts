/**
 * Wallet ways in the gateway (issue 27): a T-Pay way is offered only where T-Bank's status call says
 * the terminal takes T-Pay; SberPay (no status call) where the way is configured. A T-Pay payment's
 * instructions carry the app's name and link, and a reload resumes them. Real gateway, real T-Bank
 * emulator, loopback.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { RunningGateway } from '../src/server/bootstrap.ts';
import { DEFAULT_TERMINAL, startTbankEmulator, type TbankEmulator } from '../src/server/providers/tbank/emulator.ts';
import { plainShop, startGatewayOn, type GatewayOnEmulator } from './provider-fixtures.ts';

const NO_TPAY = { terminalKey: 'NoTpayTerminal', password: 'no-tpay-password' };
let g: GatewayOnEmulator<TbankEmulator>;
let emu: TbankEmulator;
let gw: RunningGateway;

before(async () => {
  const tb = await startTbankEmulator({ terminals: [DEFAULT_TERMINAL, NO_TPAY] });
  tb.wallets.setTpayStatus(NO_TPAY.terminalKey, { allowed: false });
  const title = { ru: 'T-Pay', en: 'T-Pay' };
  g = await startGatewayOn(tb, {
    providers: [
      { id: 'tb', type: 'tbank', ...DEFAULT_TERMINAL, apiUrl: tb.apiUrl },
      { id: 'tb2', type: 'tbank', ...NO_TPAY, apiUrl: tb.apiUrl },
    ],
    ways: [
      { code: 'TBC', provider: 'tb', method: 'card', ticker: 'RUR', title: { ru: 'Карта', en: 'Card' } },
      { code: 'TPY', provider: 'tb', method: 'tpay', ticker: 'RUR', title },
      { code: 'TPX', provider: 'tb2', method: 'tpay', ticker: 'RUR', title },
      { code: 'SBR', provider: 'tb2', method: 'sberpay', ticker: 'RUR', title: { ru: 'SberPay', en: 'SberPay' } },
    ],
    merchants: [plainShop()],
  });
  ({ emu, gw } = g);
});
after(() => g?.close());

type Form = { token: string; ways: { code: string; kind: string }[]; pending?: { id: string; action: { wallet?: { name: string } } } };
const form = async (query: string): Promise<{ status: number; body: Form & { error?: { field?: string; message: string } } }> => {
  const r = await fetch(`${gw.url}/pay/shop?price=150&${query}`, { headers: { accept: 'application/json' } });
  return { status: r.status, body: await r.json() as Form & { error?: { field?: string; message: string } } };
};

test('T-Pay is offered where the terminal takes it, withheld where T-Bank says it does not; SberPay by configuration', async () => {
  const f = await form('pay_for=w-1');
  assert.equal(f.status, 200);
  assert.deepEqual(f.body.ways.map((w) => `${w.code}:${w.kind}`), ['TBC:redirect', 'TPY:instructions', 'SBR:instructions']);
});

test('one_way naming a withheld way is refused naming one_way, and changes nothing', async () => {
  const f = await form('pay_for=w-2&one_way=TPX');
  assert.equal(f.status, 400);
  assert.equal(f.body.error?.field, 'one_way');
  assert.match(f.body.error!.message, /TPX is not available at its provider now/);
  assert.equal(emu.paymentsOfOrder('w-2').length, 0);
});

test('a T-Pay payment: instructions named T-Pay with T-Bank\'s app link; a reload resumes them', async () => {
  const f = await form('pay_for=w-3');
  const res = await fetch(`${gw.url}/api/v1/payments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: f.body.token, way: 'TPY' }) });
  assert.equal(res.status, 201, await res.clone().text());
  const p = (await res.json()) as { id: string; action: { type: string; wallet: { name: string }; qr: { deepLink: string; payload: string; size: number; modules: string } } };
  assert.equal(p.action.type, 'instructions');
  assert.deepEqual(p.action.wallet, { name: 'T-Pay' });
  const session = emu.paymentsOfOrder(p.id)[0]!;
  assert.equal(p.action.qr.deepLink, `${emu.url}/tpay/${session.paymentId}`);
  assert.equal(p.action.qr.modules.length, p.action.qr.size ** 2, 'drawn for the element');
  const again = await form('pay_for=w-3');
  assert.equal(again.body.pending?.id, p.id);
  assert.deepEqual(again.body.pending?.action.wallet, { name: 'T-Pay' });
});
