/**
 * The cabinet's failures in the page's language (issue 28): an API error is said from its code and
 * field in the page's words, the API's own English message only as the detail after it; and the
 * shop's name, given per language, heads the page in the page's language. The real gateway on a
 * throwaway SQLite file and Debian's Chromium.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { startGateway, type RunningGateway } from '../../src/server/bootstrap.ts';
import { parseConfig } from '../../src/server/config.ts';
import { CABINET_MESSAGES } from '../../src/server/pages/cabinet-strings/index.ts';
import { merchant } from '../helpers.ts';
import { launchChromium } from './harness.ts';

const KEY = 'e2e-api-errors-key-0123456789abcdef';
const NAME = { ru: 'Чайная лавка', kk: 'Шай дүкені', en: 'Tea shop' };

describe('the cabinet\'s API errors in the page\'s language, in Chromium', () => {
  let dir: string;
  let gw: RunningGateway;
  let browser: Browser;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'onpay-cabinet-errors-e2e-'));
    gw = await startGateway(parseConfig({
      port: 0, host: '127.0.0.1', database: `sqlite:${join(dir, 'gateway.sqlite')}`, secret: 'e2e-api-errors-gateway-secret-0123456789',
      allowPrivateMerchantUrls: true, merchants: [merchant({ login: 'shop', name: NAME as never, apiKey: KEY, origins: [], secret: 'e2e-api-errors-merchant-k-0123456789', checkLinkMd5: true })],
    }), { log: () => {}, dispatcher: false });
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
    await gw?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  async function signedIn(ln: 'kk' | 'en' | 'ru'): Promise<Page> {
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${gw.url}/cabinet?ln=${ln}`);
    await page.locator('#api-key').fill(KEY);
    await page.locator('#login-form button[type=submit]').click();
    await page.locator('#account:not([hidden])').waitFor();
    return page;
  }

  for (const ln of ['kk', 'en', 'ru'] as const) {
    test(`${ln}: a refused setting is said in ${ln}, naming the field by its label; the API's message only as the detail; the shop's name in ${ln}`, async () => {
      const S = CABINET_MESSAGES[ln].script;
      const page = await signedIn(ln);
      try {
        assert.equal(await page.locator('#merchant-name').textContent(), `${NAME[ln]} (shop)`);
        await page.locator('a[data-section="settings"]').click();
        await page.locator('#s-origins').fill('ftp://nope.example');
        await page.locator('#settings-form button[type=submit]').click();
        const error = page.locator('#error');
        await error.locator('small.detail').waitFor();
        const said = (await error.textContent()) ?? '';
        const expected = S.apiErrors.invalid_field.replace('{field}', S.settingsFields.origins);
        assert.ok(said.startsWith(expected), `${said} starts with ${expected}`);
        const detail = (await error.locator('small.detail').textContent()) ?? '';
        assert.ok(detail.startsWith(S.apiErrors.detail.replace('{detail}', '')), detail);
        assert.match(detail, /origins/, 'the API\'s own message, as the detail');
      } finally {
        await page.context().close();
      }
    });
  }
});
