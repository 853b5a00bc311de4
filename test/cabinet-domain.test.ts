/**
 * The cabinet's domain over real storage (SQLite, and PostgreSQL with TEST_DATABASE_URL): search
 * with every filter and cursor paging, the overview's figures, delivery health and the attention
 * list, the CSV export (encodings, separator, exact amounts, formula cells), the timeline, sessions,
 * settings with their audit, both rotations, and one merchant never reaching another's rows.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import iconv from 'iconv-lite';
import { merchantFromConfig } from '../src/server/bootstrap.ts';
import { hashApiKey } from '../src/server/token.ts';
import { csvCell, exportCsv } from '../src/server/cabinet/export-csv.ts';
import { searchPayments } from '../src/server/cabinet/search.ts';
import { createCabinetSessions } from '../src/server/cabinet/session.ts';
import { rotateCabinetKey, rotateSecret, settingsView, updateSettings } from '../src/server/cabinet/settings.ts';
import { overview, DAY_MS } from '../src/server/cabinet/summary.ts';
import { timeline } from '../src/server/cabinet/timeline.ts';
import { buildLink } from '../src/server/cabinet/link-builder.ts';
import { parseLink } from '../src/server/payments/link.ts';
import { linkMd5Matches } from '../src/protocol/link.ts';
import { verifyingSecrets } from '../src/server/merchants/secret-grace.ts';
import type { Merchant, NewPayment } from '../src/server/types.ts';
import { merchant, openTestStorage, storageKinds, type TestStorage } from './helpers.ts';

const T0 = Date.UTC(2026, 10, 1, 12, 0, 0);
let seq = 0;
const newPayment = (over: Partial<NewPayment> = {}): NewPayment => ({
  id: `pay_cabinetdomain_${++seq}_${Math.random().toString(36).slice(2, 8)}`,
  merchantLogin: 'shop', payFor: `o-${seq}`, mode: 'fix', priceMinor: 10000n, ticker: 'RUR', convert: true, priceFinal: false,
  note: '', ln: 'ru', urlSuccess: '', urlFail: '', userEmail: '', userPhone: '', extraParams: {},
  way: 'CRD', wayTicker: 'RUR', amountMinor: 10200n, feeMinor: 200n, balanceMinor: 10000n, balanceTicker: 'RUR', rate: '1.0',
  status: 'awaiting_payment', idempotencyKey: null, requestHash: null, expiresAt: null, createdAt: T0, updatedAt: T0, ...over,
});

async function readAll(stream: ReadableStream<Uint8Array>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream as unknown as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(c));
  return Buffer.concat(chunks);
}

for (const kind of storageKinds()) {
  describe(`cabinet domain on ${kind}`, () => {
    let ts: TestStorage;
    let shop: Merchant;
    let other: Merchant;
    const ids: Record<string, string> = {};

    async function pay(over: Partial<NewPayment>, then?: { status: 'paid' | 'rejected' | 'failed'; at: number; reason?: string }): Promise<string> {
      const { payment } = await ts.storage.createPayment(newPayment(over));
      if (then) {
        const from = then.status === 'rejected' ? 'checking' : 'awaiting_payment';
        if (then.status === 'rejected') await ts.storage.transition(payment.id, { from: 'awaiting_payment', to: 'checking', at: then.at });
        assert.equal(await ts.storage.transition(payment.id, { from, to: then.status, at: then.at, ...(then.status === 'paid' ? { paidAt: then.at } : {}), ...(then.reason ? { reason: then.reason } : {}) }), true);
      }
      return payment.id;
    }

    before(async () => {
      ts = await openTestStorage(kind);
      await ts.storage.upsertMerchant(merchantFromConfig(merchant({ login: 'shop', apiUrl: 'https://shop.example/api', notifications: true })), T0);
      await ts.storage.upsertMerchant(merchantFromConfig(merchant({ login: 'other', apiKey: 'other-cabinet-key-0123456789' })), T0);
      shop = (await ts.storage.getMerchant('shop'))!;
      other = (await ts.storage.getMerchant('other'))!;
      // Day 0 (Nov 1): two paid in RUR, one paid in EUR; day 2: one paid; rejections and a failure.
      ids.a = await pay({ payFor: 'A-1', userEmail: 'anna@example.com', createdAt: T0 }, { status: 'paid', at: T0 + 60_000 });
      ids.b = await pay({ payFor: 'A-2', priceMinor: 25050n, amountMinor: 25551n, balanceMinor: 25050n, createdAt: T0 + 1000 }, { status: 'paid', at: T0 + 120_000 });
      ids.c = await pay({ payFor: '=HYPERLINK("http://evil")', balanceTicker: 'EUR', balanceMinor: 104n, way: 'EUR', wayTicker: 'EUR', amountMinor: 104n, note: 'Чай; "улун"\nс молоком', createdAt: T0 + 2000 }, { status: 'paid', at: T0 + 180_000 });
      ids.d = await pay({ payFor: '500', createdAt: T0 + 2 * DAY_MS }, { status: 'paid', at: T0 + 2 * DAY_MS + 1000 });
      ids.e = await pay({ payFor: 'R-1', createdAt: T0 + 3000 }, { status: 'rejected', at: T0 + 3000, reason: 'check_declined: no stock' });
      ids.f = await pay({ payFor: 'R-2', createdAt: T0 + 4000 }, { status: 'rejected', at: T0 + 4000, reason: 'check_failed: HTTP 500' });
      ids.g = await pay({ payFor: 'F-1', way: 'QRW', createdAt: T0 + 5000 }, { status: 'failed', at: T0 + 5000, reason: 'declined by the payment system' });
      ids.h = await pay({ payFor: 'W-1', createdAt: T0 + 6000 });
      // The provider reported another amount for W-1: flagged for a person.
      assert.equal(await ts.storage.flagAmountMismatch(ids.h), true);
      // The other merchant's payment has the same order number and e-mail: it must never show.
      ids.x = await pay({ merchantLogin: 'other', payFor: 'A-1', userEmail: 'anna@example.com', createdAt: T0 }, { status: 'paid', at: T0 + 60_000 });
      // A PAY for A-1 that gave up, with its last attempt.
      const nid = await ts.storage.addNotification({ paymentId: ids.a, merchantLogin: 'shop', kind: 'pay', style: 'onpay', method: 'POST', url: 'https://shop.example/api', contentType: 'application/json', body: '{"type":"pay"}', headers: {}, dueAt: T0 + 60_000 }, T0 + 60_000);
      const [claimed] = await ts.storage.claimDue(T0 + 61_000, 10, 'w', 60_000);
      assert.equal(claimed!.id, nid);
      await ts.storage.recordAttempt(nid, 'w', { startedAt: T0 + 61_000, durationMs: 12, httpStatus: 500, excerpt: 'Fatal error: Call to undefined function', verdict: 'HTTP 500', status: 'gave_up', nextAttemptAt: null, deliveredAt: null });
      await ts.storage.recordCheckExchange({ paymentId: ids.a, at: T0 + 10, durationMs: 25, method: 'POST', url: 'https://shop.example/api', contentType: 'application/json', requestBody: '{"type":"check","amount":100.0}', httpStatus: 200, answerBody: '{"status":true}', error: '', verdict: 'accepted' });
    });
    after(() => ts?.close());

    describe('search', () => {
      const find = async (q: Record<string, unknown>, m: Merchant = shop) => (await searchPayments(ts.storage, m, { limit: 100, ...q })).payments.map((p) => p.payFor);

      test('lists newest first with the latest PAY state, one query', async () => {
        const page = await searchPayments(ts.storage, shop, { limit: 100 });
        assert.deepEqual(page.payments.map((p) => p.payFor), ['W-1', 'F-1', 'R-2', 'R-1', '500', '=HYPERLINK("http://evil")', 'A-2', 'A-1']);
        assert.equal(page.payments.at(-1)!.notificationStatus, 'gave_up');
        assert.equal(page.payments[0]!.notificationStatus, null);
      });

      test('finds by order number, payment id, e-mail and amount, only the merchant\'s own', async () => {
        assert.deepEqual(await find({ q: 'A-1' }), ['A-1']);
        assert.deepEqual(await find({ q: ids.b }), ['A-2']);
        assert.deepEqual(await find({ q: ids.x }), [], 'another merchant\'s payment id finds nothing');
        assert.deepEqual(await find({ q: 'anna@example.com' }), ['A-1']);
        assert.deepEqual(await find({ q: '250.5' }), ['A-2'], 'the order price');
        assert.deepEqual(await find({ q: '255,51' }), ['A-2'], 'the amount paid, with a comma');
        assert.deepEqual(await find({ q: '500' }), ['500'], 'an order number that reads as an amount');
        assert.deepEqual(await find({ amount: '100.0' }), ['W-1', 'F-1', 'R-2', 'R-1', '500', '=HYPERLINK("http://evil")', 'A-1']);
        assert.deepEqual(await find({ email: 'anna@example.com' }, other), ['A-1']);
      });

      test('filters by status, way and creation dates', async () => {
        assert.deepEqual(await find({ status: 'rejected' }), ['R-2', 'R-1']);
        assert.deepEqual(await find({ way: 'QRW' }), ['F-1']);
        assert.deepEqual(await find({ from: T0 + DAY_MS }), ['500']);
        assert.deepEqual(await find({ to: T0 + 1000, status: 'paid' }), ['A-1']);
      });

      test('pages with a cursor, without gaps or repeats', async () => {
        const seen: string[] = [];
        let cursor: number | undefined;
        for (;;) {
          const page = await searchPayments(ts.storage, shop, { limit: 3, cursor });
          seen.push(...page.payments.map((p) => p.payFor));
          if (!page.nextCursor) break;
          cursor = Number(page.nextCursor);
        }
        assert.equal(seen.length, 8);
        assert.equal(new Set(seen).size, 8);
      });
    });

    describe('overview', () => {
      test('turnover per day and currency, statuses, conversion, delivery health, attention', async () => {
        const o = await overview(ts.storage, shop, { from: T0 - 12 * 3_600_000, to: T0 + 3 * DAY_MS - 12 * 3_600_000, offsetMinutes: 0 });
        assert.deepEqual(o.turnover.days, ['2026-11-01', '2026-11-02', '2026-11-03']);
        assert.deepEqual(o.turnover.series, [
          { ticker: 'EUR', amounts: ['1.04', '0.0', '0.0'], counts: [1, 0, 0] },
          { ticker: 'RUR', amounts: ['350.5', '0.0', '100.0'], counts: [2, 0, 1] },
        ]);
        assert.deepEqual(o.turnover.totals, [{ ticker: 'EUR', amount: '1.04', count: 1 }, { ticker: 'RUR', amount: '450.5', count: 3 }]);
        assert.equal(o.statuses.paid, 4);
        assert.equal(o.statuses.rejected, 2);
        assert.deepEqual(o.conversion, { created: 8, paid: 4, rate: '0.5000', checkDeclined: 1, checkFailed: 1, duplicates: 0, failed: 1, expired: 0, waiting: 1 });
        assert.equal(o.delivery.gaveUp, 1);
        assert.equal(o.delivery.lastError!.excerpt, 'Fatal error: Call to undefined function');
        assert.deepEqual(o.attention.map((a) => [a.kind, a.payFor]).sort(), [['amount_mismatch', 'W-1'], ['gave_up', 'A-1'], ['provider_failed', 'F-1']]);
      });

      test('days start at the viewer\'s midnight', async () => {
        // Paid at 12:01 UTC on Nov 1 is 00:01 on Nov 2 at +12:00.
        const o = await overview(ts.storage, shop, { from: Date.UTC(2026, 9, 31, 12), to: Date.UTC(2026, 10, 2, 12), offsetMinutes: 720 });
        assert.deepEqual(o.turnover.days, ['2026-11-01', '2026-11-02']);
        const rur = o.turnover.series.find((s) => s.ticker === 'RUR')!;
        assert.deepEqual(rur.amounts, ['0.0', '350.5']);
      });

      test('another merchant sees only its own figures', async () => {
        const o = await overview(ts.storage, other, { from: T0 - DAY_MS, to: T0 + DAY_MS, offsetMinutes: 0 });
        assert.deepEqual(o.turnover.totals, [{ ticker: 'RUR', amount: '100.0', count: 1 }]);
        assert.equal(o.conversion.created, 1);
        assert.equal(o.delivery.gaveUp, 0);
        assert.deepEqual(o.attention, []);
      });

      test('refuses a period over a year or backwards', async () => {
        await assert.rejects(overview(ts.storage, shop, { from: T0, to: T0 + 400 * DAY_MS, offsetMinutes: 0 }), /at most 366 days/);
        await assert.rejects(overview(ts.storage, shop, { from: T0, to: T0, offsetMinutes: 0 }), /later than from/);
      });
    });

    describe('CSV export', () => {
      test('UTF-8 with a BOM, exact amounts, quoted text and formula cells neutralised', async () => {
        const bytes = await readAll(exportCsv(ts.storage, shop, { status: 'paid' }, { encoding: 'utf-8', separator: ',' }));
        assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
        const text = bytes.subarray(3).toString('utf8');
        const lines = text.split('\r\n');
        assert.match(lines[0]!, /^number,id,created_at,paid_at,status,/);
        assert.equal(lines.length, 6, 'header, 4 rows, and the empty string after the last CRLF');
        assert.ok(text.includes(`"'=HYPERLINK(""http://evil"")"`), text);
        assert.ok(text.includes('"Чай; ""улун""\nс молоком"'));
        assert.ok(text.includes(',250.5,RUR,CRD,255.51,RUR,0.0,2.0,250.5,RUR,'), text);
        assert.ok(!text.includes('other'), 'never another merchant\'s rows');
      });

      test('windows-1251 through iconv-lite, no BOM, with ; between cells', async () => {
        const bytes = await readAll(exportCsv(ts.storage, shop, { q: '=HYPERLINK("http://evil")' }, { encoding: 'windows-1251', separator: ';' }));
        assert.notEqual(bytes[0], 0xef);
        const text = iconv.decode(bytes, 'win1251');
        assert.ok(text.includes('"Чай; ""улун""\nс молоком"'), 'a cell with the separator is quoted');
        assert.match(text.split('\r\n')[1]!, /;paid;no;;/);
        assert.ok(bytes.includes(Buffer.from([0xd7, 0xe0, 0xe9])), 'Чай in windows-1251');
      });

      test('cells starting with = + - @ tab or CR are escaped; amounts are not', () => {
        for (const v of ['=1+1', '+7 999', '-2', '@SUM(A1)', '\tx', '\rx']) assert.ok(csvCell(v, ',').startsWith(`"'`), v);
        assert.equal(csvCell('-1.5', ',', true), '-1.5');
        assert.equal(csvCell('plain', ';'), 'plain');
        assert.equal(csvCell('a;b', ';'), '"a;b"');
      });
    });

    test('the timeline holds created, the CHECK bytes, the PAY and its attempt, in order', async () => {
      const events = await timeline(ts.storage, (await ts.storage.getPayment(ids.a!))!);
      assert.deepEqual(events.map((e) => e.kind), ['created', 'check_request', 'check_answer', 'status', 'pay_written', 'pay_attempt']);
      assert.equal(events[1]!.bytes!.body, '{"type":"check","amount":100.0}');
      assert.equal(events[2]!.verdict, 'accepted');
      assert.equal(events[5]!.bytes!.body, 'Fatal error: Call to undefined function');
    });

    describe('sessions', () => {
      const facts = (cookie: string | undefined, over: Record<string, unknown> = {}) => ({
        method: 'POST', cookie, csrfToken: undefined as string | undefined, origin: 'http://gw.test' as string | undefined, secFetchSite: 'same-origin' as string | undefined, ownOrigins: ['http://gw.test'], ...over,
      });

      test('a session is found by its cookie; CSRF token and origin are checked on state changes', async () => {
        let now = T0;
        const s = createCabinetSessions({ storage: ts.storage, now: () => now, secureCookies: true });
        const { cookie, csrfToken } = await s.signIn('shop');
        assert.match(cookie, /^onpay_cabinet=[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict; Max-Age=43200; Secure$/);
        const header = cookie.split(';')[0];
        assert.equal((await s.fromRequest(facts(header, { method: 'GET', csrfToken: undefined })))!.merchantLogin, 'shop');
        assert.equal((await s.fromRequest(facts(header, { csrfToken })))!.merchantLogin, 'shop');
        await assert.rejects(s.fromRequest(facts(header)), /CSRF token/);
        await assert.rejects(s.fromRequest(facts(header, { csrfToken: `${csrfToken}x` })), /CSRF token/);
        await assert.rejects(s.fromRequest(facts(header, { csrfToken, origin: 'https://evil.example' })), /another origin/);
        await assert.rejects(s.fromRequest(facts(header, { csrfToken, secFetchSite: 'cross-site' })), /another site/);
        const second = await s.signIn('shop');
        await assert.rejects(s.fromRequest(facts(header, { csrfToken: second.csrfToken })), /CSRF token/, 'another session\'s token does not do');
        now += 13 * 3_600_000;
        assert.equal(await s.fromRequest(facts(header, { method: 'GET' })), undefined, 'expired');
      });

      test('sign-out ends the session on the server', async () => {
        const s = createCabinetSessions({ storage: ts.storage, now: () => T0, secureCookies: false });
        const r = await s.signIn('shop');
        assert.ok(!r.cookie.includes('Secure'));
        const header = r.cookie.split(';')[0];
        await s.signOut(r.tokenHash);
        assert.equal(await s.fromRequest(facts(header, { method: 'GET' })), undefined);
      });
    });

    describe('settings and rotations', () => {
      test('changes are audited with old and new values, and survive configuration seeding', async () => {
        const deps = { storage: ts.storage, now: () => T0 + 1 };
        await updateSettings(deps, shop, { apiUrl: 'https://shop.example/onpay2', apiType: 1, apiMethod: 'GET', origins: ['https://a.example'] }, 'Анна');
        await ts.storage.upsertMerchant(merchantFromConfig(merchant({ login: 'shop', name: 'Renamed', apiUrl: 'https://shop.example/api', notifications: true })), T0 + 2);
        const m = (await ts.storage.getMerchant('shop'))!;
        assert.equal(m.apiUrl, 'https://shop.example/onpay2');
        assert.equal(m.apiType, 1);
        assert.equal(m.apiMethod, 'GET');
        assert.deepEqual(m.origins, ['https://a.example']);
        assert.equal(m.name, 'Renamed', 'what the cabinet does not manage still follows the configuration');
        const view = await settingsView(deps, m);
        assert.equal(view.audit[0]!.actor, 'shop (Анна)');
        assert.deepEqual(view.audit[0]!.details.apiType, { from: 2, to: 1 });
        assert.deepEqual((await settingsView(deps, other)).audit, [], 'another merchant\'s audit is its own');
        shop = m;
      });

      test('notifications need an API URL', async () => {
        await assert.rejects(updateSettings({ storage: ts.storage, now: () => T0 }, shop, { notifications: true, apiUrl: null }), /notifications need an API URL/);
      });

      test('a rotated cabinet key replaces the old one and ends other sessions, also after a restart', async () => {
        const sessions = createCabinetSessions({ storage: ts.storage, now: () => T0, secureCookies: false });
        const keep = await sessions.signIn('shop');
        const gone = await sessions.signIn('shop');
        const oldHash = shop.apiKeyHash!;
        const { apiKey } = await rotateCabinetKey({ storage: ts.storage, now: () => T0 + 3 }, shop, { keepSession: keep.tokenHash });
        assert.match(apiKey, /^ck_[A-Za-z0-9_-]{43}$/);
        assert.equal(await ts.storage.findMerchantByApiKeyHash(oldHash), undefined);
        assert.equal((await ts.storage.findMerchantByApiKeyHash(hashApiKey(apiKey)))!.login, 'shop');
        assert.ok(await ts.storage.getCabinetSession(keep.tokenHash, T0));
        assert.equal(await ts.storage.getCabinetSession(gone.tokenHash, T0), undefined);
        await ts.storage.upsertMerchant(merchantFromConfig(merchant({ login: 'shop' })), T0 + 4);
        assert.equal(await ts.storage.findMerchantByApiKeyHash(oldHash), undefined, 'the configuration\'s old key does not come back');
      });

      test('an operator\'s explicit change (merchant-admin) wins over the cabinet\'s', async () => {
        await ts.storage.upsertMerchant(merchantFromConfig(merchant({ login: 'other', apiUrl: 'https://ops.example/api' })), T0 + 5, { operator: true });
        await updateSettings({ storage: ts.storage, now: () => T0 + 6 }, (await ts.storage.getMerchant('other'))!, { apiUrl: 'https://cab.example/api' });
        await ts.storage.upsertMerchant(merchantFromConfig(merchant({ login: 'other', apiUrl: 'https://ops.example/api2' })), T0 + 7);
        assert.equal((await ts.storage.getMerchant('other'))!.apiUrl, 'https://cab.example/api', 'seeding keeps the cabinet\'s');
        await ts.storage.upsertMerchant(merchantFromConfig(merchant({ login: 'other', apiUrl: 'https://ops.example/api3' })), T0 + 8, { operator: true });
        assert.equal((await ts.storage.getMerchant('other'))!.apiUrl, 'https://ops.example/api3');
        other = (await ts.storage.getMerchant('other'))!;
      });

      test('a rotated K signs at once; the previous one verifies during its grace period only', async () => {
        const { secret, previousSecretUntil } = await rotateSecret({ storage: ts.storage, now: () => T0 }, shop, { graceHours: 24 });
        const m = (await ts.storage.getMerchant('shop'))!;
        assert.equal(m.secret, secret);
        assert.equal(previousSecretUntil, new Date(T0 + 24 * 3_600_000).toISOString());
        assert.deepEqual(verifyingSecrets(m, T0 + 1000), [secret, 'test']);
        assert.deepEqual(verifyingSecrets(m, T0 + 25 * 3_600_000), [secret]);
        await assert.rejects(rotateSecret({ storage: ts.storage, now: () => T0 }, m, { graceHours: 9999 }), /graceHours/);
        const view = await settingsView({ storage: ts.storage, now: () => T0 }, m);
        assert.equal(view.previousSecretUntil, previousSecretUntil);
        assert.ok(!JSON.stringify(view).includes(secret), 'the settings never show K');
        shop = m;
      });
    });

    test('the link builder signs on the server what the gateway accepts', () => {
      const built = buildLink({ publicUrl: 'https://pay.example/' }, { ...shop, secret: 'test' }, { price: '100', payFor: '123', note: 'Чай "<b>"', urlSuccess: 'https://shop.example/ok' });
      assert.equal(built.md5, '1206be51154e8521f9a17344ab6fca4d', 'PROTOCOL.md §2 test vector');
      assert.ok(built.url.startsWith('https://pay.example/pay/shop?pay_mode=fix&price=100.0&ticker=RUR&pay_for=123&convert=yes&md5=1206be51154e8521f9a17344ab6fca4d'));
      assert.ok(linkMd5Matches(parseLink(new URL(built.url).searchParams), 'test'));
      assert.ok(built.snippet.includes('note="Чай &quot;&lt;b&gt;&quot;"'), built.snippet);
      assert.ok(built.snippet.startsWith('<script type="module" src="https://pay.example/cdn/onpay-checkout.js"></script>'));
      assert.ok(built.snippetUrl.startsWith('https://pay.example/pay/shop/snippet?pay_mode=fix&price=100.0'));
      assert.throws(() => buildLink({ publicUrl: 'https://pay.example' }, shop, { price: 'abc', payFor: '1' }), /price/);
    });
  });
}
