/**
 * Saved cards and merchant-initiated charges through CloudPayments' emulator over loopback (issue
 * 26): the order's AccountId only with the consent, the card's Token kept from Pay, charges by
 * `payments/tokens/charge` (TrInitiatorCode 0) under X-Request-ID (paid once per Idempotency-Key;
 * insufficient funds; 3-D Secure through the gateway's page to the issuer and post3ds); no revoke
 * call (the gateway forgets it).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RunningGateway } from '../src/server/bootstrap.ts';
import type { CloudPaymentsEmulator } from '../src/server/providers/cloudpayments/emulator.ts';
import { signPaymentLink } from '../src/merchant/link.ts';
import { providerCustomerKey } from '../src/server/payments/saved-methods.ts';
import { createFirstPayment, merchantApi, savedMethod, SAVING_SHOP_SECRET, savingShop, startCloudPaymentsGateway, untilPaid, type GatewayOnEmulator } from './provider-fixtures.ts';
import { storageKinds } from './helpers.ts';

for (const kind of storageKinds()) {
  describe(`saved cards through CloudPayments on ${kind}`, () => {
    let g: GatewayOnEmulator<CloudPaymentsEmulator>;
    let emu: CloudPaymentsEmulator;
    let gw: RunningGateway;

    before(async () => {
      g = await startCloudPaymentsGateway({
        kind,
        emulator: { publicId: 'pk_saved', apiSecret: 'saved_api_secret', schedule: (fn, ms) => { setTimeout(fn, Math.min(ms, 50)).unref(); } },
        ways: [{ code: 'CPC', provider: 'cp', method: 'card', ticker: 'RUR', title: { ru: 'Карта (CloudPayments)', en: 'Card (CloudPayments)' } }],
        merchants: [savingShop()],
      });
      ({ emu, gw } = g);
    });
    after(() => g?.close());

    const { api, charge } = merchantApi(() => gw);

    /** Pays a first order on the hosted page (with the consent or without); the gateway's payment id. */
    async function payFirst(customer: string, saveMethod: boolean): Promise<string> {
      const { id } = await createFirstPayment(gw, customer, 'CPC', saveMethod);
      const p = (await gw.storage.getPayment(id))!;
      assert.equal(emu.orders.get(p.providerPaymentId!)?.accountId ?? '', saveMethod ? providerCustomerKey('shop', customer) : '', 'AccountId only with the consent');
      assert.equal((await emu.pay(p.providerPaymentId!, '4242424242424242')).outcome, 'paid');
      await untilPaid(gw, id);
      return id;
    }

    test('CloudPayments: the card is kept only with the consent, listed with its mask and expiry', async () => {
      await payFirst('cp-0', false);
      assert.deepEqual(await (await api('/api/v1/customers/cp-0/methods')).json(), { methods: [] });
      await payFirst('cp-1', true);
      await savedMethod(gw, 'cp-1');
      const body = (await (await api('/api/v1/customers/cp-1/methods')).json()) as { methods: { card: { first6: string; last4: string; expiry: string | null } }[] };
      assert.equal(body.methods.length, 1);
      assert.deepEqual([body.methods[0]!.card.first6, body.methods[0]!.card.last4], ['424242', '4242']);
      assert.match(body.methods[0]!.card.expiry ?? '', /^\d{2}\/\d{2}$/);
      assert.ok(!JSON.stringify(body).includes('tk_'), 'no token in the answer');
    });

    test('CloudPayments charges: paid once per Idempotency-Key; insufficient funds; 3-D Secure waits for the buyer with the gateway\'s link', async () => {
      await payFirst('cp-2', true);
      const m = await savedMethod(gw, 'cp-2');
      const body = { customer: 'cp-2', method: m.id, amount: '120.00', ticker: 'RUR', payFor: 'cp-sub-1' };
      const first = (await (await charge(body, 'cp-k-1')).json()) as Record<string, any>;
      assert.equal(first.status, 'paid', JSON.stringify(first));
      const again = await charge(body, 'cp-k-1');
      assert.equal(again.status, 200);
      assert.equal(((await again.json()) as { id: string }).id, first.id);
      assert.equal(emu.transactions.filter((t) => t.invoiceId === first.id).length, 1, 'one token charge');
      assert.equal(emu.transactions.find((t) => t.invoiceId === first.id)?.trInitiatorCode, '0', 'the merchant initiated it');
      emu.cards.get(m.token)!.outcome = 'insufficient_funds';
      const poor = (await (await charge({ ...body, amount: '10.00' }, 'cp-k-2')).json()) as Record<string, any>;
      assert.deepEqual([poor.status, poor.reason], ['failed', 'insufficient_funds']);
      emu.cards.get(m.token)!.outcome = '3ds';
      const ds = (await (await charge({ ...body, amount: '11.00' }, 'cp-k-3')).json()) as Record<string, any>;
      assert.deepEqual([ds.status, ds.action?.type, ds.action?.frame], ['awaiting_payment', 'redirect', false], JSON.stringify(ds));
      assert.ok(ds.action.url.startsWith(`${gw.config.publicUrl}/providers/cp/3ds/${ds.id}?`), 'the gateway\'s own page sends the buyer to the issuer');
    });

    /** The hidden fields of the form posting to `action` in `html`. */
    function formFields(html: string, action: string): Record<string, string> {
      const esc = (x: string) => x.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
      const form = new RegExp(`<form method="post" action="${esc(action)}"[^>]*>([\\s\\S]*?)</form>`).exec(html);
      assert.ok(form, `a form posting to ${action} in ${html.slice(0, 2000)}`);
      const unescape = (x: string) => x.replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
      return Object.fromEntries([...form[1]!.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)].map((x) => [x[1]!, unescape(x[2]!)]));
    }

    test('CloudPayments 3-D Secure on a charge: the gateway\'s page posts to the issuer, the issuer\'s answer finishes it by post3ds, paid once; a refusal fails it', async () => {
      await payFirst('cp-4', true);
      const m = await savedMethod(gw, 'cp-4');
      emu.cards.get(m!.token)!.outcome = '3ds';
      const ask = async (payFor: string, key: string) => (await (await charge({ customer: 'cp-4', method: m!.id, amount: '33.00', ticker: 'RUR', payFor }, key)).json()) as Record<string, any>;
      const ds = await ask('cp-4-a', 'cp-k-4a');
      assert.equal(ds.status, 'awaiting_payment');

      // A link altered by anyone is refused naming it, and shows nothing of the issuer.
      const forged = new URL(ds.action.url);
      forged.searchParams.set('d', Buffer.from(JSON.stringify(['https://evil.example/acs', 'x', '1'])).toString('base64url'));
      const refused = await fetch(forged, { redirect: 'manual' });
      assert.equal(refused.status, 403);
      assert.doesNotMatch(await refused.text(), /evil\.example/);

      const page = await fetch(ds.action.url, { redirect: 'manual' });
      assert.equal(page.status, 200);
      assert.match(page.headers.get('content-security-policy') ?? '', /form-action \*/);
      const html = await page.text();
      const toIssuer = formFields(html, `${emu.url}/acs`);
      const tx = emu.transactions.find((t) => t.invoiceId === ds.id)!;
      assert.deepEqual(Object.keys(toIssuer).sort(), ['MD', 'PaReq', 'TermUrl']);
      assert.deepEqual([toIssuer.MD, toIssuer.TermUrl], [String(tx.transactionId), `${gw.config.publicUrl}/providers/cp/3ds/${ds.id}/term`]);
      assert.match(html, /<script src="\/assets\/autosubmit\.js"><\/script>/);

      // The issuer's page (the emulator's ACS) and its answer, as the buyer's browser carries them.
      const acs = await (await fetch(`${emu.url}/acs`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(toIssuer).toString() })).text();
      const [confirm] = [...acs.matchAll(/<form method="post" action="([^"]+)">([\s\S]*?)<\/form>/g)].map((f) => formFields(f[0], toIssuer.TermUrl!));
      const term = (fields: Record<string, string>) => fetch(toIssuer.TermUrl!, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(fields).toString() });

      // Bad answers are a 400 naming the field, and change nothing.
      for (const [fields, field] of [[{ PaRes: confirm!.PaRes! }, 'MD'], [{ MD: '999999', PaRes: confirm!.PaRes! }, 'MD'], [{ MD: confirm!.MD! }, 'PaRes']] as const) {
        const r = await term(fields);
        assert.equal(r.status, 400);
        assert.match(await r.text(), new RegExp(field));
        assert.equal((await gw.storage.getPayment(ds.id))!.status, 'awaiting_payment');
      }
      // Not a form: 415 naming content-type, nothing changed.
      const json = await fetch(toIssuer.TermUrl!, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/json' }, body: JSON.stringify(confirm) });
      assert.equal(json.status, 415);
      assert.match(await json.text(), /content-type/);
      assert.equal((await gw.storage.getPayment(ds.id))!.status, 'awaiting_payment');
      const done = await term(confirm!);
      assert.equal(done.status, 303);
      assert.equal(done.headers.get('location'), `/providers/cp/return/${ds.id}`);
      assert.equal((await gw.storage.getPayment(ds.id))!.status, 'paid');
      assert.equal(tx.status, 'Completed');
      assert.equal((await term(confirm!)).status, 303, 'a second post changes nothing');
      assert.equal((await fetch(ds.action.url, { redirect: 'manual' })).status, 303, 'the link of a finished charge shows its outcome');
      const again = await ask('cp-4-a', 'cp-k-4a');
      assert.deepEqual([again.id, again.status], [ds.id, 'paid']);
      assert.equal(emu.transactions.filter((t) => t.invoiceId === ds.id).length, 1, 'charged once');

      // The buyer refuses at the issuer: failed, 3ds_failed.
      const no = await ask('cp-4-b', 'cp-k-4b');
      const f = formFields(await (await fetch(no.action.url)).text(), `${emu.url}/acs`);
      const acs2 = await (await fetch(`${emu.url}/acs`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(f).toString() })).text();
      const refuse = [...acs2.matchAll(/<form method="post" action="[^"]+">[\s\S]*?<\/form>/g)].map((x) => formFields(x[0], f.TermUrl!))[1]!;
      assert.equal((await term(refuse)).status, 303, 'posted to the paid charge\'s TermUrl: nothing changes');
      assert.equal((await gw.storage.getPayment(ds.id))!.status, 'paid');
      const r = await fetch(f.TermUrl!, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(refuse).toString() });
      assert.equal(r.status, 303);
      const failed = (await gw.storage.getPayment(no.id))!;
      assert.deepEqual([failed.status, failed.failureReason], ['failed', '3ds_failed']);
    });

    test('CloudPayments: a returning buyer pays with the saved card on the page (TrInitiatorCode 1), paid at once', async () => {
      await payFirst('cp-3', true);
      const m = await savedMethod(gw, 'cp-3');
      const q = new URLSearchParams(signPaymentLink({ gateway: gw.url, merchantLogin: 'shop', secret: SAVING_SHOP_SECRET, price: '90', payFor: 'cp-3-again', customer: 'cp-3' }).query);
      const form = (await (await fetch(`${gw.url}/pay/shop?${q}`, { headers: { accept: 'application/json' } })).json()) as { token: string; savedMethods?: { id: string }[] };
      assert.deepEqual(form.savedMethods?.map((s) => s.id), [m.id]);
      const res = await fetch(`${gw.url}/api/v1/payments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: form.token, way: 'CPC', savedMethod: m.id }) });
      const paid = (await res.json()) as Record<string, any>;
      assert.equal(res.status, 201, JSON.stringify(paid));
      assert.deepEqual([paid.status, paid.action], ['paid', null]);
      const tx = emu.transactions.filter((t) => t.invoiceId === paid.id);
      assert.equal(tx.length, 1);
      assert.equal(tx[0]!.trInitiatorCode, '1', 'the cardholder initiated it');
    });
  });
}
