/**
 * The merchant cabinet page end to end: the real gateway (startGateway on a throwaway SQLite file,
 * port 0) and Debian's Chromium. Sign in with the key, see the list, open a payment with the
 * keyboard, set it paid by hand with a reason, see it marked manual in the detail, the audit and the
 * list; axe-core finds nothing in any view; the strict CSP reports no violation.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
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

function assertAxeClean(violations: AxeViolation[], view: string): void {
  assert.deepEqual(violations, [], `axe violations in the ${view} view:\n${JSON.stringify(violations, null, 2)}`);
}

describe('merchant cabinet page in Chromium', () => {
  let dir: string;
  let gw: RunningGateway;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  const cspErrors: string[] = [];
  const ids: string[] = [];

  async function createPayment(payFor: string, price: string): Promise<string> {
    const form = await fetch(`${gw.url}/pay/shop?price=${price}&pay_for=${payFor}`, { headers: { accept: 'application/json' } });
    assert.equal(form.status, 200);
    const { token } = (await form.json()) as { token: string };
    const res = await fetch(`${gw.url}/api/v1/payments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token, way: 'CRD' }) });
    assert.equal(res.status, 201, await res.clone().text());
    return ((await res.json()) as { id: string }).id;
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'onpay-cabinet-e2e-'));
    gw = await startGateway(parseConfig({
      port: 0,
      host: '127.0.0.1',
      database: `sqlite:${join(dir, 'gateway.sqlite')}`,
      secret: 'e2e-cabinet-gateway-secret-0123456789',
      // Notifications off: no PAY by itself. The API URL (never contacted: no dispatcher runs) lets
      // the merchant queue one by hand.
      merchants: [merchant({ login: 'shop', name: 'Чайная лавка', apiKey: KEY, origins: [], apiUrl: 'http://127.0.0.1:9/api' })],
    }), { log: () => {}, dispatcher: false });
    ids.push(await createPayment('order-1', '100.0'));
    ids.push(await createPayment('order-2', '250.5'));
    ids.push(await createPayment('order-3', '999.0'));
    // order-1 paid by the card system; the others wait.
    assert.equal((await fetch(`${gw.url}/api/v1/sandbox/payments/${ids[0]}/pay`, { method: 'POST' })).status, 200);
    browser = await launchChromium();
    context = await browser.newContext({ locale: 'ru-RU' });
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
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('a wrong key is refused and said so', async () => {
    await page.goto(`${gw.url}/cabinet`);
    await page.getByLabel('API-ключ кабинета').fill('not-the-key-000000000000');
    await page.getByRole('button', { name: 'Войти' }).click();
    await page.getByRole('alert').filter({ hasText: 'Ключ не подошёл' }).waitFor();
    assert.equal(await page.locator('#payments').isVisible(), false);
    assert.equal(await page.evaluate(() => sessionStorage.getItem('onpay-cabinet-key')), null);
    assertAxeClean(await axeViolations(page), 'login');
  });

  test('signs in with the key and lists the payments, newest first', async () => {
    await page.getByLabel('API-ключ кабинета').fill(KEY);
    await page.getByLabel('API-ключ кабинета').press('Enter');
    await page.getByRole('status').filter({ hasText: 'Вы вошли как Чайная лавка' }).waitFor();
    const rows = page.locator('#payments-body tr');
    assert.equal(await rows.count(), 3);
    assert.match(await rows.nth(0).innerText(), /order-3\s+1018\.98 RUR\s+Ожидает оплаты/);
    assert.match(await rows.nth(2).innerText(), /order-1\s+102\.0 RUR\s+Оплачен/);
    assert.equal(await page.getByRole('alert').innerText(), '');
    assertAxeClean(await axeViolations(page), 'list');
  });

  test('filters the list by status', async () => {
    await page.getByLabel('Статус', { exact: true }).selectOption('paid');
    await page.getByRole('button', { name: 'Показать', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Показано платежей: 1' }).waitFor();
    assert.match(await page.locator('#payments-body').innerText(), /order-1/);
    await page.getByLabel('Статус', { exact: true }).selectOption('');
    await page.getByRole('button', { name: 'Показать', exact: true }).click();
    await page.getByRole('status').filter({ hasText: 'Показано платежей: 3' }).waitFor();
  });

  test('opens a payment with the keyboard, sets it paid with a reason, and it shows as manual', async () => {
    const link = page.locator('#payments-body a', { hasText: /^2$/ });
    await link.focus();
    await page.keyboard.press('Enter');
    const heading = page.getByRole('heading', { level: 2, name: 'Платёж № 2' });
    await heading.waitFor();
    assert.equal(await page.evaluate(() => document.activeElement?.id), 'detail-heading', 'focus moves to the payment');
    assert.match(await page.locator('#detail-fields').innerText(), /order-2[\s\S]*Ожидает оплаты/);
    assert.match(await page.locator('#notification-state').innerText(), /не создавалось/);
    assertAxeClean(await axeViolations(page), 'payment');

    await page.getByLabel('Новый статус').selectOption('paid');
    await page.getByLabel('Причина (обязательно, до 500 символов)').fill('Оплата пришла переводом, выписка № 17');
    await page.getByLabel('Кто меняет (необязательно)').fill('Анна');
    await page.getByRole('button', { name: 'Сохранить статус' }).click();
    await page.getByRole('status').filter({ hasText: 'Статус изменён: Оплачен (вручную)' }).waitFor();
    assert.match(await page.locator('#detail-fields').innerText(), /Оплачен \(вручную\)[\s\S]*Оплата пришла переводом, выписка № 17/);
    const audit = await page.locator('#audit-body').innerText();
    assert.match(audit, /shop \(Анна\)\s+смена статуса\s+Ожидает оплаты → Оплачен\s+Оплата пришла переводом, выписка № 17/);
    assert.equal(await page.locator('#status-form').isVisible(), false, 'a paid payment cannot be changed again');
    assert.equal(await page.locator('#status-locked').isVisible(), true);
    assertAxeClean(await axeViolations(page), 'payment after the change');

    const stored = (await gw.storage.getPayment(ids[1]!))!;
    assert.equal(stored.status, 'paid');
    assert.equal(stored.manual, true);
    assert.equal((await gw.storage.auditOf(ids[1]!)).length, 1);
    assert.equal((await gw.storage.notificationsOf(ids[1]!)).length, 0, 'setting the status sends nothing by itself');

    await page.getByRole('link', { name: 'К списку платежей' }).click();
    await page.locator('#payments').waitFor();
    await page.waitForFunction(() => document.activeElement?.getAttribute('data-id') !== null);
    assert.equal(await page.evaluate(() => document.activeElement?.textContent), '2', 'focus returns to the payment it came from');
    assert.match(await page.locator('#payments-body tr').nth(1).innerText(), /order-2[\s\S]*Оплачен \(вручную\)/);
  });

  test('a refused change says why and changes nothing', async () => {
    await page.goto(`${gw.url}/cabinet#payment=${ids[2]}`);
    await page.getByRole('heading', { level: 2, name: 'Платёж № 3' }).waitFor();
    // Past the browser's own checks (required), the server's answer is shown: a blank reason.
    await page.getByLabel('Причина (обязательно, до 500 символов)').fill('   ');
    await page.getByRole('button', { name: 'Сохранить статус' }).click();
    await page.getByRole('alert').filter({ hasText: 'reason:' }).waitFor();
    assert.equal((await gw.storage.getPayment(ids[2]!))!.status, 'awaiting_payment');
  });

  test('resends the PAY of a paid payment: queued, then the button waits for the delivery', async () => {
    await page.goto(`${gw.url}/cabinet#payment=${ids[0]}`);
    await page.getByRole('heading', { level: 2, name: 'Платёж № 1' }).waitFor();
    await page.getByRole('button', { name: 'Отправить уведомление повторно' }).click();
    await page.getByRole('status').filter({ hasText: 'Уведомление поставлено в очередь' }).waitFor();
    assert.match(await page.locator('#notification-state').innerText(), /ожидает отправки/);
    assert.equal(await page.getByRole('button', { name: 'Отправить уведомление повторно' }).isVisible(), false);
    assert.match(await page.locator('#audit-body').innerText(), /повторная отправка/);
    const rows = await gw.storage.notificationsOf(ids[0]!);
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.status, 'pending');
    assertAxeClean(await axeViolations(page), 'payment after a resend');
  });

  test('stays signed in on reload in the same tab, and signs out', async () => {
    await page.goto(`${gw.url}/cabinet`);
    await page.locator('#payments-body tr').first().waitFor();
    await page.getByRole('button', { name: 'Выйти' }).click();
    await page.getByLabel('API-ключ кабинета').waitFor();
    assert.equal(await page.evaluate(() => sessionStorage.getItem('onpay-cabinet-key')), null);
    assert.equal(await page.locator('#payments').isVisible(), false);
  });

  test('the page ran under its strict CSP without a violation or a script error', () => {
    assert.deepEqual(cspErrors, []);
  });
});
