/**
 * The cabinet in the owner's language, end to end (issue 28): the real gateway on a throwaway SQLite
 * file and Debian's Chromium. In Russian every view is read for English left over (only the
 * protocol's own names and the merchant's data may be Latin); money and dates by the locale; way
 * names, status chips and a partial refund's reason in words; the link builder's copy (a visible
 * and announced "copied") and QR code, offering every language. The language switch changes the
 * page and is remembered; English is axe-clean in light and dark; German and Uzbek show no
 * Cyrillic but the merchant's own data. Writes docs/screenshots/cabinet-overview-{ru,en}.png.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startGateway, type RunningGateway } from '../../src/server/bootstrap.ts';
import { DEFAULT_WAYS, parseConfig } from '../../src/server/config.ts';
import { CABINET_MESSAGES } from '../../src/server/pages/cabinet-strings/index.ts';
import { signPaymentLink } from '../../src/merchant/index.ts';
import { merchant } from '../helpers.ts';
import { latinLeftovers } from '../latin-leftovers.ts';
import { assertAxeClean, launchChromium } from './harness.ts';

const KEY = 'e2e-languages-key-0123456789abcdef';
const NAME = 'Чайная лавка';
const SECRET = 'e2e-languages-merchant-k-0123456789';
const screenshot = (ln: string) => new URL(`../../docs/screenshots/cabinet-overview-${ln}.png`, import.meta.url);
/**
 * Latin a Russian page may show besides the protocol's names: currency codes, the merchant's login,
 * a provider's own state (REJECTED), and other languages' own names in the form-language list.
 */
const DATA_WORDS = new Set(['RUR', 'EUR', 'shop', 'REJECTED', 'English', 'Deutsch']);

/** The text a person reads in the visible sections (the language switch names other languages in their own words). */
async function visibleText(page: Page): Promise<string> {
  return page.evaluate(() => [...document.querySelectorAll('h1, #nav, #account, main > section:not([hidden]), #message, #error')]
    .map((e) => (e as HTMLElement).innerText).join('\n'));
}

/** English left over in a Russian view: Latin words, less ids, URLs, e-mails and other data. */
function leftovers(text: string): string[] {
  const prose = text.replaceAll('Oʻzbekcha', ' ').replace(/https?:\/\/\S+/g, ' ').replace(/\bpay_[\w-]+/g, ' ').replace(/\S+@\S+/g, ' ').replace(/[\w-]*\d[\w-]*/g, ' ').replace(/\b[a-z]+\/[a-z0-9.+-]+/g, ' ');
  return latinLeftovers(prose).filter((w) => !DATA_WORDS.has(w));
}

describe('the cabinet in the owner\'s language, in Chromium', () => {
  let dir: string;
  let gw: RunningGateway;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const errors: string[] = [];
  const notFound: string[] = [];
  const ids: string[] = [];

  async function createPayment(payFor: string, price: string): Promise<string> {
    // A careful merchant (signed links, a long K): no warnings above the overview in the screenshot.
    const link = signPaymentLink({ gateway: gw.url, merchantLogin: 'shop', secret: SECRET, price, payFor });
    const form = await fetch(link.url, { headers: { accept: 'application/json' } });
    assert.equal(form.status, 200, await form.clone().text());
    const { token } = (await form.json()) as { token: string };
    const res = await fetch(`${gw.url}/api/v1/payments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, way: 'CRD' }) });
    assert.equal(res.status, 201, await res.clone().text());
    return ((await res.json()) as { id: string }).id;
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'onpay-cabinet-ln-e2e-'));
    gw = await startGateway(parseConfig({
      port: 0, host: '127.0.0.1', database: `sqlite:${join(dir, 'gateway.sqlite')}`, secret: 'e2e-languages-gateway-secret-0123456789',
      allowPrivateMerchantUrls: true, merchants: [merchant({ login: 'shop', name: NAME, apiKey: KEY, origins: [], secret: SECRET, checkLinkMd5: true })],
    }), { log: () => {}, dispatcher: false });
    // A month of trade in two currencies, written straight to storage with past times.
    const now = Date.now();
    let n = 0;
    for (let day = 29; day >= 1; day--) {
      for (let i = 0; i < 2 + (day * 7) % 5; i++) {
        const at = now - day * 86_400_000 + i * 600_000;
        const eur = i % 3 === 2;
        const price = BigInt(50_000 + ((day * 37 + i * 101) % 90) * 1000);
        const { payment } = await gw.storage.createPayment({
          id: `pay_history_${String(++n).padStart(4, '0')}_abcdefgh`, merchantLogin: 'shop', payFor: `h-${n}`, mode: 'fix', priceMinor: price, ticker: eur ? 'EUR' : 'RUR',
          convert: true, priceFinal: false, note: '', ln: 'ru', urlSuccess: '', urlFail: '', userEmail: '', userPhone: '', extraParams: {},
          way: 'CRD', wayTicker: 'RUR', amountMinor: price, feeMinor: 0n, balanceMinor: eur ? price / 100n : price, balanceTicker: eur ? 'EUR' : 'RUR', rate: '1.0',
          status: 'awaiting_payment', idempotencyKey: null, requestHash: null, expiresAt: null, createdAt: at, updatedAt: at,
        });
        const to = (day + i) % 9 === 0 ? 'failed' : 'paid';
        await gw.storage.transition(payment.id, { from: 'awaiting_payment', to, at: at + 60_000, ...(to === 'paid' ? { paidAt: at + 60_000 } : { reason: 'declined by the payment system (REJECTED)' }) });
      }
    }
    ids.push(await createPayment('order-1', '1224.5'), await createPayment('order-2', '100.0'), await createPayment('order-3', '50.0'));
    assert.equal((await fetch(`${gw.url}/api/v1/sandbox/payments/${ids[0]}/pay`, { method: 'POST' })).status, 200);
    const refund = await fetch(`${gw.url}/api/v1/cabinet/payments/${ids[0]}/refunds`, {
      method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', 'idempotency-key': 'ln-refund-1' }, body: JSON.stringify({ amount: '24.5', reason: 'Не хватило одной пачки' }),
    });
    assert.equal(refund.status, 201, await refund.clone().text());
    await gw.storage.transition(ids[2]!, { from: 'awaiting_payment', to: 'failed', at: Date.now(), reason: 'declined by the payment system (REJECTED)' });
    browser = await launchChromium();
    context = await browser.newContext({ locale: 'ru-RU', timezoneId: 'Europe/Moscow', viewport: { width: 1000, height: 760 } });
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: gw.url });
    page = await context.newPage();
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    page.on('response', (r) => {
      if (r.status() === 404) notFound.push(r.url());
    });
  });

  after(async () => {
    await context?.close();
    await browser?.close();
    await gw?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('Russian: the overview in Russian money and dates, no English left over; the screenshot', async () => {
    await page.goto(`${gw.url}/cabinet`);
    await page.getByLabel('API-ключ кабинета').fill(KEY);
    await page.getByRole('button', { name: 'Войти' }).click();
    await page.getByRole('status').filter({ hasText: `Вы вошли как ${NAME}` }).waitFor();
    await page.locator('#chart canvas').first().waitFor();
    assert.match(await page.locator('#totals').innerText(), /\d,\d\d\s₽ \(\d+\)/);
    // The table's days and the chart's axis in Russian order (dd.mm.yyyy), not US month/day.
    assert.match((await page.locator('#turnover-body th').first().textContent()) ?? '', /^\d\d\.\d\d\.\d{4}$/);
    assert.deepEqual(leftovers(await visibleText(page)), []);
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    mkdirSync(new URL('.', screenshot('ru')), { recursive: true });
    await page.screenshot({ path: screenshot('ru').pathname, clip: { x: 0, y: 0, width: 1000, height: 760 } });
  });

  test('Russian: the list shows way names, chips, and a search by way name', async () => {
    await page.getByRole('link', { name: 'Платежи' }).click();
    await page.locator('#payments-body tr').first().waitFor();
    const first = await page.locator('#payments-body tr').nth(0).innerText();
    assert.match(first, /order-3\s+51,00\s₽\s+Банковская карта \(тест\)\s+Не оплачен/);
    assert.match(await page.locator('#payments-body tr').nth(2).innerText(), /order-1\s+1\s248,99\s₽ \(−24,50\s₽\)\s+Банковская карта \(тест\)\s+Частично возвращён/);
    const options = await page.getByLabel('Способ оплаты').locator('option').allInnerTexts();
    assert.ok(options.includes('Банковская карта (тест)') && !options.includes('CRD'), options.join(', '));
    await page.getByLabel('Способ оплаты').selectOption({ label: 'Банковский перевод (тест)' });
    await page.getByRole('button', { name: 'Показать', exact: true }).click();
    await page.getByText('Платежей не найдено.').waitFor();
    await page.getByLabel('Способ оплаты').selectOption({ label: 'Любой' });
    await page.getByRole('button', { name: 'Показать', exact: true }).click();
    await page.locator('#payments-body tr').first().waitFor();
    assert.deepEqual(leftovers(await visibleText(page)), []);
  });

  test('Russian: a payment reads properly: a partial refund\'s reason, a declined one, the provider\'s id', async () => {
    await page.goto(`${gw.url}/cabinet#payment=${ids[0]}`);
    await page.getByRole('heading', { level: 2, name: 'Заказ order-1 — платёж № ' }).waitFor();
    const fields = await page.locator('#detail-fields').innerText();
    assert.match(fields, /Причина статуса\s+Частичный возврат: Не хватило одной пачки/);
    assert.doesNotMatch(fields, /refunded:/);
    assert.match(fields, new RegExp(`Номер платежа в платёжной системе\\s+${ids[0]}`));
    assert.match(await page.locator('#refunded-total').innerText(), /Возвращено: 24,50\s₽ из 1\s248,99\s₽/);
    assert.deepEqual(leftovers(await visibleText(page)), []);
    await page.goto(`${gw.url}/cabinet#payment=${ids[2]}`);
    await page.getByRole('heading', { level: 2, name: 'Заказ order-3 — платёж № ' }).waitFor();
    assert.match(await page.locator('#detail-fields').innerText(), /Причина статуса\s+Отклонён платёжной системой: REJECTED/);
    assert.match(await page.locator('#timeline').innerText(), /Статус: Не оплачен \(Отклонён платёжной системой: REJECTED\)/);
  });

  test('Russian: the link builder copies with a visible "copied", draws the QR code and offers every language', async () => {
    await page.getByRole('link', { name: 'Ссылка на оплату' }).click();
    assert.deepEqual(await page.getByLabel('Язык формы').locator('option').evaluateAll((o) => o.map((x) => (x as HTMLOptionElement).value)), ['ru', 'en', 'uk', 'kk', 'be', 'uz', 'de']);
    await page.getByLabel('Сумма', { exact: true }).fill('1224,5');
    await page.getByLabel('Номер заказа').fill('A-17');
    await page.getByLabel('Язык формы').selectOption('kk');
    await page.getByRole('button', { name: 'Сделать ссылку' }).click();
    await page.getByRole('status').filter({ hasText: 'Ссылка готова' }).waitFor();
    const url = await page.getByLabel('Подписанная ссылка').inputValue();
    assert.match(url, /ln=kk/);
    const copy = page.locator('button[data-copy="link-url"]');
    await copy.click();
    await page.getByRole('status').filter({ hasText: 'Скопировано.' }).waitFor();
    assert.equal(await copy.innerText(), '✓ Скопировано.');
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), url);
    await page.getByRole('button', { name: 'QR-код' }).click();
    assert.equal(await page.getByRole('button', { name: 'QR-код' }).getAttribute('aria-expanded'), 'true');
    const d = await page.locator('#link-qr-code svg path').getAttribute('d');
    assert.ok(d && d.length > 500, 'a QR code of the link');
    assert.deepEqual(leftovers(await visibleText(page)), []);
    await assertAxeClean(page, 'link builder with the QR code');
  });

  test('Russian: the settings and the integration test views have no English left over', async () => {
    await page.getByRole('link', { name: 'Настройки' }).click();
    await page.getByRole('heading', { level: 2, name: 'Настройки' }).waitFor();
    await page.getByLabel('Повторная оплата оплаченного заказа').selectOption('refund');
    await page.getByRole('button', { name: 'Сохранить настройки' }).click();
    await page.getByRole('status').filter({ hasText: 'Настройки сохранены' }).waitFor();
    assert.match(await page.locator('#settings-audit-body').innerText(), /Повторная оплата: отметить и сообщить → отметить и вернуть деньги/);
    assert.deepEqual(leftovers(await visibleText(page)), []);
    await page.getByRole('link', { name: 'Проверка интеграции' }).click();
    await page.getByRole('heading', { level: 2, name: 'Проверка интеграции' }).waitFor();
    assert.deepEqual(leftovers(await visibleText(page)), []);
  });

  test('the language switch: English at once and remembered; money as English writes it; the screenshot', async () => {
    await page.getByRole('link', { name: 'Обзор' }).click();
    await page.locator('#chart canvas').first().waitFor();
    await page.getByRole('navigation', { name: 'Язык кабинета' }).getByRole('link', { name: 'English' }).click();
    await page.getByRole('heading', { level: 2, name: 'Overview' }).waitFor();
    assert.match(page.url(), /\?ln=en#overview$/);
    await page.locator('#chart canvas').first().waitFor();
    assert.match(await page.locator('#totals').innerText(), /₽[\d,]+\.\d\d \(\d+\)/);
    assert.match((await page.locator('#turnover-body th').first().textContent()) ?? '', /^\d{1,2}\/\d{1,2}\/\d\d$/);
    await assertAxeClean(page, 'overview (en)');
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    await page.screenshot({ path: screenshot('en').pathname, clip: { x: 0, y: 0, width: 1000, height: 760 } });
    await page.goto(`${gw.url}/cabinet#payments`);
    await page.getByRole('heading', { level: 2, name: 'Payments' }).waitFor();
    await page.locator('#payments-body tr').first().waitFor();
    assert.match(await page.locator('#payments-body tr').nth(0).innerText(), /order-3\s+₽51\.00\s+Bank card \(test\)\s+Failed/);
    await assertAxeClean(page, 'payments (en)');
    await page.goto(`${gw.url}/cabinet#payment=${ids[0]}`);
    await page.getByRole('heading', { level: 2, name: 'Order order-1 — payment No. ' }).waitFor();
    assert.match(await page.locator('#detail-fields').innerText(), /Status reason\s+Partial refund: Не хватило одной пачки/);
    await page.getByLabel('Amount to refund').fill('1');
    await page.getByLabel('Reason for the refund (required)').fill('test');
    await page.getByRole('button', { name: 'Refund', exact: true }).click();
    await page.getByRole('dialog').filter({ hasText: /Refund ₽1\.00 to the buyer of order order-1\?/ }).waitFor();
    await assertAxeClean(page, 'refund confirmation (en)');
    await page.keyboard.press('Escape');
    await page.getByRole('status').filter({ hasText: 'Cancelled.' }).waitFor();
    assert.equal((await gw.storage.refundsOf(ids[0]!)).length, 1, 'Esc refunds nothing');
  });

  test('kk: money and dates in Kazakh figures even where the browser has no Kazakh locale data', async () => {
    await page.goto(`${gw.url}/cabinet?ln=kk#payments`);
    await page.getByRole('heading', { level: 2, name: CABINET_MESSAGES.kk.page.payments }).waitFor();
    await page.locator('#payments-body tr').first().waitFor();
    const row = await page.locator('#payments-body tr').nth(2).innerText();
    assert.match(row, /order-1\s+1\s248,99\s₽ \(−24,50\s₽\)/);
    assert.match(row, /\d\d\.\d\d\.\d{2,4},? \d\d:\d\d/);
  });

  for (const ln of ['de', 'uz'] as const) {
    test(`${ln}: the page in its own words, no Cyrillic but the merchant's own`, async () => {
      await page.goto(`${gw.url}/cabinet?ln=${ln}#payments`);
      await page.getByRole('heading', { level: 2, name: CABINET_MESSAGES[ln].page.payments }).waitFor();
      await page.locator('#payments-body tr').first().waitFor();
      assert.match(await page.locator('#payments-body tr').nth(0).innerText(), new RegExp(CABINET_MESSAGES[ln].script.statuses.failed));
      // A way titled without Uzbek falls back to its Russian title (languages.ts wayTitle).
      let text = (await visibleText(page)).replaceAll(NAME, '');
      for (const w of DEFAULT_WAYS) text = text.replaceAll(w.title.ru ?? '', '');
      assert.deepEqual(text.match(/[\u0400-\u04ff]+/g) ?? [], [], `${ln}: Cyrillic left over`);
    });
  }

  test('no page asked for anything missing (the favicon included), no CSP violation, no script error', () => {
    assert.deepEqual(notFound, []);
    assert.deepEqual(errors, []);
  });
});
