/**
 * Every view of the element in every language (issue 28, item 1): the picker with its fee line,
 * the instructions, the overlay, a closed popup, the shop's refusal, the failure, success and an
 * error, each read as the buyer reads it. No Cyrillic where the language is not written in it (en,
 * uz, de); no Latin leftovers in Russian but the names that are Latin there too. What the shop or
 * the bank gave (the merchant's name, way titles, bank-detail labels) is given here in the language,
 * as a configured gateway gives it. axe finds nothing in the picker, in light and in dark.
 */
import { emulateMedia } from '@web/test-runner-commands';
import { expect, fixture, html, waitUntil } from '@open-wc/testing';
import { HttpResponse } from 'msw';
import '../../src/components/onpay-checkout/define.ts';
import type { OnpayCheckout } from '../../src/components/onpay-checkout/onpay-checkout.ts';
import { INSTRUCTION_WORDS } from '../../src/protocol/instruction-words.ts';
import { LANGUAGES, type Language } from '../../src/protocol/languages.ts';
import { declined, fakeGateway, formPayload, instructionsAction, networkDown, worker, type FakeGateway } from './gateway-mock.ts';

type El = OnpayCheckout & { view: { name: string } };

const CYRILLIC = /[\u0400-\u04ff]+/g;
/** Latin words a Russian view may carry: e-mail, QR, the 3-D Secure name. */
const LATIN_OK = new Set(['E', 'mail', 'QR', 'D', 'Secure']);
const LATIN_SCRIPT = new Set<Language>(['en', 'uz', 'de']);

/** The way titles a configured gateway gives in each language. */
const TITLES: Record<Language, [string, string]> = {
  ru: ['Банковская карта', 'Банковский перевод'], en: ['Bank card', 'Bank transfer'], uk: ['Банківська картка', 'Банківський переказ'],
  kk: ['Банк картасы', 'Банктік аударым'], be: ['Банкаўская картка', 'Банкаўскі перавод'], uz: ['Bank kartasi', 'Bank oʻtkazmasi'], de: ['Bankkarte', 'Banküberweisung'],
};

/** What the buyer reads in the element: its text without the values in `<code>` (account numbers, references). */
function readable(el: Element): string {
  const walker = document.createTreeWalker(el.shadowRoot!, NodeFilter.SHOW_TEXT);
  let out = '';
  for (let n = walker.nextNode(); n; n = walker.nextNode()) if (!n.parentElement?.closest('code, style')) out += ` ${n.textContent}`;
  return out.replace(/\s+/g, ' ').trim();
}

function assertScript(ln: Language, view: string, text: string): void {
  expect(text, `${ln} ${view} is empty`).to.not.equal('');
  if (LATIN_SCRIPT.has(ln)) expect(text.match(CYRILLIC) ?? [], `${ln} ${view}: «${text}»`).to.deep.equal([]);
  if (ln === 'ru') expect((text.match(/[A-Za-z]+/g) ?? []).filter((w) => !LATIN_OK.has(w)), `ru ${view}: «${text}»`).to.deep.equal([]);
}

let gw: FakeGateway;
let restoreOpen: (() => void) | undefined;
beforeEach(() => {
  worker.resetHandlers();
  gw = fakeGateway();
});
afterEach(async () => {
  restoreOpen?.();
  restoreOpen = undefined;
  await emulateMedia({ colorScheme: 'light' });
});

/** The gateway's form in `ln`: Latin merchant name, titles in the language, a fee on the card. */
function speak(ln: Language): void {
  const [card, bank] = TITLES[ln];
  gw.formAnswer = (query) => HttpResponse.json(formPayload(query, {
    ln, merchant: { login: 'shop', name: LATIN_SCRIPT.has(ln) ? 'Tea shop' : 'Чайная лавка' },
    ways: [
      { code: 'CRD', kind: 'redirect', title: card, amount: '102.0', ticker: 'RUR', fee: { amount: '2.0', payer: 'buyer' } },
      { code: 'EUR', kind: 'instructions', title: bank, amount: '1.02', ticker: 'EUR' },
    ],
  }));
}

async function mount(ln: Language): Promise<El> {
  const holder = await fixture<HTMLDivElement>(html`<div></div>`);
  holder.innerHTML = `<onpay-checkout merchant-login="shop" price="100.0" pay-for="14" ln="${ln}"></onpay-checkout>`;
  const el = holder.firstElementChild as El;
  (el as unknown as { navigate: (u: string) => void }).navigate = () => {};
  await waitUntil(() => el.view.name === 'picking' || el.view.name === 'error', 'loaded', { timeout: 5000 });
  await el.updateComplete;
  return el;
}

const viewIs = (el: El, name: string) => waitUntil(() => el.view.name === name, `view ${name} (now ${el.view.name})`, { timeout: 10_000 });
const submit = (el: El) => el.shadowRoot!.querySelector<HTMLButtonElement>('button[type="submit"]')!.click();
const select = (el: El, code: string) => el.shadowRoot!.querySelector<HTMLElement>(`[data-way="${code}"]`)!.click();

describe('<onpay-checkout> every view in every language', function () {
  // Eight views, each with its lazy chunk, axe in two schemes: slow on a loaded machine, not stuck.
  this.timeout(60_000);
  for (const ln of LANGUAGES) {
    it(`${ln}: picker, instructions, overlay, closed popup, refusal, failure, success, error`, async () => {
      speak(ln);
      const el = await mount(ln);
      assertScript(ln, 'picker', readable(el));
      await expect(el).to.be.accessible();
      await emulateMedia({ colorScheme: 'dark' });
      await expect(el).to.be.accessible();
      await emulateMedia({ colorScheme: 'light' });

      // Instructions, with the bank-detail labels the connector writes in the payment's language.
      const w = INSTRUCTION_WORDS[ln];
      gw.createAnswers.push(() => HttpResponse.json({
        id: 'pay_i', status: 'awaiting_payment', way: 'EUR', amount: '1.02', ticker: 'EUR', urlSuccess: '', urlFail: 'https://shop.example/fail',
        action: { ...instructionsAction(), title: TITLES[ln][1], details: [{ key: 'account', label: w.account, value: '40702810900000012345' }, { key: 'reference', label: w.reference, value: 'OP-7' }] },
        updatedAt: new Date().toISOString(),
      }, { status: 201 }));
      select(el, 'EUR');
      submit(el);
      await viewIs(el, 'instructions');
      await el.updateComplete;
      assertScript(ln, 'instructions', readable(el));
      // Failed: the failure view.
      gw.failure = { reason: 'declined' };
      gw.status = 'failed';
      gw.push('failed');
      await viewIs(el, 'failed');
      await el.updateComplete;
      assertScript(ln, 'failure', readable(el));

      // The overlay, then a popup the buyer closes.
      el.shadowRoot!.querySelector<HTMLButtonElement>('button[part~="button"]')!.click();
      await viewIs(el, 'picking');
      select(el, 'CRD');
      submit(el);
      await viewIs(el, 'redirecting');
      await el.updateComplete;
      assertScript(ln, 'overlay', readable(el) + ' ' + el.shadowRoot!.querySelector('[part="close"]')!.getAttribute('aria-label'));
      const original = window.open;
      const popup = { closed: false, close() { this.closed = true; } };
      window.open = (() => popup) as unknown as typeof window.open;
      restoreOpen = () => (window.open = original);
      (el as unknown as { openPopup(byClick: boolean): void }).openPopup(true);
      popup.closed = true;
      await waitUntil(() => el.shadowRoot!.querySelector('[data-popup="closed"]'), 'the closed popup');
      assertScript(ln, 'closed popup', readable(el));
      // Paid: the success view.
      gw.status = 'paid';
      gw.push('paid');
      await viewIs(el, 'done');
      await el.updateComplete;
      assertScript(ln, 'success', readable(el));
    });

    it(`${ln}: the shop's refusal and an error`, async () => {
      speak(ln);
      gw.createAnswers.push(declined(''));
      const el = await mount(ln);
      submit(el);
      await viewIs(el, 'refused');
      await el.updateComplete;
      assertScript(ln, 'refusal', readable(el));
      gw.formAnswer = networkDown();
      el.setAttribute('price', '200.0');
      await viewIs(el, 'error');
      await el.updateComplete;
      assertScript(ln, 'error', readable(el));
    });
  }
});
