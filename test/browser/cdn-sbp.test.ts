/**
 * The SBP bank chooser from the built CDN scripts: the classic script loads the instructions view's
 * chunk and, through it, the chooser's chunk from beside itself, and the list comes from the
 * gateway the script came from (another origin than the page, as on a shop).
 */
import { expect, fixture, html, waitUntil } from '@open-wc/testing';
import { http, HttpResponse } from 'msw';
import { fakeGateway, instructionsAction, worker } from './gateway-mock.ts';
import { SCRIPT_ORIGIN, loadScript, pageErrors } from './cdn-helpers.ts';

type El = HTMLElement & { view: { name: string } };

describe('the SBP bank chooser from the CDN classic build', () => {
  it('loads its chunk beside the script and reads the list from the script\'s gateway', async () => {
    worker.resetHandlers();
    fakeGateway();
    const listUrls: string[] = [];
    const link = 'https://qr.nspk.ru/AS1000CDN0000000000000000000000?type=02&bank=100000000004&sum=102&cur=RUB&crc=ABCD';
    worker.use(
      http.get('*/sbp/banks.json', ({ request }) => {
        listUrls.push(request.url);
        return HttpResponse.json({ version: '1.0', dictionary: [{ bankName: 'Сбербанк', schema: 'bank100000000111', package_name: 'ru.sberbankmobile' }] });
      }),
      http.post('*/api/v1/payments', () => HttpResponse.json({
        id: 'pay_cdn_sbp', status: 'awaiting_payment', way: 'EUR', amount: '1.02', ticker: 'EUR', urlSuccess: '', urlFail: '',
        action: { ...instructionsAction(), qr: { payload: link, deepLink: link, size: 1, modules: '1' } },
      }, { status: 201 })),
    );
    await loadScript(`${SCRIPT_ORIGIN}/dist/cdn/onpay-checkout.iife.js`, false);
    const holder = await fixture<HTMLDivElement>(html`<div></div>`);
    holder.innerHTML = '<onpay-checkout merchant-login="shop" price="100.0" pay-for="8" one-way="EUR"></onpay-checkout>';
    const el = holder.firstElementChild as El;
    await waitUntil(() => el.view?.name === 'picking', 'the form loaded', { timeout: 5000 });
    el.shadowRoot!.querySelector<HTMLButtonElement>('button[type="submit"]')!.click();
    await waitUntil(() => el.shadowRoot!.querySelector('details[part="banks-fold"]'), 'the instructions with the folded chooser', { timeout: 5000 });
    await waitUntil(() => el.shadowRoot!.querySelector('[part="bank"]'), 'the list', { timeout: 5000 });
    const bank = el.shadowRoot!.querySelector<HTMLAnchorElement>('[part="bank"]')!;
    expect(listUrls.map((u) => new URL(u).origin)).to.deep.equal([SCRIPT_ORIGIN]);
    expect(bank.getAttribute('href')).to.equal(link.replace(/^https:/, 'bank100000000111:'));
    expect([...document.querySelectorAll('script')].some((s) => s.src.includes('sbp-banks'))).to.equal(false, 'a dynamic import, not a script tag');
    // The chooser came from its chunk: neither the classic script nor the module carries it.
    for (const file of ['onpay-checkout.iife.js', 'onpay-checkout.js']) {
      expect(await (await fetch(`${SCRIPT_ORIGIN}/dist/cdn/${file}`)).text()).to.not.include('onpay-sbp-bank', file);
    }
    expect(await (await fetch(`${SCRIPT_ORIGIN}/dist/cdn/onpay-checkout.sbp-banks.js`)).text()).to.include('onpay-sbp-bank');
    expect(pageErrors).to.deep.equal([]);
  });
});
