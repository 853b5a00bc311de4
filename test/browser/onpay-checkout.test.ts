/// <reference types="mocha" />
import { expect, fixture, html, oneEvent, waitUntil } from '@open-wc/testing';
import { HttpResponse } from 'msw';
import '../../src/components/onpay-checkout/define.ts';
import type { OnpayCheckout } from '../../src/components/onpay-checkout/onpay-checkout.ts';
import { checkFailed, declined, fakeGateway, networkDown, worker, type FakeGateway } from './gateway-mock.ts';

type El = OnpayCheckout & { view: { name: string } };

const shadow = (el: Element) => el.shadowRoot!;
const q = <T extends Element = HTMLElement>(el: Element, sel: string) => shadow(el).querySelector<T>(sel);
const viewIs = (el: El, name: string) => waitUntil(() => el.view.name === name, `view ${name} (now ${el.view.name})`, { timeout: 5000 });
const text = (el: Element) => (shadow(el).textContent ?? '').replace(/\s+/g, ' ');
const radios = (el: Element) => [...shadow(el).querySelectorAll<HTMLElement>('[role="radio"]')];
const continueButton = (el: Element) => q<HTMLButtonElement>(el, 'button[type="submit"]')!;

async function mount(attrs = 'price="100.0" pay-for="42"', navigations: string[] = []): Promise<El> {
  const el = await fixture<El>(html`<div></div>`);
  el.innerHTML = `<onpay-checkout merchant-login="shop" ${attrs}></onpay-checkout>`;
  const checkout = el.firstElementChild as El;
  // Navigation away would end the test page: record it instead.
  (checkout as unknown as { navigate: (u: string) => void }).navigate = (u: string) => navigations.push(u);
  await viewIs(checkout, 'picking').catch(() => undefined);
  return checkout;
}

let gw: FakeGateway;
beforeEach(() => {
  worker.resetHandlers();
  gw = fakeGateway();
});

describe('<onpay-checkout> form', () => {
  it('loads the form from the gateway and shows the order and every way with its amount', async () => {
    const el = await mount('price="100.0" pay-for="42" note="<img src=x onerror=alert(1)>" ticker="RUR" params="onpay_ap_src=site&other=1"');
    expect(el.view.name).to.equal('picking');
    const query = gw.formRequests[0]!;
    expect(query.get('price')).to.equal('100.0');
    expect(query.get('pay_for')).to.equal('42');
    expect(query.get('onpay_ap_src')).to.equal('site');
    expect(query.has('other')).to.equal(false);
    expect(text(el)).to.include('Тестовый <b>магазин</b>');
    expect(text(el)).to.include('<img src=x onerror=alert(1)>');
    expect(q(el, 'img')).to.equal(null);
    expect(q(el, 'b')).to.equal(null);
    expect(radios(el).map((r) => r.dataset.way)).to.deep.equal(['CRD', 'USD', 'EUR']);
    expect(radios(el)[0]!.textContent).to.match(/102,00\s₽/);
    expect(radios(el)[1]!.textContent).to.match(/1,13\s\$/);
    await expect(el).to.be.accessible();
  });

  it('onpay-ap-* attributes become onpay_ap_* parameters, over params; adding one reloads the form, other attributes do not', async () => {
    const el = await mount('price="10" pay-for="ap" params="onpay_ap_src=site&onpay_ap_x=1" onpay-ap-src="attribute"');
    expect(gw.formRequests).to.have.length(1);
    const first = gw.formRequests[0]!;
    expect(first.get('onpay_ap_src')).to.equal('attribute');
    expect(first.get('onpay_ap_x')).to.equal('1');
    el.setAttribute('data-tracking', 'ignored');
    el.setAttribute('onpay-ap-campaign', 'winter');
    await waitUntil(() => gw.formRequests.length === 2, 'the form was loaded again', { timeout: 5000 });
    expect(gw.formRequests[1]!.get('onpay_ap_campaign')).to.equal('winter');
    el.setAttribute('onpay-ap-campaign', 'winter'); // the same value: nothing to do
    el.setAttribute('class', 'big');
    await new Promise((r) => setTimeout(r, 100));
    expect(gw.formRequests).to.have.length(2);
  });

  it('fires onpay-ready once the form is there', async () => {
    const holder = await fixture<HTMLDivElement>(html`<div></div>`);
    const ready = oneEvent(holder, 'onpay-ready');
    holder.innerHTML = '<onpay-checkout merchant-login="shop" price="5" pay-for="r"></onpay-checkout>';
    const e = await ready;
    expect(e.detail).to.deep.equal({ merchantLogin: 'shop', payFor: 'r', ways: ['CRD', 'USD', 'EUR'] });
  });

  it('is a radio group with one tab stop, driven by arrow keys', async () => {
    const el = await mount();
    const [a, b, c] = radios(el);
    expect([a, b, c].map((r) => r!.tabIndex)).to.deep.equal([0, -1, -1]);
    const selected: string[] = [];
    el.addEventListener('onpay-way-select', (e) => selected.push(e.detail.way));
    a!.focus();
    a!.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowDown', bubbles: true }));
    await el.updateComplete;
    await waitUntil(() => shadow(el).activeElement === b);
    expect(b!.getAttribute('aria-checked')).to.equal('true');
    expect(radios(el).map((r) => r.tabIndex)).to.deep.equal([-1, 0, -1]);
    b!.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowUp', bubbles: true }));
    await el.updateComplete;
    radios(el)[0]!.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowUp', bubbles: true }));
    await el.updateComplete;
    expect(radios(el)[2]!.getAttribute('aria-checked')).to.equal('true', 'ArrowUp from the first wraps to the last');
    expect(selected).to.deep.equal(['USD', 'CRD', 'EUR']);
  });

  it('reloads the form when an attribute changes', async () => {
    const el = await mount();
    el.setAttribute('price', '250.5');
    el.setAttribute('pay-for', '43');
    await waitUntil(() => gw.formRequests.length === 2, 'a second form request');
    await viewIs(el, 'picking');
    expect(gw.formRequests[1]!.get('price')).to.equal('250.5');
    expect(gw.formRequests[1]!.get('pay_for')).to.equal('43');
    expect(gw.formRequests.length).to.equal(2, 'two attributes changed, one reload');
  });

  it('takes a whole payment link in href', async () => {
    const el = await mount(`href="${location.origin}/pay/other?price=7&pay_for=77&ln=en&one_way=EUR"`);
    const query = gw.formRequests[0]!;
    expect(query.get('pay_for')).to.equal('77');
    expect(radios(el).map((r) => r.dataset.way)).to.deep.equal(['EUR']);
    expect(radios(el)[0]!.getAttribute('aria-checked')).to.equal('true');
    expect(text(el)).to.include('Continue');
  });

  it('speaks English with ln="en"', async () => {
    const el = await mount('price="100.0" pay-for="42" ln="en"');
    expect(text(el)).to.include('Payment method');
    expect(radios(el)[1]!.textContent).to.match(/\$1\.13/);
    await expect(el).to.be.accessible();
  });

  it('shows an error and retries when the gateway is down', async () => {
    gw.formAnswer = () => HttpResponse.error();
    const errors: string[] = [];
    document.addEventListener('onpay-error', (e) => errors.push(e.detail.code), { once: true });
    const el = await mount();
    await viewIs(el, 'error');
    expect(q(el, '[role="alert"]')!.textContent).to.include('недоступен');
    expect(errors).to.deep.equal(['network']);
    await expect(el).to.be.accessible();
    gw.formAnswer = null;
    (q<HTMLButtonElement>(el, 'button')!).click();
    await viewIs(el, 'picking');
  });

  it('says what the gateway refused (4xx) instead of a blank box', async () => {
    gw.formAnswer = () => HttpResponse.json({ error: { code: 'bad_signature', message: 'md5: the link signature does not match', field: 'md5' } }, { status: 403 });
    const el = await mount();
    await viewIs(el, 'error');
    expect(q(el, '[role="alert"]')!.textContent).to.include('md5: the link signature does not match');
  });

  it('asks for the amount in free mode and sends it', async () => {
    const el = await mount('pay-mode="free" pay-for="f1"');
    expect(radios(el)[0]!.textContent).not.to.match(/\d/);
    const input = q<HTMLInputElement>(el, '#amount')!;
    input.value = 'abc';
    input.dispatchEvent(new Event('input'));
    continueButton(el).click();
    await el.updateComplete;
    expect(q(el, '#amount-error')).to.not.equal(null);
    expect(input.getAttribute('aria-invalid')).to.equal('true');
    expect(gw.created.length).to.equal(0);
    input.value = '150,5';
    input.dispatchEvent(new Event('input'));
    continueButton(el).click();
    await waitUntil(() => gw.created.length === 1);
    expect(gw.created[0]!.body.amount).to.equal('150.5');
  });
});

describe('<onpay-checkout> continue', () => {
  it('sends only the token and the way in fix mode: the amount comes from the gateway\'s token', async () => {
    const el = await mount('price="100.0" pay-for="42" user-email="a@b.ru"');
    el.setAttribute('data-x', '1');
    continueButton(el).click();
    await waitUntil(() => gw.created.length === 1);
    expect(gw.created[0]!.body).to.deep.equal({ token: 'token-for-100.0', way: 'CRD', userEmail: 'a@b.ru' });
  });

  it('a double click makes one request with one idempotency key', async () => {
    gw.createAnswers.push(async () => {
      await new Promise((r) => setTimeout(r, 300));
      return HttpResponse.json({ error: { code: 'check_failed', message: 'x' } }, { status: 424 });
    });
    const el = await mount();
    continueButton(el).click();
    continueButton(el).click();
    q<HTMLFormElement>(el, 'form')!.requestSubmit();
    await el.updateComplete;
    expect(continueButton(el).disabled).to.equal(true);
    await viewIs(el, 'error');
    expect(gw.created.length).to.equal(1);
    expect(gw.created[0]!.key).to.match(/^[0-9a-f]{32}$/);
  });

  it('retries a request lost in the network with the same key, and a refused one with a new key', async () => {
    gw.createAnswers.push(networkDown(), checkFailed());
    const el = await mount();
    continueButton(el).click();
    await viewIs(el, 'error');
    q<HTMLButtonElement>(el, 'button')!.click();
    await viewIs(el, 'error');
    expect(q(el, '[role="alert"]')!.textContent).to.include('не подтвердил');
    q<HTMLButtonElement>(el, 'button')!.click();
    await waitUntil(() => gw.created.length === 3);
    const [k1, k2, k3] = gw.created.map((c) => c.key);
    expect(k1).to.equal(k2, 'the lost request is retried under its key');
    expect(k3).not.to.equal(k2, 'a refused attempt is not replayed');
  });

  it('shows the shop\'s refusal with its comment, and goes back', async () => {
    gw.createAnswers.push(declined('Заказ <i>отменён</i>'));
    const codes: string[] = [];
    const el = await mount();
    el.addEventListener('onpay-error', (e) => codes.push(e.detail.code));
    continueButton(el).click();
    await viewIs(el, 'refused');
    expect(q(el, '[role="alert"]')!.textContent).to.equal('Заказ <i>отменён</i>');
    expect(codes).to.deep.equal(['check_declined']);
    await el.updateComplete;
    expect(shadow(el).activeElement?.tagName).to.equal('H2', 'focus moves to the new view\'s heading');
    await expect(el).to.be.accessible();
    q<HTMLButtonElement>(el, 'button')!.click();
    await viewIs(el, 'picking');
    continueButton(el).click();
    await waitUntil(() => gw.created.length === 2);
    expect(gw.created[1]!.key).not.to.equal(gw.created[0]!.key);
  });

  it('keyboard only: arrow to a way, Enter pays', async () => {
    const el = await mount();
    const created: string[] = [];
    el.addEventListener('onpay-payment-created', (e) => created.push(e.detail.way));
    radios(el)[0]!.focus();
    radios(el)[0]!.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }));
    radios(el)[0]!.dispatchEvent(new KeyboardEvent('keydown', { key: 'ArrowRight', bubbles: true }));
    await el.updateComplete;
    radios(el)[2]!.dispatchEvent(new KeyboardEvent('keydown', { key: 'Enter', bubbles: true }));
    await viewIs(el, 'instructions');
    expect(created).to.deep.equal(['EUR']);
  });
});

describe('<onpay-checkout> instructions', () => {
  it('shows every detail as text, copyable, with a countdown, and follows the status live to success', async () => {
    const navigations: string[] = [];
    gw.urlSuccess = 'https://shop.example/ok';
    const el = await mount('price="100.0" pay-for="42" one-way="EUR"', navigations);
    const copied: string[] = [];
    Object.defineProperty(navigator, 'clipboard', { configurable: true, value: { writeText: async (s: string) => { copied.push(s); } } });
    continueButton(el).click();
    await viewIs(el, 'instructions');
    await el.updateComplete;
    expect(shadow(el).activeElement?.tagName).to.equal('H2', 'focus moves to the new view\'s heading');
    expect(text(el)).to.include('40702810900000012345');
    expect(text(el)).to.include('OP-7 <script>alert(1)</script>');
    expect(q(el, 'dd script')).to.equal(null);
    expect(q(el, '.countdown')!.textContent).to.match(/^2:00:0\d$/);
    const before = q(el, '.countdown')!.textContent;
    await waitUntil(() => q(el, '.countdown')!.textContent !== before, 'the countdown ticks', { timeout: 3000 });
    await expect(el).to.be.accessible();
    const copyAccount = [...shadow(el).querySelectorAll<HTMLButtonElement>('dd button')][1]!;
    copyAccount.click();
    await waitUntil(() => copied.length === 1);
    expect(copied).to.deep.equal(['40702810900000012345']);
    await waitUntil(() => (q(el, '[role="status"][aria-live]')!.textContent ?? '').includes('Скопировано'));
    // Seen as well as heard: the button itself says so for a moment, then is «Копировать» again.
    await waitUntil(() => ([...shadow(el).querySelectorAll('dd button')][1]!.textContent ?? '').includes('✓ Скопировано'), 'the button says copied');
    expect([...shadow(el).querySelectorAll('dd button')][0]!.textContent!.trim()).to.equal('Копировать', 'only the copied one');
    await waitUntil(() => [...shadow(el).querySelectorAll('dd button')][1]!.textContent!.trim() === 'Копировать', 'back to «Копировать»', { timeout: 5000 });
    const success = oneEvent(el, 'onpay-success');
    gw.push('paid');
    const e = await success;
    expect(e.detail.urlSuccess).to.equal('https://shop.example/ok');
    await viewIs(el, 'done');
    expect(text(el)).to.include('Оплата прошла');
    expect(navigations).to.deep.equal(['https://shop.example/ok']);
    await expect(el).to.be.accessible();
  });

  describe('copying without the clipboard API (a shop on plain http)', () => {
    const realExec = document.execCommand.bind(document);
    let execAnswer = true;
    let copiedByCommand: string[] = [];
    beforeEach(() => {
      Object.defineProperty(navigator, 'clipboard', { configurable: true, value: undefined });
      copiedByCommand = [];
      document.execCommand = ((command: string) => {
        if (command !== 'copy') return false;
        const selected = (document.activeElement?.shadowRoot?.activeElement ?? document.activeElement) as HTMLTextAreaElement | null;
        if (execAnswer) copiedByCommand.push(selected?.value ?? '');
        return execAnswer;
      }) as typeof document.execCommand;
    });
    afterEach(() => {
      document.execCommand = realExec;
    });

    async function instructions() {
      const el = await mount('price="100.0" pay-for="42" one-way="EUR"');
      continueButton(el).click();
      await viewIs(el, 'instructions');
      await el.updateComplete;
      return el;
    }
    const status = (el: El) => q(el, '[role="status"][aria-live]')!.textContent ?? '';

    it('copies the exact value with the copy command, leaving nothing behind', async () => {
      execAnswer = true;
      const el = await instructions();
      [...shadow(el).querySelectorAll<HTMLButtonElement>('dd button')][1]!.click();
      await waitUntil(() => status(el).includes('Скопировано'), 'announced as copied', { timeout: 5000 });
      expect(copiedByCommand).to.deep.equal(['40702810900000012345']);
      expect(q(el, 'textarea')).to.equal(null);
    });

    it('when even that fails, selects the value on screen and says to copy it by hand', async () => {
      execAnswer = false;
      const el = await instructions();
      [...shadow(el).querySelectorAll<HTMLButtonElement>('dd button')][1]!.click();
      await waitUntil(() => status(el).includes('скопируйте вручную'), 'announced', { timeout: 5000 });
      expect(getSelection()!.toString()).to.equal('40702810900000012345');
      expect(q(el, 'textarea')).to.equal(null);
      await expect(el).to.be.accessible();
    });
  });

  it('the shop may keep the buyer on the page: preventDefault on onpay-success', async () => {
    const navigations: string[] = [];
    gw.urlSuccess = 'https://shop.example/ok';
    const el = await mount('price="1" pay-for="p" one-way="EUR"', navigations);
    el.addEventListener('onpay-success', (e) => e.preventDefault());
    continueButton(el).click();
    await viewIs(el, 'instructions');
    gw.push('paid');
    await viewIs(el, 'done');
    expect(navigations).to.deep.equal([]);
  });

  it('falls back to polling when the event stream drops, and shows an expired payment as such', async () => {
    gw.events = 'drop';
    const el = await mount('price="1" pay-for="p" one-way="EUR"');
    const fail = oneEvent(el, 'onpay-fail');
    continueButton(el).click();
    await viewIs(el, 'instructions');
    await waitUntil(() => gw.statusRequests >= 1, 'polling started', { timeout: 5000 });
    gw.status = 'expired';
    const e = await fail;
    expect(e.detail.status).to.equal('expired');
    expect(e.detail.reason).to.equal('expired', 'the event carries the reason code');
    await viewIs(el, 'failed');
    expect(text(el)).to.include('Срок оплаты истёк');
    await expect(el).to.be.accessible();
  });
});

describe('<onpay-checkout> redirect', () => {
  it('opens the payment system in an overlay frame: a modal dialog with focus inside, Esc cancels', async () => {
    const el = await mount();
    continueButton(el).click();
    await viewIs(el, 'redirecting');
    await el.updateComplete;
    const dialog = q(el, '[role="dialog"]')!;
    expect(dialog.getAttribute('aria-modal')).to.equal('true');
    expect(q<HTMLIFrameElement>(el, 'iframe')!.src).to.include('/fixtures/payment-page.html');
    expect(shadow(el).activeElement?.getAttribute('part')).to.equal('close', 'focus starts on the close button');
    // Tab stays inside the dialog: the trap takes the key and keeps focus on the frame or the button.
    // (Compare tag names, not elements: a failing diff of an iframe would serialise its window.)
    for (const shiftKey of [false, true, false]) {
      const tab = new KeyboardEvent('keydown', { key: 'Tab', shiftKey, bubbles: true, cancelable: true });
      dialog.dispatchEvent(tab);
      expect(tab.defaultPrevented).to.equal(true);
      expect(['IFRAME', 'BUTTON']).to.include(shadow(el).activeElement?.tagName ?? 'none');
    }
    dialog.dispatchEvent(new KeyboardEvent('keydown', { key: 'Escape', bubbles: true }));
    await viewIs(el, 'picking');
    expect(q(el, '[role="dialog"]')).to.equal(null);
  });

  it('learns the outcome from the payment page by postMessage, from that frame only', async () => {
    const navigations: string[] = [];
    const el = await mount('price="100.0" pay-for="42"', navigations);
    continueButton(el).click();
    await viewIs(el, 'redirecting');
    const frame = q<HTMLIFrameElement>(el, 'iframe')!;
    await waitUntil(() => frame.contentDocument?.readyState === 'complete' && frame.contentDocument.title === 'Test payment system', 'the frame loaded');
    const id = (el.view as unknown as { payment: { id: string } }).payment.id;
    // A message from this window (not the frame) is ignored.
    window.postMessage({ type: 'onpay:result', id, status: 'paid' }, '*');
    await new Promise((r) => setTimeout(r, 100));
    expect(el.view.name).to.equal('redirecting');
    const fail = oneEvent(el, 'onpay-fail');
    // The frame's own script posts the result to its parent.
    new (frame.contentWindow as unknown as { Function: FunctionConstructor }).Function('id', "parent.postMessage({ type: 'onpay:result', id: id, status: 'failed' }, '*')")(id);
    const e = await fail;
    expect(e.detail.status).to.equal('failed');
    await viewIs(el, 'failed');
    expect(q(el, '[role="dialog"]')).to.equal(null);
    expect(text(el)).to.include('Оплата не прошла');
    await expect(el).to.be.accessible();
  });

  it('uses a popup when the frame does not load in time, and the whole page when popups are blocked', async () => {
    const opened: string[] = [];
    const original = window.open;
    window.open = ((url: string) => {
      opened.push(url);
      return opened.length === 1 ? ({ close() {} } as Window) : null;
    }) as typeof window.open;
    try {
      const navigations: string[] = [];
      const el = await mount('price="100.0" pay-for="42"', navigations);
      el.frameTimeoutMs = 0;
      continueButton(el).click();
      await waitUntil(() => opened.length === 1, 'a popup');
      await el.updateComplete;
      expect(q(el, '[role="dialog"]')).to.equal(null);
      expect(opened[0]).to.include('/fixtures/payment-page.html');
      // "Open again" with popups now blocked: the page itself goes to the payment system.
      q<HTMLButtonElement>(el, 'button')!.click();
      expect(navigations).to.have.length(1);
      expect(navigations[0]).to.include('/fixtures/payment-page.html');
    } finally {
      window.open = original;
    }
  });
});

describe('<onpay-checkout> script loaded twice', () => {
  it('defines the element once and does not throw on a second load', async () => {
    const first = customElements.get('onpay-checkout');
    // @ts-expect-error: a second copy of the module, as a second <script> tag would load.
    await import('../../src/components/onpay-checkout/define.ts?again');
    expect(customElements.get('onpay-checkout')).to.equal(first);
  });
});
