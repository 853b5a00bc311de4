/**
 * Holds in the cabinet page, end to end (issue 25): the real gateway (startGateway on a throwaway
 * SQLite file) and Debian's Chromium. A manual-capture payment held on the sandbox card: its page
 * shows the deadline and the expiry policy; «Списать» asks to be confirmed (dismissed: nothing
 * happens), then captures part of it, audited with its reason; another hold is
 * released with «Снять блокировку». Signed in with a session (CSRF checked), axe-clean. The
 * overview lists the held payments, nearest deadline first, each a link to its payment.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import SQLite from 'better-sqlite3';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { startGateway, type RunningGateway } from '../../src/server/bootstrap.ts';
import { parseConfig } from '../../src/server/config.ts';
import { merchant } from '../helpers.ts';
import { launchChromium } from './harness.ts';

const KEY = 'e2e-holds-key-0123456789abcdef';
const AXE_SOURCE = readFileSync(new URL('../../node_modules/axe-core/axe.min.js', import.meta.url), 'utf8');

describe('holds in the cabinet page (Chromium)', () => {
  let dir: string;
  let gw: RunningGateway;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;

  async function held(payFor: string): Promise<string> {
    const form = (await (await fetch(`${gw.url}/pay/shop?price=150&pay_for=${payFor}`, { headers: { accept: 'application/json' } })).json()) as { token: string };
    const res = await fetch(`${gw.url}/api/v1/payments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: form.token, way: 'CRD' }) });
    assert.equal(res.status, 201, await res.clone().text());
    const id = ((await res.json()) as { id: string }).id;
    assert.equal((await fetch(`${gw.url}/api/v1/sandbox/payments/${id}/authorize`, { method: 'POST' })).status, 200);
    return id;
  }

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'onpay-holds-e2e-'));
    gw = await startGateway(parseConfig({
      port: 0, host: '127.0.0.1', database: `sqlite:${join(dir, 'gateway.sqlite')}`, secret: 'e2e-holds-gateway-secret-0123456789', allowPrivateMerchantUrls: true,
      merchants: [merchant({ login: 'shop', name: 'Мебель на заказ', apiKey: KEY, origins: [], apiUrl: 'http://127.0.0.1:9/api', capture: 'manual', holdExpiry: 'capture' })],
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

  test('a held payment: deadline and policy shown; «Списать» confirmed captures part of it (100.5), audited', async () => {
    const id = await held('sofa-1');
    // 150.0 and the card way's fee on top: 153.0 held.
    await page.goto(`${gw.url}/cabinet#payment=${id}`);
    await page.locator('#hold').waitFor();
    assert.match(await page.locator('#hold-until').innerText(), /Заблокировано 153\.0 RUR до .+; за день до срока шлюз сам спишет всю сумму/);
    assert.match(await page.locator('#detail-fields').innerText(), /Заблокирован на карте/);
    // Dismissed: nothing is captured.
    page.once('dialog', (d) => void d.dismiss());
    await page.getByRole('button', { name: 'Списать' }).click();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await gw.storage.getPayment(id))!.status, 'authorized');
    await page.getByLabel('Сумма списания (пусто — вся)').fill('100,5');
    await page.getByLabel('Причина (необязательно)').fill('Одна подушка не в наличии');
    const asked: string[] = [];
    page.once('dialog', (d) => { asked.push(d.message()); void d.accept(); });
    await page.getByRole('button', { name: 'Списать' }).click();
    await page.getByRole('status').filter({ hasText: 'Списано: 100.5 RUR' }).waitFor();
    assert.deepEqual(asked, ['Списать 100.5 RUR с карты покупателя?']);
    const p = (await gw.storage.getPayment(id))!;
    assert.equal(p.status, 'paid');
    assert.equal(p.amountMinor, 10050n);
    // Notifications are off for this merchant: no PAY (PAY at capture is test/holds*.test.ts's).
    assert.ok((await gw.storage.auditOf(id)).some((a) => a.action === 'capture' && a.reason.includes('Одна подушка не в наличии')));
    assert.equal(await page.locator('#hold').isHidden(), true);
  });

  test('«Снять блокировку» confirmed releases another hold; axe-clean', async () => {
    const id = await held('sofa-2');
    await page.goto(`${gw.url}/cabinet#payment=${id}`);
    await page.locator('#hold').waitFor();
    if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
    const violations = await page.evaluate(async () => (await (window as unknown as { axe: { run(d: Document): Promise<{ violations: { id: string }[] }> } }).axe.run(document)).violations.map((v) => v.id));
    assert.deepEqual(violations, []);
    page.once('dialog', (d) => void d.accept());
    await page.getByRole('button', { name: 'Снять блокировку' }).click();
    await page.getByRole('status').filter({ hasText: 'Блокировка снята.' }).waitFor();
    assert.equal((await gw.storage.getPayment(id))!.status, 'voided');
    assert.deepEqual((await gw.storage.notificationsOf(id)).filter((n) => n.kind === 'pay'), []);
  });

  test('the overview lists held payments, nearest deadline first, each linking to its payment, axe-clean; none once settled', async () => {
    const first = await held('table-1');
    const second = await held('table-2');
    // Both held for the sandbox's 7 days, the second a moment later: moved an hour before the first
    // so that deadline order differs from both creation orders (the list must follow the deadline).
    const db = new SQLite(join(dir, 'gateway.sqlite'));
    try {
      const { at } = db.prepare('SELECT hold_expires_at AS at FROM payments WHERE id = ?').get(first) as { at: number };
      db.prepare('UPDATE payments SET hold_expires_at = ? WHERE id = ?').run(at - 3_600_000, second);
    } finally {
      db.close();
    }
    await page.goto(`${gw.url}/cabinet#overview`);
    await page.locator('#holds-body tr').nth(1).waitFor();
    const rows = await page.locator('#holds-body tr').evaluateAll((trs) => trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')));
    assert.deepEqual(rows.map((r) => r[1]), ['table-2', 'table-1']);
    assert.ok(rows.every((r) => /153/.test(r[2]!) && /\d/.test(r[3]!)), JSON.stringify(rows));
    assert.equal(await page.locator('#holds-empty').isHidden(), true);
    assert.equal(await page.getByRole('table', { name: 'Платежи, заблокированные на карте, ближайший срок сверху' }).isVisible(), true);
    if (!(await page.evaluate(() => 'axe' in window))) await page.evaluate(AXE_SOURCE);
    const violations = await page.evaluate(async () => (await (window as unknown as { axe: { run(d: Document): Promise<{ violations: { id: string }[] }> } }).axe.run(document)).violations.map((v) => v.id));
    assert.deepEqual(violations, []);
    await page.locator('#holds-body tr').first().getByRole('link').click();
    await page.locator('#hold').waitFor();
    assert.match(page.url(), new RegExp(`#payment=${second}$`));
    // Released, both leave the list.
    for (const id of [second, first]) {
      const res = await fetch(`${gw.url}/api/v1/payments/${id}/void`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'idempotency-key': `void-${id}`, 'content-type': 'application/json' }, body: '{}' });
      assert.equal(res.status, 200, await res.clone().text());
    }
    await page.goto(`${gw.url}/cabinet#overview`);
    await page.locator('#holds-empty').waitFor();
    assert.equal(await page.locator('#holds-table').isHidden(), true);
  });
});
