import { LitElement, html, type PropertyValues, type TemplateResult } from 'lit';
import { EXTRA_ATTRIBUTE_PREFIX as EXTRA_PREFIX } from '../../protocol/link-params.ts';
import { resolveLanguage, type Language } from '../../protocol/languages.ts';
import { ApiError, createPayment, getPayment, isFinal, loadForm, type FinalStatus } from './api.ts';
import type { FailureReason, FormPayload, PaymentView as Payment } from '../../protocol/checkout-api.ts';
import { emit } from './events.ts';
// «Выбрать другой способ» (issue 22): the one call only the instructions view makes.
import { abandonPayment } from './api.ts';
import type { Messages } from './messages/format.ts';
import { loadFailure, loadFollow, loadHeld, loadInstructions, loadOrderItems, loadPopup } from './messages/load.ts';
import type { HeldHost } from './held.ts';
import ru from './messages/ru.ts';
import {
  AMOUNT_RE, catalogue, FRAME_TIMEOUT_MS, linkQueryOf, OBSERVED, POPUP_WATCH_MS, randomKey, REASON_RECHECK_MS, SCRIPT_ORIGIN, type Checkout, type FailureView, type View,
} from './internal/checkout-state.ts';
import { styles } from './onpay-checkout.styles.ts';

export type { Checkout, View } from './internal/checkout-state.ts';
import { renderView } from './internal/render-view.ts';

/**
 * The Onpay-compatible checkout: shows the merchant's order and the payment systems, creates the
 * payment when the buyer presses «Продолжить», and takes the buyer through the payment system
 * without leaving the shop's page.
 *
 * @summary Drop-in checkout for the onpay-checkout gateway.
 * @tag onpay-checkout
 *
 * @attr gateway - The gateway's URL; defaults to the origin the script was loaded from.
 * @attr merchant-login - The merchant's login.
 * @attr href - A whole payment link (`{gateway}/pay/{login}?…`) instead of the attributes below.
 * @attr pay-mode - `fix` (default) or `free` (the buyer types the amount).
 * @attr price - The amount in `ticker`, e.g. `100.0`.
 * @attr ticker - The currency of the price, `RUR` by default.
 * @attr pay-for - The merchant's order id.
 * @attr convert - `yes` (default) or `no`.
 * @attr note - A comment shown to the buyer and passed to the merchant.
 * @attr ln - The language: `ru` (default), `en`, `uk`, `kk`, `be`, `uz`, `de`; any other falls back to `ru` for the post-Soviet ones, else `en`.
 * @attr url-success - Where the buyer goes after paying.
 * @attr url-fail - Where the buyer goes when the payment fails.
 * @attr user-email - The buyer's e-mail, prefilled.
 * @attr user-phone - The buyer's phone.
 * @attr price-final - `true`: the merchant pays the fees.
 * @attr one-way - Show only this payment system (its code, e.g. `CRD`).
 * @attr md5 - The link signature `md5("pay_mode;price;ticker;pay_for;convert;K")`.
 * @attr params - Extra `onpay_ap_*` parameters as a query string, e.g. `onpay_ap_source=site`.
 * @attr onpay-ap-* - One extra parameter each: `onpay-ap-source="site"` sends `onpay_ap_source=site`.
 * @attr theme - `light` or `dark`; by default the buyer's system setting.
 * @attr fail-redirect - `immediate`: a failed payment goes straight to `url-fail` (the old behaviour) instead of the failure view.
 *
 * @event onpay-ready - The form is loaded. `detail: {merchantLogin, payFor, ways}`.
 * @event onpay-way-select - The buyer picked a payment system. `detail: {way}`.
 * @event onpay-payment-created - The payment was created after the shop's CHECK. `detail: {id, way, amount, ticker}`.
 * @event onpay-success - Paid. Cancelable: `preventDefault()` keeps the buyer here instead of going to `url-success`.
 * @event onpay-authorized - The money is held on the card (a manual-capture payment): the shop captures it later. The element says so in the buyer's language and stays. `detail: {id, urlSuccess}`.
 * @event onpay-fail - Failed, expired or refused. `detail: {id, status, reason, urlFail}`, `reason` a code (`declined`, `insufficient_funds`, `3ds_failed`, `expired`, `check_declined`, …). The failure view says why; with `fail-redirect="immediate"` the buyer goes to `url-fail` at once unless `preventDefault()` is called.
 * @event onpay-error - Something went wrong. `detail: {code, message}` with a stable `code`.
 *
 * @csspart heading - Each view's heading.
 * @csspart badge - The «Тестовый режим» badge of a test merchant's form.
 * @csspart qr - The QR code of instructions that have one.
 * @csspart qr-fold - «Показать QR-код» on a phone: the SBP QR code folded under the bank chooser, or a wallet's under its app button (a `<details>`).
 * @csspart banks - The SBP bank chooser (a search field over the list of banks), for an NSPK QR code.
 * @csspart banks-fold - The bank chooser folded under the QR code on a desktop (a `<details>`).
 * @csspart bank-list - The chooser's list of banks.
 * @csspart bank - One bank: a link that opens its app at the payment.
 * @csspart app - The button opening a bank app's wallet (T-Pay, SberPay) on a phone, the wallet's QR code folded under `qr-fold`.
 * @csspart form - The payment form.
 * @csspart ways - The payment-system radio group.
 * @csspart way - One payment system.
 * @csspart button - Buttons.
 * @csspart another - «Выбрать другой способ» in the instructions view (leaves the waiting payment).
 * @csspart instructions - The payment instructions list.
 * @csspart items - «Состав заказа»: the order's lines from its fiscal receipt, collapsed (a `<details>`).
 * @csspart item - One line of «Состав заказа».
 * @csspart overlay - The backdrop of the payment system's window.
 * @csspart frame - The payment system's frame.
 * @csspart close - The overlay's close button.
 * @csspart link - «Вернуться в магазин» of the failure and refusal views (to `url-fail`).
 *
 * @cssprop --onpay-accent - Buttons and the chosen payment system.
 * @cssprop --onpay-background - Background.
 * @cssprop --onpay-color - Text colour.
 * @cssprop --onpay-muted - Secondary text.
 * @cssprop --onpay-border - Borders.
 * @cssprop --onpay-danger - Errors.
 * @cssprop --onpay-success - Success.
 * @cssprop --onpay-radius - Corner radius.
 * @cssprop --onpay-font - Font shorthand.
 * @cssprop --onpay-max-width - Maximum width (32rem).
 * @cssprop --onpay-min-height - Height reserved while loading (18rem), so the page does not jump.
 * @cssprop --onpay-overlay - The overlay's backdrop colour.
 *
 * @slot messages - `<script type="application/json" slot="messages">{"cont": "Оплатить"}</script>`: strings over the language's own.
 */
export class OnpayCheckout extends LitElement {
  static override styles = styles;
  static override properties = {
    view: { state: true },
    now: { state: true },
    drawItems: { state: true },
    announcement: { state: true },
    strings: { state: true },
    messages: { attribute: false },
  };

  static override get observedAttributes(): string[] {
    return [...super.observedAttributes, ...OBSERVED];
  }

  declare view: View;
  declare now: number;
  /** «Состав заказа»'s chunk, once a form with lines asked for it. */
  declare drawItems: Awaited<ReturnType<typeof loadOrderItems>> | undefined;
  declare announcement: string;
  /** The language's catalogue in use. */
  declare strings: Messages;
  /**
   * Strings over the language's own, by key (see `messages/ru.ts`), ICU-style placeholders kept:
   * `el.messages = { cont: 'Оплатить' }`. Over a `slot="messages"` JSON child too.
   */
  declare messages: Partial<Messages> | undefined;

  /** How long the payment system's page may take to load in the frame before a popup is tried. */
  frameTimeoutMs = FRAME_TIMEOUT_MS;
  private gatewayUrl = SCRIPT_ORIGIN;
  private language: Language = 'ru';
  /** The `<script type="application/json" slot="messages">` child's strings, read at each load. */
  private slotted: Partial<Messages> = {};
  /** The idempotency key of the current attempt: kept for a retry of the same attempt, new for a new one. */
  private attemptKey: string | undefined;
  private stopFollowing: (() => void) | undefined;
  private frameTimer: ReturnType<typeof setTimeout> | undefined;
  private tick: ReturnType<typeof setInterval> | undefined;
  private popup: Window | null = null;
  private popupWatch: ReturnType<typeof setInterval> | undefined;
  private reloadQueued = false;
  private extraObserver: MutationObserver | undefined;
  private loadSeq = 0;
  private moveFocus = false;
  /** The choice of the attempt under way, for «Попробовать другой способ». */
  private checkout: Checkout | undefined;
  /** A failure's reason is being read: a second final report waits for it. */
  private finishing = false;

  constructor() {
    super();
    this.view = { name: 'loading' };
    this.now = Date.now();
    this.announcement = '';
    this.strings = ru;
  }

  override connectedCallback(): void {
    super.connectedCallback();
    // `onpay-ap-*` names cannot be listed in observedAttributes: watch them here.
    this.extraObserver ??= new MutationObserver((records) => {
      if (records.some((r) => r.attributeName?.startsWith(EXTRA_PREFIX) && r.oldValue !== this.getAttribute(r.attributeName))) this.queueReload();
    });
    this.extraObserver.observe(this, { attributes: true, attributeOldValue: true });
    this.queueReload();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.extraObserver?.disconnect();
    this.stopFollowing?.();
    this.clearTimers();
  }

  override attributeChangedCallback(name: string, old: string | null, value: string | null): void {
    super.attributeChangedCallback(name, old, value);
    // Any link attribute changing reloads the form (once per task, however many changed).
    if (OBSERVED.includes(name) && old !== value && this.isConnected) this.queueReload();
  }

  private queueReload(): void {
    if (this.reloadQueued) return;
    this.reloadQueued = true;
    queueMicrotask(() => {
      this.reloadQueued = false;
      void this.load();
    });
  }

  private async load(): Promise<void> {
    const seq = ++this.loadSeq;
    this.stopFollowing?.();
    this.clearTimers();
    this.attemptKey = undefined;
    this.view = { name: 'loading' };
    const { gateway, login, query } = linkQueryOf(this);
    this.gatewayUrl = gateway;
    try {
      this.slotted = JSON.parse(this.querySelector('script[slot="messages"]')?.textContent || '{}') as Partial<Messages>;
    } catch {
      // Not JSON: the language's own strings stay.
    }
    const lang = resolveLanguage(query.get('ln'));
    // The language's chunk comes while the form does.
    const strings = catalogue(lang);
    const use = async () => {
      const s = await strings;
      if (seq === this.loadSeq) [this.language, this.strings] = [lang, s];
    };
    if (!login) return use().then(() => this.fail({ code: 'config', message: 'merchant-login' }));
    try {
      // The first load starts from the payload the page embedded (the hosted page, a shop's server), if any.
      const embedded = seq < 2 && this.querySelector('script[slot="payload"]')?.textContent;
      const form = embedded ? (JSON.parse(embedded) as FormPayload) : await loadForm(gateway, login, query);
      await use();
      if (seq !== this.loadSeq) return;
      const checkout: Checkout = { form, selected: form.ways[0]?.code ?? '', email: form.userEmail, amount: '', amountError: false };
      this.view = { name: 'picking', checkout };
      // What is needed only after «Продолжить»: asked for once the picker is on show.
      loadFollow().catch(() => {});
      if (form.ways.some((w) => w.kind === 'redirect')) loadPopup().catch(() => {});
      // The lines' chunk comes after the form: the buyer can pay before it arrives.
      if ((form.order.items?.length || form.saveMethod) && !this.drawItems) loadOrderItems().then((draw) => (this.drawItems = draw), () => {});
      emit(this, 'onpay-ready', { merchantLogin: form.merchant.login, payFor: form.order.payFor, ways: form.ways.map((w) => w.code) });
      if (form.pending) this.resume(form.pending, checkout);
    } catch (e) {
      await use();
      if (seq === this.loadSeq) this.fail(e);
    }
  }

  /** The error view; with the checkout, its retry is the same attempt again. */
  private fail(e: unknown, checkout?: Checkout): void {
    const code = e instanceof ApiError || (typeof e === 'object' && e !== null && 'code' in e) ? String((e as { code: string }).code) : 'network';
    const message = e instanceof Error ? e.message : String((e as { message?: string }).message ?? '');
    this.setView(checkout && code !== 'token_expired' ? { name: 'error', code, message, retry: 'submit', checkout } : { name: 'error', code, message, retry: 'load' });
    emit(this, 'onpay-error', { code, message });
  }

  private setView(view: View, focus = true): void {
    this.view = view;
    this.moveFocus = focus;
  }

  /** Changes what the buyer is choosing, in the picking view only. */
  private patch(change: Partial<Checkout>): void {
    if (this.view.name === 'picking') this.view = { name: 'picking', checkout: { ...this.view.checkout, ...change } };
  }

  private select(code: string, focus: boolean): void {
    if (this.view.name !== 'picking' || code === this.view.checkout.selected) return;
    this.patch({ selected: code });
    this.attemptKey = undefined;
    emit(this, 'onpay-way-select', { way: code });
    if (focus) void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>(`#way-${code}`)?.focus());
  }

  private async submit(): Promise<void> {
    // One attempt at a time: a double click finds the view already submitting.
    if (this.view.name !== 'picking') return;
    const checkout = this.view.checkout;
    const { form, amount, email, selected } = checkout;
    const free = form.order.mode === 'free';
    // Checked as text (money is never a float here): the format, and a non-zero digit somewhere.
    if (free && (!AMOUNT_RE.test(amount.trim()) || !/[1-9]/.test(amount))) {
      this.patch({ amountError: true });
      void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>('#amount')?.focus());
      return;
    }
    const sent = { ...checkout, amountError: false };
    this.attemptKey ??= randomKey();
    this.view = { name: 'submitting', checkout: sent };
    const body: Record<string, unknown> = { token: form.token, way: selected };
    if (email) body.userEmail = email;
    if (free) body.amount = amount.trim().replace(',', '.');
    // The consent (issue 26), kept on the payload by the items chunk's box; undefined is left out of the JSON.
    body.saveMethod = (form as { save?: true }).save;
    // A saved card chosen in the same chunk (issue 26): its way and `savedMethod` over the body.
    Object.assign(body, (form as { use?: object }).use);
    try {
      const payment = await createPayment(this.gatewayUrl, body, this.attemptKey);
      emit(this, 'onpay-payment-created', { id: payment.id, way: payment.way, amount: payment.amount, ticker: payment.ticker });
      this.start(payment, sent);
    } catch (e) {
      const code = e instanceof ApiError ? e.code : 'network';
      // A network failure or a request still in progress is retried with the same key (no second
      // payment); anything the gateway answered for good needs a new attempt.
      if (code !== 'network' && code !== 'idempotency_conflict') this.attemptKey = undefined;
      if (code === 'check_declined') {
        this.setView({ name: 'refused', checkout: sent, comment: e instanceof ApiError ? e.comment : '' });
        emit(this, 'onpay-error', { code, message: e instanceof Error ? e.message : '' });
      } else {
        this.fail(e, sent);
      }
    }
  }

  /**
   * The order's payment still waiting with instructions (a reload): shown again, the same
   * instructions and amount, followed live, instead of the picker and a second payment.
   */
  private resume(pending: NonNullable<FormPayload['pending']>, checkout: Checkout): void {
    const c = { ...checkout, selected: pending.way };
    this.view = { name: 'submitting', checkout: c };
    // What the element reads of a payment: its id, action and return URLs (the form's).
    this.start({ ...pending, urlSuccess: c.form.urlSuccess, urlFail: c.form.urlFail } as Payment, c);
  }

  /**
   * «Выбрать другой способ»: the gateway leaves the payment (cancelled at its provider where it
   * allows), then the picker returns. A payment paid meanwhile is not left: its status finishes it.
   */
  private async another(): Promise<void> {
    const v = this.view;
    if (v.name !== 'instructions') return;
    // The payment becomes `failed` as abandoned: that status, streamed before the answer, is not
    // the buyer's failure (no onpay-fail, no url_fail). Not followed while the gateway answers.
    this.stopFollowing?.();
    try {
      await abandonPayment(this.gatewayUrl, v.payment.id, v.checkout.form.token);
    } catch (e) {
      if (this.view !== v) return;
      // Not left (paid meanwhile, or no answer): its own status decides again.
      this.follow(v.payment);
      this.fail(e);
      return;
    }
    if (this.view !== v) return;
    this.stopFollowing = undefined;
    this.clearTimers();
    this.attemptKey = undefined;
    this.setView({ name: 'picking', checkout: v.checkout });
  }

  /** Hands the buyer to the payment system and follows the payment to its end. */
  private start(payment: Payment, checkout: Checkout): void {
    this.checkout = checkout;
    // A saved card's payment may be answered `paid` at once: done, with nothing to follow.
    if (isFinal(payment.status)) return this.finish(payment, payment.status);
    this.follow(payment);
    const action = payment.action;
    if (action?.type === 'instructions') {
      // Still «submitting» while the view's chunk comes; a payment finished meanwhile shows done.
      loadInstructions().then((draw) => {
        if (this.view.name !== 'submitting') return;
        this.now = Date.now();
        this.tick = setInterval(() => (this.now = Date.now()), 1000);
        this.setView({ name: 'instructions', payment, action, draw, checkout });
      }, (e: unknown) => this.fail(e, checkout));
    } else if (action?.type === 'redirect') {
      // The chunk was asked for when the picker showed: usually here already.
      loadPopup().then((draw) => {
        if (this.view.name !== 'submitting') return;
        this.setView({ name: 'redirecting', checkout, payment, url: action.url, framed: action.frame !== false, draw });
        // A page that refuses framing goes to a popup at once, while the buyer's click still counts.
        if (action.frame === false) this.openPopup(false);
        else this.frameTimer = setTimeout(() => this.openPopup(false), this.frameTimeoutMs);
      }, (e: unknown) => this.fail(e, checkout));
    }
  }

  /** Follows the payment's status live; a final one finishes the checkout. */
  private follow(payment: Payment): void {
    this.stopFollowing?.();
    // The chunk was asked for when the picker showed; stopped before it came, nothing starts.
    let stop: (() => void) | undefined;
    let stopped = false;
    this.stopFollowing = () => {
      stopped = true;
      stop?.();
    };
    loadFollow().then((followStatus) => {
      if (!stopped) stop = followStatus(this.gatewayUrl, payment.id, (status) => {
        if (isFinal(status)) this.finish(payment, status);
      });
    }, (e: unknown) => !stopped && this.fail(e, this.checkout));
  }

  /**
   * The frame did not load: a popup, and failing that the whole page goes to the payment system.
   * Browsers block a popup opened from a timer (the buyer's click is seconds old by then), so a
   * blocked one first offers the «open» button, whose click may open it; only a popup blocked
   * even then takes the whole page.
   */
  private openPopup(byClick: boolean): void {
    if (this.view.name !== 'redirecting') return;
    const { url } = this.view;
    this.popup = window.open(url, 'onpay-payment', 'popup,width=520,height=720');
    if (!this.popup && byClick) {
      this.navigate(url);
      return;
    }
    // The overlay (and its focused close button) goes away: focus moves to the view's heading.
    this.setView({ ...this.view, framed: false, closed: false });
    // A popup closed before the payment ended is noticed within a second: «Открыть снова» or
    // «Выбрать другой способ» instead of «Завершите оплату в открывшемся окне». The payment is still
    // followed meanwhile, so one paid just before the window closed still ends as paid.
    clearInterval(this.popupWatch);
    const popup = this.popup;
    this.popupWatch = popup ? setInterval(() => {
      if (!popup.closed) return;
      clearInterval(this.popupWatch);
      if (this.view.name === 'redirecting' && this.popup === popup) {
        this.popup = null;
        this.setView({ ...this.view, closed: true });
      }
    }, POPUP_WATCH_MS) : undefined;
  }

  private finish(payment: Payment, status: FinalStatus): void {
    if (this.view.name === 'done' || this.view.name === 'failed' || this.finishing) return;
    this.stopFollowing?.();
    this.stopFollowing = undefined;
    this.clearTimers();
    this.popup?.close();
    if (status === 'paid') {
      this.setView({ name: 'done', payment, status });
      if (emit(this, 'onpay-success', { id: payment.id, urlSuccess: payment.urlSuccess }, true) && payment.urlSuccess) this.navigate(payment.urlSuccess);
    } else if (status === 'authorized') {
      // The money held (a manual-capture payment): its chunk says so and fires `onpay-authorized`.
      this.finishing = true;
      void loadHeld().then((show) => show(this as unknown as HeldHost, payment));
    } else void this.explainFailure(payment, status);
  }

  /**
   * A payment that ended without money: its reason read from the gateway (the status stream carries
   * only the status), then `onpay-fail` with it; the failure view, or with `fail-redirect="immediate"`
   * straight to `url_fail` as before.
   */
  private async explainFailure(payment: Payment, status: Exclude<FinalStatus, 'paid'>): Promise<void> {
    this.finishing = true;
    let view: Payment = payment;
    try {
      view = await getPayment(this.gatewayUrl, payment.id);
    } catch {
      // Unreachable now: the reason stays unknown; the failure is still shown.
    }
    let draw: FailureView;
    try {
      draw = await loadFailure();
    } catch (e) {
      // No chunk, no network: said as such («Повторить» loads the form, which shows the order's state).
      this.finishing = false;
      this.fail(e);
      return;
    }
    this.finishing = false;
    const reason: FailureReason = view.reason ?? (status === 'expired' ? 'expired' : 'unknown');
    this.setView({ name: 'failed', payment: view, status, reason, comment: view.comment ?? '', checkout: this.checkout, draw });
    const go = emit(this, 'onpay-fail', { id: payment.id, status, reason, urlFail: payment.urlFail }, true);
    if (go && payment.urlFail && this.getAttribute('fail-redirect') === 'immediate') {
      this.navigate(payment.urlFail);
      return;
    }
    // The buyer often returns before the provider's notification, which may name the reason more
    // precisely (insufficient funds where a status read said only "declined"): one more look.
    if (reason === 'declined' || reason === 'unknown') {
      setTimeout(() => void getPayment(this.gatewayUrl, payment.id).then((later) => {
        const v = this.view;
        if (v.name === 'failed' && v.payment.id === payment.id && later.reason) this.view = { ...v, reason: later.reason };
      }, () => {}), REASON_RECHECK_MS);
    }
  }

  /** «Попробовать другой способ»: back to the picker with the same choice, or the form anew. */
  private chooseOther(checkout: Checkout | undefined): void {
    this.attemptKey = undefined;
    if (checkout) this.setView({ name: 'picking', checkout });
    else void this.load();
  }

  /** Takes the whole page to a URL (the shop's success / fail page, or the payment system as a last resort). */
  protected navigate(url: string): void {
    location.assign(url);
  }

  /** Retries what failed: loading the form, or the same payment attempt (same key when it may have gone through). */
  private retry(): void {
    const v = this.view;
    if (v.name !== 'error' || v.retry === 'load') {
      void this.load();
      return;
    }
    this.view = { name: 'picking', checkout: v.checkout };
    void this.submit();
  }

  /** Esc or ✕ on the overlay: back to the choice. The payment, left unpaid, expires by itself. */
  private closeOverlay(checkout: Checkout): void {
    if (this.view.name !== 'redirecting') return;
    this.clearTimers();
    this.popup?.close();
    this.popup = null;
    this.attemptKey = undefined;
    this.setView({ name: 'picking', checkout });
  }

  private clearTimers(): void {
    clearTimeout(this.frameTimer);
    clearInterval(this.tick);
    clearInterval(this.popupWatch);
    this.frameTimer = undefined;
    this.tick = undefined;
  }

  protected override updated(changed: PropertyValues): void {
    if (changed.has('view') && this.moveFocus) {
      this.moveFocus = false;
      const target = this.view.name === 'redirecting' && this.view.framed
        ? this.renderRoot.querySelector<HTMLElement>('.overlay button')
        : this.renderRoot.querySelector<HTMLElement>('h2');
      target?.focus();
    }
  }


  private renderView(): TemplateResult {
    return renderView({
      // The language's strings, the shop's own over them: the `messages` property, then the slot's JSON.
      t: { ...this.strings, ...this.slotted, ...this.messages, ln: this.language }, ln: this.language, view: this.view, now: this.now,
      strings: this.strings, serverContent: !!this.querySelector(':scope>:not(script)'), drawItems: this.drawItems,
      root: this.renderRoot as DocumentFragment, popup: this.popup, gateway: this.gatewayUrl,
      select: (code, focus) => this.select(code, focus), patch: (change) => this.patch(change), submit: () => void this.submit(),
      setView: (view) => this.setView(view), another: () => void this.another(), announce: (text) => (this.announcement = text),
      openPopup: () => this.openPopup(true), closeOverlay: (c) => this.closeOverlay(c), frameLoaded: () => clearTimeout(this.frameTimer),
      chooseOther: (c) => this.chooseOther(c), retry: () => this.retry(),
      result: (payment, status) => isFinal(status) && this.finish(payment, status),
    });
  }

  override render(): TemplateResult {
    return html`${this.renderView()}<p class="sr-only" role="status" aria-live="polite">${this.announcement}</p>`;
  }
}
