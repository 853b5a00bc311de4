/// <reference types="mocha" />
/**
 * The SBP bank chooser against the fake gateway (msw), in every language: its strings and the
 * announcement of what the search found, axe-clean; the list read from the gateway's
 * `/sbp/banks.json` once, or the provider's own list for the payment over it; a QR code that is not
 * NSPK's gets none; and the chunk's pure parts (links per platform, search, the last bank first).
 */
import { expect, fixture, html, waitUntil } from '@open-wc/testing';
import { http, HttpResponse } from 'msw';
import '../../src/components/onpay-checkout/define.ts';
import type { OnpayCheckout } from '../../src/components/onpay-checkout/onpay-checkout.ts';
import { format } from '../../src/components/onpay-checkout/messages/format.ts';
import be from '../../src/components/onpay-checkout/messages/be.ts';
import de from '../../src/components/onpay-checkout/messages/de.ts';
import en from '../../src/components/onpay-checkout/messages/en.ts';
import kk from '../../src/components/onpay-checkout/messages/kk.ts';
import uk from '../../src/components/onpay-checkout/messages/uk.ts';
import uz from '../../src/components/onpay-checkout/messages/uz.ts';
import { RU_INSTRUCTIONS } from '../../src/components/onpay-checkout/instructions.ts';
import { bankLink, matchesBank, orderBanks } from '../../src/components/onpay-checkout/sbp-banks.ts';
import type { SbpBank } from '../../src/protocol/checkout-api.ts';
import { fakeGateway, instructionsAction, worker } from './gateway-mock.ts';

type El = OnpayCheckout & { view: { name: string } };
const CATALOGUES = { ru: RU_INSTRUCTIONS, en, uk, kk, be, uz, de };
const shadow = (el: Element) => el.shadowRoot!;
const viewIs = (el: El, name: string) => waitUntil(() => el.view.name === name, `view ${name} (now ${el.view.name})`, { timeout: 5000 });

const SBER: SbpBank = { bankName: 'Сбербанк', schema: 'bank100000000111', package_name: 'ru.sberbankmobile' };
const TINKOFF: SbpBank = { bankName: 'Тинькофф', schema: 'bank100000000004', package_name: 'com.idamob.tinkoff.android' };
const ALFA: SbpBank = { bankName: 'Альфа-Банк', schema: 'bank100000000008', package_name: 'ru.alfabank.mobile.android' };
const RAIF: SbpBank = { bankName: 'Райффайзен Банк', schema: 'bank100000000007', package_name: 'ru.raiffeisennews' };
const GATEWAY_LIST = [SBER, TINKOFF, ALFA, RAIF];
const SIZE = 21;
const MODULES = '1'.repeat(SIZE * SIZE);
let seq = 0;

let listRequests = 0;
beforeEach(() => {
  worker.resetHandlers();
  fakeGateway();
  worker.use(http.get('*/sbp/banks.json', () => {
    listRequests++;
    return HttpResponse.json({ version: '1.0', retrieved: '2023-12-28', source: 'https://qr.nspk.ru/proxyapp/c2bmembers.json', dictionary: GATEWAY_LIST });
  }));
});

/** Mounts the element and pays by the instructions way, its QR code `payload` (and the provider's `banks`). */
async function showQr(attrs: string, payload: string, banks?: SbpBank[]): Promise<El> {
  worker.use(http.post('*/api/v1/payments', () => HttpResponse.json({
    id: `pay_sbp_${++seq}`, status: 'awaiting_payment', way: 'EUR', amount: '1.02', ticker: 'EUR', urlSuccess: '', urlFail: '',
    action: { ...instructionsAction(), qr: { payload, deepLink: payload, size: SIZE, modules: MODULES, ...(banks ? { banks } : {}) } },
  }, { status: 201 })));
  const holder = await fixture<HTMLDivElement>(html`<div></div>`);
  holder.innerHTML = `<onpay-checkout merchant-login="shop" price="100.0" pay-for="42" one-way="EUR" ${attrs}></onpay-checkout>`;
  const el = holder.firstElementChild as El;
  await viewIs(el, 'picking');
  await el.updateComplete;
  shadow(el).querySelector<HTMLButtonElement>('button[type="submit"]')!.click();
  await viewIs(el, 'instructions');
  await el.updateComplete;
  return el;
}

const nspk = () => `https://qr.nspk.ru/AS${String(++seq).padStart(30, '0')}?type=02&bank=100000000004&sum=102&cur=RUB&crc=ABCD`;
const shownSchemes = (el: El) => [...shadow(el).querySelectorAll<HTMLElement>('[part="bank"]')].filter((a) => !a.closest('li')!.hidden).map((a) => a.dataset.schema);

describe('<onpay-checkout> SBP bank chooser', () => {
  for (const [ln, t] of Object.entries(CATALOGUES)) {
    it(`speaks ${ln}: the fold, the search, what it found; axe-clean`, async () => {
      const el = await showQr(`ln="${ln}"`, nspk());
      const fold = shadow(el).querySelector<HTMLDetailsElement>('details[part="banks-fold"]')!;
      expect(fold.querySelector('summary')!.textContent).to.equal(t.banks);
      fold.open = true;
      await waitUntil(() => shadow(el).querySelector('[part="bank"]'), 'the list', { timeout: 5000 });
      expect(shadow(el).querySelector('label[for="sbp-search"]')!.textContent).to.equal(t.bankSearch);
      expect(shadow(el).querySelector('#sbp-banks')!.getAttribute('aria-labelledby')).to.equal('sbp-banks-title');
      expect(shadow(el).querySelector('#sbp-banks-title')!.textContent).to.equal(t.banks);
      const search = shadow(el).querySelector<HTMLInputElement>('#sbp-search')!;
      search.value = 'zzz';
      search.dispatchEvent(new Event('input'));
      await el.updateComplete;
      const none = format(t.banksFound!, ln, { count: 0 });
      expect(shadow(el).querySelector('[role="status"]')!.textContent).to.equal(none);
      expect(shadow(el).querySelector('.banks p.muted')!.textContent).to.equal(none);
      expect(none).to.not.match(/[{}#]/);
      search.value = 'сбер';
      search.dispatchEvent(new Event('input'));
      await el.updateComplete;
      expect(shadow(el).querySelector('[role="status"]')!.textContent).to.equal(format(t.banksFound!, ln, { count: 1 }));
      await expect(el).to.be.accessible();
    });
  }

  it('reads the gateway\'s list once for the page; the provider\'s own list for a payment wins over it', async () => {
    const before = listRequests;
    // A gateway of its own: the list of another one may already be in this page's memory.
    const gw = 'gateway="https://gw-once.example"';
    const a = await showQr(gw, nspk());
    shadow(a).querySelector<HTMLDetailsElement>('details')!.open = true;
    await waitUntil(() => shownSchemes(a).length === GATEWAY_LIST.length, 'the gateway\'s list');
    const b = await showQr(gw, nspk());
    await waitUntil(() => shownSchemes(b).length === GATEWAY_LIST.length, 'the same list again');
    expect(listRequests - before).to.equal(1);
    const own: SbpBank[] = [{ bankName: 'Банк провайдера', schema: 'bank100000000999' }, { bankName: 'Злой банк', schema: 'javascript' }];
    const c = await showQr(gw, nspk(), own);
    await waitUntil(() => shownSchemes(c).length > 0, 'the provider\'s list');
    expect(shownSchemes(c)).to.deep.equal(['bank100000000999'], 'the provider\'s banks only, a scheme that is not a bank\'s dropped');
    expect(listRequests - before).to.equal(1);
  });

  it('a QR code that is not an NSPK link gets no chooser', async () => {
    const el = await showQr('', 'https://pay.example/qr/1');
    expect(shadow(el).querySelector('svg[part="qr"]')).to.not.equal(null);
    expect(shadow(el).querySelector('[part="banks"]')).to.equal(null);
  });

  it('with no list to be had, the chooser hides and the QR code and NSPK\'s link stay', async () => {
    worker.use(http.get('*/sbp/banks.json', () => new HttpResponse(null, { status: 503 })));
    const el = await showQr('gateway="https://gw.example"', nspk());
    const box = shadow(el).querySelector<HTMLElement>('[part="banks"]')!;
    await waitUntil(() => box.hidden, 'the box hidden');
    expect(shadow(el).querySelector<HTMLElement>('details[part="banks-fold"]')!.hidden).to.equal(true, 'and its fold');
    expect(getComputedStyle(shadow(el).querySelector('details[part="banks-fold"]')!).display).to.equal('none');
    expect(shadow(el).querySelector('.app a')).to.not.equal(null);
  });
});

describe('the chooser\'s parts', () => {
  const link = 'https://qr.nspk.ru/AS1000ABC?type=02&bank=100000000004&sum=15000&cur=RUB&crc=0F0F';

  it('links a bank\'s app: iOS by its scheme, Android by an intent naming its package, else NSPK\'s link', () => {
    expect(bankLink(SBER, link, false)).to.equal('bank100000000111://qr.nspk.ru/AS1000ABC?type=02&bank=100000000004&sum=15000&cur=RUB&crc=0F0F');
    expect(bankLink(SBER, link, true)).to.equal(
      `intent://qr.nspk.ru/AS1000ABC?type=02&bank=100000000004&sum=15000&cur=RUB&crc=0F0F#Intent;scheme=https;package=ru.sberbankmobile;S.browser_fallback_url=${encodeURIComponent(link)};end`);
    expect(bankLink({ bankName: 'Без пакета', schema: 'bank1' }, link, true)).to.equal(link);
    expect(bankLink({ bankName: 'Плохой пакет', schema: 'bank1', package_name: 'x;end' }, link, true)).to.equal(link);
    expect(bankLink(SBER, `${link}#x;package=evil`, true)).to.equal(`${link}#x;package=evil`, 'no intent around a link with its own #');
  });

  it('finds a bank by part of its name, in Russian or Latin letters, whatever the case, spaces and hyphens', () => {
    const found = (q: string) => GATEWAY_LIST.filter((b) => matchesBank(b, q)).map((b) => b.bankName);
    expect(found('СБЕР')).to.deep.equal(['Сбербанк']);
    expect(found('sber')).to.deep.equal(['Сбербанк']);
    expect(found('tinkoff')).to.deep.equal(['Тинькофф']);
    expect(found('альфа банк')).to.deep.equal(['Альфа-Банк']);
    expect(found('Alfa-bank')).to.deep.equal(['Альфа-Банк']);
    expect(found('raiffeisen')).to.deep.equal(['Райффайзен Банк']);
    expect(found('банк')).to.deep.equal(['Сбербанк', 'Альфа-Банк', 'Райффайзен Банк']);
    expect(found('')).to.have.length(4);
  });

  it('puts the last bank first and keeps the others in the list\'s order', () => {
    expect(orderBanks(GATEWAY_LIST, ALFA.schema).map((b) => b.bankName)).to.deep.equal(['Альфа-Банк', 'Сбербанк', 'Тинькофф', 'Райффайзен Банк']);
    expect(orderBanks(GATEWAY_LIST, 'bank-gone')).to.deep.equal(GATEWAY_LIST);
    expect(orderBanks(GATEWAY_LIST, null)).to.deep.equal(GATEWAY_LIST);
  });
});
