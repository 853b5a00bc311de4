/**
 * The payment link's hot-path check (`linkFieldsFast` in src/protocol/link.ts) against the zod
 * schema it stands in for: on any input, the fast check answers exactly when the schema accepts,
 * with the very same fields. Inputs mix valid values, near misses (a character too many, a control
 * character, a wrong case, a stray space) and arbitrary text, so both sides of every rule are hit.
 * The fields being the same, `parseLink` answers the same whichever check it took.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { linkFieldsBySchema, linkFieldsFast } from '../src/protocol/link.ts';

const NUM_RUNS = 5000;

/**
 * A value for a field: mostly one of its valid forms, now and then (`absent` in 50) none, so that
 * defaults are taken, and rarely (3 in 50) a near miss: one of `misses`, a valid value with a space
 * or a control character added, upper-cased, cut short, or any text at all.
 */
const field = (valid: fc.Arbitrary<string>[], misses: fc.Arbitrary<string>[] = [], absent = 5) => {
  const v = fc.oneof(...valid);
  return fc.oneof(
    { weight: absent, arbitrary: fc.constant(undefined) },
    { weight: 47 - absent, arbitrary: v },
    {
      weight: 3,
      arbitrary: fc.oneof(
        ...misses,
        v.map((x) => `${x} `),
        v.map((x) => `${x}\u0001`),
        v.map((x) => x.toUpperCase()),
        v.map((x) => x.slice(1)),
        fc.string({ maxLength: 6 }),
        fc.string({ unit: 'grapheme', maxLength: 300 }),
      ),
    },
  );
};

const letters = (min: number, max: number, set = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ') => fc.string({ unit: fc.constantFrom(...set), minLength: min, maxLength: max });
const upTo = (max: number) => fc.string({ maxLength: max });
const over = (max: number) => fc.string({ minLength: max + 1, maxLength: max + 2 });

const input = fc.record({
  pay_mode: field([fc.constantFrom('fix', 'free')]),
  price: field([fc.constantFrom('100', '100.0', '1500.00', '0.01', '0', '1,5', '1e3'), upTo(32)], [over(32)]),
  ticker: field([fc.constantFrom('RUR', 'rub', 'USD', 'EUR'), letters(3, 3)], [letters(2, 2), letters(4, 4)], 1),
  pay_for: field([fc.constantFrom('order-42', '1'), upTo(100).filter((x) => x !== '')], [over(100), fc.constant('')], 1),
  convert: field([fc.constantFrom('yes', 'no')]),
  md5: field([letters(32, 32, '0123456789abcdefABCDEF')], [letters(31, 31, '0123456789abcdef'), letters(33, 33, '0123456789abcdef')], 40),
  note: field([upTo(255)], [over(255)]),
  ln: field([fc.constantFrom('ru', 'en', 'de', 'kk', 'en-US', 'zh_Hant_TW'), letters(2, 3)], [fc.constantFrom('x', 'toolongtag-x', 'en-')]),
  url_success: field([fc.constantFrom('', 'https://shop.example/ok', 'HTTP://x'), fc.webUrl().filter((u) => u.length <= 255)], [fc.constantFrom('http://a b', 'ftp://x'), over(255).map((x) => `https://${x}`)]),
  url_fail: field([fc.constantFrom('', 'https://shop.example/fail'), fc.webUrl().filter((u) => u.length <= 255)]),
  user_email: field([fc.constantFrom('', 'a@b.ru'), fc.emailAddress().filter((e) => e.length <= 40)], [fc.constantFrom('a@b', 'a b@c.ru')]),
  user_phone: field([fc.constantFrom('', '+7 (900) 123-45-67'), letters(0, 40, '0123456789+()- ')], [fc.constantFrom('8900x'), letters(41, 41, '0123456789')]),
  price_final: field([fc.constantFrom('', 'true', 'YES', '1', 'false', 'No', '0')], [fc.constantFrom('maybe', 'constructor', '__proto__', 'toString')], 20),
  one_way: field([fc.constantFrom('CRD', 'sbp'), letters(3, 3)], [fc.constantFrom('CR')], 30),
  f: field([fc.constantFrom('', '7', '123')], [fc.constantFrom('1234', 'a')], 30),
  // The signed extension parameters (PROTOCOL.md §5): texts only here, decoded after either check.
  receipt: field([fc.constantFrom('eyJhIjoxfQ', 'eyJhIjoxfQ==', 'eyJ0YXhhdGlvbiI6Im9zbiJ9'), letters(1, 60, 'abcXYZ019-_')], [fc.constantFrom('ab+/', 'a b', 'eyJ===', '=')], 35),
  customer: field([fc.constantFrom('c-42', 'клиент 7'), fc.string({ minLength: 1, maxLength: 64 })], [over(64), fc.constant('\u0007')], 35),
  save_method: field([fc.constantFrom('optional', 'required')], [fc.constantFrom('always')], 35),
  capture: field([fc.constantFrom('auto', 'manual')], [fc.constantFrom('later', 'Manual')], 35),
  ext_md5: field([letters(32, 32, '0123456789abcdefABCDEF')], [letters(31, 31, '0123456789abcdef')], 35),
  // Names the schema does not know are ignored by both.
  currency: field([fc.constantFrom('RUR')], [], 40),
  extra: field([fc.string()], [], 40),
});

/** What the record looks like to parseLink: only the names given. */
const defined = (r: Record<string, string | undefined>) => Object.fromEntries(Object.entries(r).filter(([, v]) => v !== undefined)) as Record<string, string>;

test('the fast check answers exactly when the schema accepts, with the same fields', () => {
  let accepted = 0;
  fc.assert(fc.property(input, (r) => {
    const i = defined(r);
    const fast = linkFieldsFast(i);
    const schema = linkFieldsBySchema(i);
    if (schema.ok) {
      accepted++;
      assert.deepEqual(fast, schema.fields);
    } else {
      assert.equal(fast, undefined, `fast check accepted what the schema refuses (${schema.field}: ${schema.message})`);
    }
  }), { numRuns: NUM_RUNS });
  // The generator reaches both sides.
  assert.ok(accepted > NUM_RUNS * 0.2 && accepted < NUM_RUNS * 0.8, `${accepted} of ${NUM_RUNS} inputs were valid`);
});

test('a typical link takes the fast path', () => {
  const i = { pay_mode: 'fix', price: '1500.00', ticker: 'RUR', pay_for: 'order-1', note: 'bench', ln: 'en', url_success: 'https://shop.example/ok' };
  assert.notEqual(linkFieldsFast(i), undefined);
  assert.deepEqual(linkFieldsFast(i), (linkFieldsBySchema(i) as { fields: unknown }).fields);
});
