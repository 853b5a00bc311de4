/**
 * A customer's saved cards in the cabinet page, end to end (issue 26): the real gateway on a
 * throwaway SQLite file and Debian's Chromium. Two cards of a customer saved through the sandbox
 * with consent; the page finds them by the shop's customer id (another customer: none), «Удалить»
 * asks in the page's dialog (cancelled: nothing removed), then removes one, which is no longer
 * offered; axe-clean; the section speaks English too.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startGateway, type RunningGateway } from '../../src/server/bootstrap.ts';
import { parseConfig } from '../../src/server/config.ts';
import { signPaymentLink } from '../../src/merchant/link.ts';
import { signSandboxCallback } from '../../src/server/providers/sandbox/sandbox.ts';
import { formatAmount } from '../../src/protocol/money.ts';
import { merchant } from '../helpers.ts';
import { launchChromium } from './harness.ts';

const KEY = 'e2e-saved-key-0123456789abcdef';
const SECRET = 'e2e-saved-gateway-secret-0123456789';
const AXE_SOURCE = readFileSync(new URL('../../node_modules/axe-core/axe.min.js', import.meta.url), 'utf8');

describe('saved cards in the cabinet page (Chromium)', () => {
  let dir: string;
  let gw: RunningGateway;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  /** A paid sandbox payment of `customer` with the consent: its card saved. */
  async function save(customer: string, payFor: string): Promise<void> {
    const q = signPaymentLink({ gateway: gw.url, merchantLogin: 'shop', secret: 'test', price: '100', payFor, customer }).query;
    const form = (await (await fetch(`${gw.url}/pay/shop?${new URLSearchParams(q)}`, { headers: { accept: 'application/json' } })).json()) as { token: string };
    const res = await fetch(`${gw.url}/api/v1/payments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: form.token, way: 'CRD', saveMethod: true }) });
    assert.equal(res.status, 201, await res.clone().text());
    const id = ((await res.json()) as { id: string }).id;
    const p = (await gw.storage.getPayment(id))!;
    const body = JSON.stringify({ paymentId: id, outcome: 'paid', amount: formatAmount(p.amountMinor), ticker: p.wayTicker });
    assert.equal((await fetch(`${gw.url}/callbacks/sandbox`, { method: 'POST', headers: { 'x-sandbox-signature': signSandboxCallback(body, SECRET) }, body })).status, 200);
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'onpay-saved-e2e-'));
    gw = await startGateway(parseConfig({
      port: 0, host: '127.0.0.1', database: `sqlite:${join(dir, 'gateway.sqlite')}`, secret: SECRET, allowPrivateMerchantUrls: true,
      merchants: [merchant({ login: 'shop', name: 'Подписка на кофе', apiKey: KEY, origins: [], savedMethods: { enabled: true } } as never)],
    }), { log: () => {}, dispatcher: false });
    browser = await launchChromium();
    context = await browser.newContext({ locale: 'ru-RU', viewport: { width: 1100, height: 900 } });
    page = await context.newPage();
    await page.goto(`${gw.url}/cabinet`);
    await page.getByLabel('API-ключ кабинета').fill(KEY);
    await page.getByLabel('API-ключ кабинета').press('Enter');
    await page.getByRole('status').filter({ hasText: 'Вы вошли как' }).waitFor();
  });
  after(async () => {
    await context?.close();
    await browser?.close();
    await gw?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('found by customer, removed only after the confirmation, axe-clean', async () => {
    await save('cust-1', 'coffee-1');
    await save('cust-1', 'coffee-2');
    const before = await gw.storage.savedMethodsOf('shop', 'cust-1');
    assert.ok(before.length >= 1, 'cards saved');
    await page.getByRole('link', { name: 'Сохранённые карты' }).click();
    await page.getByLabel('Покупатель (идентификатор магазина)').fill('nobody');
    await page.getByRole('button', { name: 'Показать' }).last().click();
    await page.locator('#methods-none').waitFor();
    assert.equal(await page.locator('#methods-table').isHidden(), true);
    await page.getByLabel('Покупатель (идентификатор магазина)').fill('cust-1');
    await page.getByRole('button', { name: 'Показать' }).last().click();
    await page.locator('#methods-table').waitFor();
    const rows = page.locator('#methods-body tr');
    assert.equal(await rows.count(), before.length);
    assert.match(await rows.first().innerText(), /424242…4242\s+CRD\s+12\/30/);
    if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
    const violations = await page.evaluate(async () => (await (window as unknown as { axe: { run(d: Document): Promise<{ violations: { id: string }[] }> } }).axe.run(document)).violations.map((v) => v.id));
    assert.deepEqual(violations, []);
    // Cancelled: nothing removed.
    await page.getByRole('button', { name: 'Удалить: 424242…4242' }).first().click();
    assert.equal(await page.locator('#confirm-text').innerText(), 'Удалить карту 424242…4242 покупателя cust-1? Списывать с неё деньги будет уже нельзя.');
    await page.locator('#confirm-cancel').click();
    assert.equal((await gw.storage.savedMethodsOf('shop', 'cust-1')).length, before.length);
    // Confirmed: removed, and the list says so.
    await page.getByRole('button', { name: 'Удалить: 424242…4242' }).first().click();
    await page.locator('#confirm-ok').click();
    await page.getByRole('status').filter({ hasText: 'Карта 424242…4242 удалена.' }).waitFor();
    assert.equal((await gw.storage.savedMethodsOf('shop', 'cust-1')).length, before.length - 1);
    assert.equal(await rows.count(), before.length - 1);
  });

  test('the section in English', async () => {
    await page.goto(`${gw.url}/cabinet?ln=en#customers`);
    await page.locator('#customers-heading').waitFor();
    assert.equal(await page.locator('#customers-heading').innerText(), 'Saved cards');
    assert.ok(await page.getByLabel('Customer (the shop\'s id)').isVisible());
  });
});
