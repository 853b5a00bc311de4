/**
 * The merchant cabinet page end to end: the real gateway (startGateway on a throwaway SQLite file,
 * port 0) and Debian's Chromium. Sign in with the key once (a session cookie, nothing in the page's
 * storage), the overview with its uPlot chart, search and the CSV export, a payment with its
 * timeline, a manual status with a reason, a resend, a refund, the link builder, settings pointed at a shop
 * running the merchant kit, the integration test passing against it, both rotations, a cross-site
 * page failing to change anything, sign-out. axe-core finds nothing in any view, light and dark; the
 * strict CSP reports no violation. (The README's screenshots: cabinet-languages.test.ts.)
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { createMerchantHandler } from '../../src/merchant/index.ts';
import { startGateway, type RunningGateway } from '../../src/server/bootstrap.ts';
import { parseConfig } from '../../src/server/config.ts';
import { merchant } from '../helpers.ts';
import { launchChromium } from './harness.ts';

const KEY = 'e2e-cabinet-key-0123456789abcdef';
const AXE_SOURCE = readFileSync(new URL('../../node_modules/axe-core/axe.min.js', import.meta.url), 'utf8');

interface AxeViolation { id: string; impact: string | null; help: string; nodes: { target: unknown[] }[] }

/**
 * axe-core in the page. Evaluated through the DevTools protocol, which the page's CSP does not
 * govern, so the page itself keeps its strict policy during the test.
 */
async function axeViolations(page: Page): Promise<AxeViolation[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, opts: unknown): Promise<{ violations: AxeViolation[] }> } }).axe;
    const r = await axe.run(document, { resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => ({ target: n.target })) }));
  });
}

/** axe in the light and the dark scheme (the page follows prefers-color-scheme). */
async function assertAxeClean(page: Page, view: string): Promise<void> {
  for (const colorScheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme });
    const v = await axeViolations(page);
    assert.deepEqual(v, [], `axe violations in the ${view} view (${colorScheme}):\n${JSON.stringify(v, null, 2)}`);
  }
  await page.emulateMedia({ colorScheme: 'light' });
}

async function listen(server: Server, host = '127.0.0.1'): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const a = server.address();
  return typeof a === 'object' && a ? a.port : 0;
}

describe('merchant cabinet page in Chromium', () => {
  let dir: string;
  let gw: RunningGateway;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let shop: Server;
  let shopUrl: string;
  let evil: Server;
  let evilUrl: string;
  const touched: string[] = [];
  const cspErrors: string[] = [];
  const ids: string[] = [];

  async function createPayment(payFor: string, price: string, email = ''): Promise<string> {
    const form = await fetch(`${gw.url}/pay/shop?price=${price}&pay_for=${payFor}&user_email=${encodeURIComponent(email)}`, { headers: { accept: 'application/json' } });
    assert.equal(form.status, 200);
    const { token } = (await form.json()) as { token: string };
    const res = await fetch(`${gw.url}/api/v1/payments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, way: 'CRD' }) });
    assert.equal(res.status, 201, await res.clone().text());
    return ((await res.json()) as { id: string }).id;
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'onpay-cabinet-e2e-'));
    // The shop's API: the merchant kit, which answers the integration test's marked requests itself.
    const handler = createMerchantHandler({ secret: 'test', onCheck: (c) => { touched.push(c.payFor); return true; }, onPay: (p) => { touched.push(p.payFor); } });
    shop = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const r = await handler(new Request(`http://127.0.0.1${req.url}`, { method: req.method, headers: req.headers as Record<string, string>, ...(req.method === 'POST' ? { body: Buffer.concat(chunks) } : {}) }));
        res.writeHead(r.status, Object.fromEntries(r.headers));
        res.end(Buffer.from(await r.arrayBuffer()));
      });
    });
    shopUrl = `http://127.0.0.1:${await listen(shop)}/onpay`;
    gw = await startGateway(parseConfig({
      port: 0,
      host: '127.0.0.1',
      database: `sqlite:${join(dir, 'gateway.sqlite')}`,
      secret: 'e2e-cabinet-gateway-secret-0123456789',
      allowPrivateMerchantUrls: true,
      // Notifications off: no CHECK, no PAY by itself. The API URL (never contacted: no dispatcher
      // runs) lets the merchant queue one by hand.
      merchants: [merchant({ login: 'shop', name: 'Чайная лавка', apiKey: KEY, origins: [], apiUrl: 'http://127.0.0.1:9/api' })],
    }), { log: () => {}, dispatcher: false });
    // A page of another site (localhost is not 127.0.0.1) that tries to change the cabinet.
    evil = createServer((_req, res) => {
      res.setHeader('content-type', 'text/html');
      res.end(`<!doctype html><title>evil</title><form id="f" method="post" action="${gw.url}/api/v1/cabinet/settings/cabinet-key" enctype="text/plain"><input name='{"a":"' value='"}'></form>`);
    });
    evilUrl = `http://localhost:${await listen(evil)}/`;
    ids.push(await createPayment('order-1', '100.0', 'anna@example.com'));
    ids.push(await createPayment('order-2', '250.5'));
    ids.push(await createPayment('order-3', '999.0'));
    // order-1 paid by the card system; the others wait.
    assert.equal((await fetch(`${gw.url}/api/v1/sandbox/payments/${ids[0]}/pay`, { method: 'POST' })).status, 200);
    browser = await launchChromium();
    context = await browser.newContext({ locale: 'ru-RU', viewport: { width: 1100, height: 900 } });
    page = await context.newPage();
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) cspErrors.push(m.text());
    });
    page.on('pageerror', (e) => cspErrors.push(`page error: ${e.message}`));
  });

  after(async () => {
    await context?.close();
    await browser?.close();
    await gw?.close();
    shop?.close();
    evil?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('a wrong key is refused and said so', async () => {
    await page.goto(`${gw.url}/cabinet`);
    await page.getByLabel('API-ключ кабинета').fill('not-the-key-000000000000');
    await page.getByRole('button', { name: 'Войти' }).click();
    await page.getByRole('alert').filter({ hasText: 'Ключ не подошёл' }).waitFor();
    assert.equal(await page.locator('#overview').isVisible(), false);
    await assertAxeClean(page, 'login');
  });

  test('signs in with the key once: an HttpOnly cookie, nothing in the page\'s storage; the overview with its chart', async () => {
    await page.getByLabel('API-ключ кабинета').fill(KEY);
    await page.getByLabel('API-ключ кабинета').press('Enter');
    await page.getByRole('status').filter({ hasText: 'Вы вошли как Чайная лавка' }).waitFor();
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === 'onpay_cabinet')!;
    assert.ok(session, 'a session cookie');
    assert.equal(session.httpOnly, true);
    assert.equal(session.sameSite, 'Strict');
    assert.equal(await page.evaluate(() => document.cookie), '', 'the script cannot read it');
    const stored = await page.evaluate(() => JSON.stringify({ ...sessionStorage }) + JSON.stringify({ ...localStorage }));
    assert.ok(!stored.includes(KEY), 'the key is in no storage');
    await page.locator('#chart canvas').first().waitFor();
    assert.match(await page.locator('#totals').innerText(), /100,00\s₽ \(1\)/);
    assert.match(await page.locator('#status-body').innerText(), /Оплачен\s+1/);
    assert.match(await page.locator('#conversion').innerText(), /Конверсия\s+33,3\s%/);
    await assertAxeClean(page, 'overview');
  });

  test('searches payments by e-mail and filters by status; the CSV export follows the filters', async () => {
    await page.getByRole('link', { name: 'Платежи' }).click();
    await page.locator('#payments-body tr').first().waitFor();
    assert.equal(await page.locator('#payments-body tr').count(), 3);
    assert.match(await page.locator('#payments-body tr').nth(0).innerText(), /order-3\s+1\s018,98\s₽\s+Банковская карта \(тест\)\s+Ожидает оплаты/);
    // The status is a chip: a colour beside the words.
    assert.equal(await page.locator('#payments-body tr').nth(0).locator('.chip-awaiting_payment').innerText(), 'Ожидает оплаты');
    await page.getByLabel('Поиск', { exact: true }).fill('anna@example.com');
    await page.getByRole('button', { name: 'Показать', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Показано платежей: 1' }).waitFor();
    assert.match(await page.locator('#payments-body').innerText(), /order-1/);
    await page.getByLabel('Поиск', { exact: true }).fill('');
    await page.getByLabel('Статус', { exact: true }).selectOption('awaiting_payment');
    await page.getByRole('button', { name: 'Показать', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Показано платежей: 2' }).waitFor();
    // Excel's profile first, in the viewer's time zone; the machine's on request.
    const zone = await page.evaluate(() => Intl.DateTimeFormat().resolvedOptions().timeZone);
    assert.equal(await page.getByRole('link', { name: 'Скачать CSV' }).getAttribute('href'), `/api/v1/cabinet/payments.csv?status=awaiting_payment&profile=excel&timeZone=${encodeURIComponent(zone)}`);
    await page.getByLabel('Для чего').selectOption('machine');
    const href = await page.getByRole('link', { name: 'Скачать CSV' }).getAttribute('href');
    assert.equal(href, '/api/v1/cabinet/payments.csv?status=awaiting_payment');
    const csv = await page.evaluate(async (h) => {
      const r = await fetch(h!);
      return { type: r.headers.get('content-type'), bytes: [...new Uint8Array(await r.arrayBuffer())].slice(0, 3), text: await (await fetch(h!)).text() };
    }, href);
    assert.equal(csv.type, 'text/csv; charset=utf-8');
    assert.deepEqual(csv.bytes, [0xef, 0xbb, 0xbf]);
    assert.equal(csv.text.trim().split('\r\n').length, 3);
    await assertAxeClean(page, 'payments');
    await page.getByLabel('Статус', { exact: true }).selectOption('');
    await page.getByRole('button', { name: 'Показать', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Показано платежей: 3' }).waitFor();
  });

  test('opens a payment with the keyboard, sets it paid with a reason; timeline and audit show it', async () => {
    const link = page.locator('#payments-body a', { hasText: /^2$/ });
    await link.focus();
    await page.keyboard.press('Enter');
    const heading = page.getByRole('heading', { level: 2, name: 'Заказ order-2 — платёж № 2' });
    await heading.waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'detail-heading', 'focus moves to the payment');
    assert.match(await page.locator('#detail-fields').innerText(), /order-2[\s\S]*Ожидает оплаты/);
    assert.match(await page.locator('#timeline').innerText(), /Создан: заказ order-2 на 250,50\s₽, к оплате [\d\s,]+₽, способ оплаты: Банковская карта \(тест\)/);
    await assertAxeClean(page, 'payment');

    await page.getByLabel('Новый статус').selectOption('paid');
    await page.getByLabel('Причина (обязательно, до 500 символов)').fill('Оплата пришла переводом, выписка № 17');
    await page.locator('#detail').getByLabel('Кто меняет (необязательно)').fill('Анна');
    await page.getByRole('button', { name: 'Сохранить статус' }).click();
    await page.getByRole('dialog').filter({ hasText: 'Изменить статус платежа по заказу order-2 на «Оплачен»?' }).waitFor();
    await page.getByRole('button', { name: 'Подтвердить' }).click();
    await page.getByRole('status').filter({ hasText: 'Статус изменён: Оплачен (вручную)' }).waitFor();
    assert.match(await page.locator('#audit-body').innerText(), /shop \(Анна\)\s+смена статуса\s+Ожидает оплаты → Оплачен\s+Оплата пришла переводом, выписка № 17/);
    assert.match(await page.locator('#timeline').innerText(), /Вручную: смена статуса — shop \(Анна\): Ожидает оплаты → Оплачен \(Оплата пришла переводом/);
    assert.equal(await page.locator('#status-form').isVisible(), false, 'a paid payment cannot be changed again');
    await assertAxeClean(page, 'payment after the change');
    const stored = (await gw.storage.getPayment(ids[1]!))!;
    assert.equal(stored.status, 'paid');
    assert.equal(stored.manual, true);

    await page.getByRole('link', { name: 'К списку платежей' }).click();
    await page.locator('#payments').waitFor();
    await page.waitForFunction(() => document.activeElement?.getAttribute('data-id') !== null);
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), '2', 'focus returns to the payment it came from');
  });

  test('a refused change says why and changes nothing', async () => {
    await page.goto(`${gw.url}/cabinet#payment=${ids[2]}`);
    await page.getByRole('heading', { level: 2, name: 'Заказ order-3 — платёж № 3' }).waitFor();
    await page.getByLabel('Причина (обязательно, до 500 символов)').fill('   ');
    await page.getByRole('button', { name: 'Сохранить статус' }).click();
    await page.getByRole('button', { name: 'Подтвердить' }).click();
    // Said in Russian from the error's code and field; the API's English only as the detail.
    await page.getByRole('alert').filter({ hasText: 'Проверьте поле «Причина».' }).filter({ hasText: 'reason:' }).waitFor();
    assert.equal((await gw.storage.getPayment(ids[2]!))!.status, 'awaiting_payment');
  });

  test('resends the PAY of a paid payment: queued, then the button waits for the delivery', async () => {
    await page.goto(`${gw.url}/cabinet#payment=${ids[0]}`);
    await page.getByRole('heading', { level: 2, name: 'Заказ order-1 — платёж № 1' }).waitFor();
    await page.getByRole('button', { name: 'Отправить уведомление повторно' }).click();
    await page.getByRole('status').filter({ hasText: 'Уведомление поставлено в очередь' }).waitFor();
    assert.match(await page.locator('#notification-state').innerText(), /ожидает отправки/);
    assert.match(await page.locator('#timeline').innerText(), /Уведомление PAY: для http:\/\/127\.0\.0\.1:9\/api/);
    assert.equal((await gw.storage.notificationsOf(ids[0]!)).length, 1);
  });

  test('refunds part of a paid payment from its page', async () => {
    await page.goto(`${gw.url}/cabinet#payment=${ids[0]}`);
    await page.getByRole('heading', { level: 2, name: 'Заказ order-1 — платёж № 1' }).waitFor();
    await page.locator('#refunds').waitFor();
    await page.getByLabel('Сумма возврата').fill('10');
    await page.getByLabel('Причина возврата (обязательно)').fill('Не хватило одной пачки чая');
    await page.getByRole('button', { name: 'Вернуть деньги' }).click();
    // A confirmation first: cancelled, nothing is refunded.
    const dialog = page.getByRole('dialog').filter({ hasText: /Вернуть покупателю 10,00\s₽ по заказу order-1\?/ });
    await dialog.waitFor();
    await assertAxeClean(page, 'refund confirmation');
    await page.getByRole('button', { name: 'Отмена' }).click();
    await page.getByRole('status').filter({ hasText: 'Действие отменено' }).waitFor();
    assert.equal(await dialog.isVisible(), false);
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), 'Вернуть деньги', 'focus goes back to the button');
    assert.equal((await gw.storage.refundsOf(ids[0]!)).length, 0);
    await page.getByRole('button', { name: 'Вернуть деньги' }).click();
    await dialog.waitFor();
    await page.getByRole('button', { name: 'Подтвердить' }).click();
    await page.getByRole('status').filter({ hasText: /Возврат оформлен: 10,00\s₽/ }).waitFor();
    assert.match(await page.locator('#refunds-body').innerText(), /10,00\s₽\s+выполнен[\s\S]*Не хватило одной пачки чая/);
    assert.match(await page.locator('#refunded-total').innerText(), /Возвращено: 10,00\s₽ из 102,00\s₽/);
    assert.match(await page.locator('#detail-fields').innerText(), /Частично возвращён[\s\S]*Частичный возврат: Не хватило одной пачки чая/);
    assert.match(await page.locator('#timeline').innerText(), /Возврат: 10,00\s₽ — [^:]+: Не хватило одной пачки чая/);
    assert.equal((await gw.storage.getPayment(ids[0]!))!.status, 'partially_refunded');
    await assertAxeClean(page, 'payment after a refund');
  });

  test('builds a signed payment link on the server', async () => {
    await page.getByRole('link', { name: 'Ссылка на оплату' }).click();
    await page.getByRole('heading', { level: 2, name: 'Ссылка на оплату' }).waitFor();
    await page.getByLabel('Сумма', { exact: true }).fill('100');
    await page.getByLabel('Номер заказа').fill('123');
    await page.getByRole('button', { name: 'Сделать ссылку' }).click();
    await page.getByRole('status').filter({ hasText: 'Ссылка готова' }).waitFor();
    assert.match(await page.getByLabel('Подписанная ссылка').inputValue(), /\/pay\/shop\?pay_mode=fix&price=100\.0&ticker=RUR&pay_for=123&convert=yes&md5=1206be51154e8521f9a17344ab6fca4d/);
    assert.match(await page.getByLabel('Код элемента <onpay-checkout>').inputValue(), /<onpay-checkout gateway="[^"]+" merchant-login="shop"/);
    await assertAxeClean(page, 'link builder');
  });

  test('settings point the API at the shop; the integration test passes against the kit without touching orders', async () => {
    await page.getByRole('link', { name: 'Настройки' }).click();
    await page.getByRole('heading', { level: 2, name: 'Настройки' }).waitFor();
    await page.getByLabel('API URL').fill(shopUrl);
    await page.locator('#settings').getByLabel('Кто меняет (необязательно)').fill('Анна');
    await page.getByRole('button', { name: 'Сохранить настройки' }).click();
    await page.getByRole('status').filter({ hasText: 'Настройки сохранены' }).waitFor();
    assert.match(await page.locator('#settings-audit-body').innerText(), /shop \(Анна\)\s+настройки/);
    assert.equal((await gw.storage.getMerchant('shop'))!.apiUrl, shopUrl);
    await assertAxeClean(page, 'settings');

    await page.getByRole('link', { name: 'Проверка интеграции' }).click();
    await page.getByRole('button', { name: 'Запустить проверку' }).click();
    await page.getByRole('status').filter({ hasText: 'Проверка завершена: 6 из 6 пройдено' }).waitFor();
    assert.equal(await page.locator('#test-body tr').count(), 6);
    assert.deepEqual(touched, [], 'the kit never reached the shop\'s orders');
    await assertAxeClean(page, 'integration test');
  });

  test('rotates K with a grace period and the cabinet key; each new secret is shown once', async () => {
    await page.getByRole('link', { name: 'Настройки' }).click();
    await page.getByLabel('Сколько часов принимать ответы со старым K').fill('2');
    await page.getByRole('button', { name: 'Выпустить новый K' }).click();
    await page.getByRole('dialog').filter({ hasText: 'Подписи со старым K будут приниматься ещё 2 ч.' }).waitFor();
    await page.getByRole('button', { name: 'Подтвердить' }).click();
    await page.getByRole('status').filter({ hasText: 'Новый K выпущен' }).waitFor();
    const k = await page.locator('#new-secret').inputValue();
    assert.equal((await gw.storage.getMerchant('shop'))!.secret, k);
    assert.equal((await gw.storage.getMerchant('shop'))!.previousSecret!.secret, 'test');

    await page.getByRole('button', { name: 'Выпустить новый ключ кабинета' }).click();
    await page.getByRole('dialog').filter({ hasText: 'Выпустить новый ключ кабинета?' }).waitFor();
    await page.getByRole('button', { name: 'Подтвердить' }).click();
    await page.getByRole('status').filter({ hasText: 'Новый ключ кабинета выпущен' }).waitFor();
    const newKey = await page.locator('#new-key').inputValue();
    assert.match(newKey, /^ck_/);
    assert.equal((await fetch(`${gw.url}/api/v1/cabinet/me`, { headers: { authorization: `Bearer ${KEY}` } })).status, 401, 'the old key stops');
    assert.equal((await fetch(`${gw.url}/api/v1/cabinet/me`, { headers: { authorization: `Bearer ${newKey}` } })).status, 200);
    await assertAxeClean(page, 'settings after rotations');
    // This page's session stays.
    await page.reload();
    await page.getByRole('heading', { level: 2, name: 'Настройки' }).waitFor();
  });

  test('a page of another site cannot change anything, and a request without the CSRF token is refused', async () => {
    const before = (await gw.storage.getMerchant('shop'))!;
    const other = await context.newPage();
    await other.goto(evilUrl);
    await Promise.all([other.waitForLoadState('load'), other.locator('#f').evaluate((f: HTMLFormElement) => f.submit())]);
    await other.waitForTimeout(300);
    assert.match(await other.content(), /unauthorized|origin_forbidden|unsupported_media_type/);
    await other.close();
    const status = await page.evaluate(async () => (await fetch('/api/v1/cabinet/settings/cabinet-key', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' })).status);
    assert.equal(status, 403, 'the page\'s own cookie without the token');
    assert.deepEqual(await gw.storage.getMerchant('shop'), before);
  });

  test('the overview of a month of trade', async () => {
    // A month of history in two currencies, written straight to storage with past times.
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
        await gw.storage.transition(payment.id, { from: 'awaiting_payment', to, at: at + 60_000, ...(to === 'paid' ? { paidAt: at + 60_000 } : { reason: 'declined by the payment system' }) });
      }
    }
    await page.goto(`${gw.url}/cabinet#overview`);
    await page.locator('#chart canvas').first().waitFor();
    await assertAxeClean(page, 'overview with history');
  });

  test('the page in English', async () => {
    await page.goto(`${gw.url}/cabinet?ln=en`);
    await page.getByRole('heading', { level: 2, name: 'Overview' }).waitFor();
    await page.locator('#chart canvas').first().waitFor();
    await assertAxeClean(page, 'overview (en)');
  });

  test('sign-out ends the session on the server', async () => {
    const cookie = (await context.cookies()).find((c) => c.name === 'onpay_cabinet')!.value;
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Cabinet API key').waitFor();
    assert.equal((await fetch(`${gw.url}/api/v1/cabinet/me`, { headers: { cookie: `onpay_cabinet=${cookie}` } })).status, 401);
    await page.reload();
    await page.getByLabel('Cabinet API key').waitFor();
  });

  test('the page ran under its strict CSP without a violation or a script error', () => {
    assert.deepEqual(cspErrors, []);
  });
});
