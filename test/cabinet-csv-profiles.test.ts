/**
 * The CSV export's two profiles through the gateway's handler (SQLite, and PostgreSQL with
 * TEST_DATABASE_URL), read back by a CSV parser (csv-parse) in both encodings: the machine's
 * (`,`, a decimal point, UTF-8 with a BOM, ISO 8601 times in UTC) and Russian Excel's
 * (`payments.csv?profile=excel`: `;`, a decimal comma, windows-1251, the merchant's local time).
 * Characters windows-1251 lacks are transliterated, never written as `?`; the `refunded` and
 * `receipt` columns are there.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { parse } from 'csv-parse/sync';
import iconv from 'iconv-lite';
import { excelTime, toWindows1251Text } from '../src/server/cabinet/export-csv.ts';
import { merchant, startTestGateway, storageKinds, type TestGateway } from './helpers.ts';

const KEY = 'csv-cabinet-key-0123456789';
const bearer = { authorization: `Bearer ${KEY}` };
const COLUMNS = ['number', 'id', 'created_at', 'paid_at', 'status', 'manual', 'status_reason', 'pay_for', 'order_amount', 'order_currency', 'way', 'amount', 'currency', 'refunded', 'fee', 'balance_amount', 'balance_currency', 'user_email', 'user_phone', 'note', 'notification', 'receipt'];
/** Words windows-1251 cannot hold: the multiplication sign, the rouble sign, Kazakh letters, an emoji. */
const NOTE = 'Коробка 2×3, 1 224 ₽, Қазақ әліпбиі 😀';

for (const kind of storageKinds()) {
  describe(`cabinet CSV profiles (${kind})`, () => {
    let t: TestGateway;
    let paidId = '';

    before(async () => {
      t = await startTestGateway({ kind, merchants: [merchant({ login: 'shop', apiKey: KEY })] });
      for (const payFor of ['csv-1', 'csv-2']) {
        const form = await t.request(`/pay/shop?price=1200.5&pay_for=${payFor}&note=${encodeURIComponent(NOTE)}`, { headers: { accept: 'application/json' } });
        const { token } = (await form.json()) as { token: string };
        const res = await t.request('/api/v1/payments', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, way: 'CRD' }) });
        assert.equal(res.status, 201, await res.clone().text());
        if (payFor === 'csv-1') paidId = ((await res.json()) as { id: string }).id;
      }
      assert.equal((await t.request(`/api/v1/sandbox/payments/${paidId}/pay`, { method: 'POST' })).status, 200);
      const refund = await t.request(`/api/v1/cabinet/payments/${paidId}/refunds`, {
        method: 'POST', headers: { ...bearer, 'content-type': 'application/json', 'idempotency-key': 'csv-refund-1' }, body: JSON.stringify({ amount: '100.25', reason: 'брак' }),
      });
      assert.equal(refund.status, 201, await refund.clone().text());
    });
    after(async () => {
      await t?.close();
    });

    async function rows(query: string, encoding: 'utf-8' | 'windows-1251', delimiter: string): Promise<{ res: Response; records: Record<string, string>[]; text: string }> {
      const res = await t.request(`/api/v1/cabinet/payments.csv${query}`, { headers: bearer });
      assert.equal(res.status, 200, await res.clone().text());
      const bytes = Buffer.from(await res.arrayBuffer());
      const text = encoding === 'utf-8' ? bytes.toString('utf8') : iconv.decode(bytes, 'win1251');
      const records = parse(text, { bom: true, columns: true, delimiter, record_delimiter: '\r\n', relax_quotes: false }) as Record<string, string>[];
      return { res, records, text };
    }

    test('the machine profile (default): commas, decimal points, UTF-8 with a BOM, ISO times in UTC, every character kept', async () => {
      const { res, records, text } = await rows('', 'utf-8', ',');
      assert.equal(res.headers.get('content-type'), 'text/csv; charset=utf-8');
      assert.ok(text.startsWith('\uFEFF'));
      assert.deepEqual(Object.keys(records[0]!), COLUMNS);
      const paid = records.find((r) => r.id === paidId)!;
      assert.equal(paid.status, 'partially_refunded');
      assert.equal(paid.order_amount, '1200.5');
      assert.equal(paid.refunded, '100.25');
      assert.match(paid.created_at!, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      assert.equal(paid.note, NOTE);
      assert.equal(paid.pay_for, 'csv-1');
    });

    test('the Excel profile: semicolons, decimal commas, windows-1251, local time; nothing becomes "?"', async () => {
      const { res, records, text } = await rows('?profile=excel&timeZone=Asia%2FAlmaty', 'windows-1251', ';');
      assert.equal(res.headers.get('content-type'), 'text/csv; charset=windows-1251');
      assert.ok(!text.startsWith('\uFEFF'), 'no BOM in windows-1251');
      assert.deepEqual(Object.keys(records[0]!), COLUMNS);
      const paid = records.find((r) => r.id === paidId)!;
      assert.equal(paid.order_amount, '1200,5');
      assert.equal(paid.refunded, '100,25');
      assert.equal(paid.amount?.includes('.'), false);
      // Russian Excel reads `dd.mm.yyyy hh:mm:ss` as a date; the merchant's zone, not UTC.
      const stored = (await t.storage.getPayment(paidId))!;
      assert.equal(paid.created_at, excelTime(stored.createdAt, 'Asia/Almaty'));
      assert.match(paid.created_at!, /^\d\d\.\d\d\.\d{4} \d\d:\d\d:\d\d$/);
      assert.notEqual(paid.created_at, excelTime(stored.createdAt, 'UTC'));
      // Cyrillic stays; what windows-1251 lacks is transliterated.
      assert.equal(paid.note, 'Коробка 2x3, 1 224 руб., Казак аліпбиі :grinning:');
      assert.ok(!text.includes('?'), 'no character turned into "?"');
    });

    test('the Excel profile defaults to Moscow time; encoding or separator given explicitly still win', async () => {
      const stored = (await t.storage.getPayment(paidId))!;
      const moscow = await rows('?profile=excel', 'windows-1251', ';');
      assert.equal(moscow.records.find((r) => r.id === paidId)!.created_at, excelTime(stored.createdAt, 'Europe/Moscow'));
      const utf8 = await rows('?profile=excel&encoding=utf-8', 'utf-8', ';');
      assert.equal(utf8.res.headers.get('content-type'), 'text/csv; charset=utf-8');
      assert.equal(utf8.records.find((r) => r.id === paidId)!.note, NOTE);
    });

    test('bad profile options are refused naming the field', async () => {
      for (const [query, field] of [['?profile=lotus', 'profile'], ['?profile=excel&timeZone=Mars%2FOlympus', 'timeZone'], ['?timeZone=Europe%2FMoscow', 'timeZone']] as const) {
        const res = await t.request(`/api/v1/cabinet/payments.csv${query}`, { headers: bearer });
        assert.equal(res.status, 400, query);
        assert.equal(((await res.json()) as { error: { field: string } }).error.field, field, query);
      }
    });
  });
}

test('toWindows1251Text keeps what windows-1251 holds and transliterates the rest', () => {
  assert.equal(toWindows1251Text('Ёлка № 5 — «тест» €'), 'Ёлка № 5 — «тест» €');
  assert.equal(toWindows1251Text('2×3 ₽ Ғалым oʻzbek'), '2x3 руб. Галым o\'zbek');
  assert.equal(toWindows1251Text('Café naïve'), 'Cafe naive');
  for (const s of ['😀', '中文', 'ǅ', '\u{1F1F7}\u{1F1FA}']) {
    const out = toWindows1251Text(s);
    assert.equal(iconv.decode(iconv.encode(out, 'win1251'), 'win1251'), out, `${s} → ${out} survives windows-1251`);
    assert.ok(!out.includes('?'), `${s} → ${out}`);
  }
});

test('excelTime writes the day, month, year and a 24-hour time in the zone', () => {
  const ms = Date.UTC(2026, 11, 8, 21, 5, 9);
  assert.equal(excelTime(ms, 'UTC'), '08.12.2026 21:05:09');
  assert.equal(excelTime(ms, 'Europe/Moscow'), '09.12.2026 00:05:09');
});
