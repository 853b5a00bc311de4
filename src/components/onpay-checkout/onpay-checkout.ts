import { LitElement, html, nothing, type PropertyValues, type TemplateResult } from 'lit';
import { EXTRA_ATTRIBUTE_PREFIX as EXTRA_PREFIX, LINK_PARAMS } from '../../protocol/link-params.ts';
import { ApiError, createPayment, followStatus, loadForm, type FormPayload, type InstructionsAction, type Payment } from './api.ts';
import { emit } from './events.ts';
import { LOCALES, type Ln } from './locales.ts';
import { styles } from './onpay-checkout.styles.ts';
import { button, doneView, instructionsView, loadingView, messageView, overlay, pickingView } from './views.ts';

/**
 * Where the script came from, the default gateway: the classic build knows its `<script>`, the
 * module its own URL.
 */
const SCRIPT_ORIGIN = new URL((document.currentScript as HTMLScriptElement | null)?.src || (import.meta as { url?: string }).url || location.href).origin;

/** Attributes observed: the gateway, the merchant, and those mirroring the link's parameters (PROTOCOL.md §2). */
const OBSERVED = ['gateway', 'merchant-login', 'href', 'params', ...LINK_PARAMS.map(([, attribute]) => attribute)];

/** How long a payment system's page may take to load in the frame before a popup is tried. */
const FRAME_TIMEOUT_MS = 8000;
const AMOUNT_RE = /^\d{1,12}([.,]\d{1,2})?$/;
const FINAL = ['paid', 'failed', 'expired', 'rejected'];

/** The one state of the checkout, rendered by an exhaustive switch. */
export type View =
  | { name: 'loading' }
  | { name: 'picking' }
  | { name: 'submitting' }
  | { name: 'refused'; comment: string }
  | { name: 'instructions'; payment: Payment; action: InstructionsAction }
  | { name: 'redirecting'; payment: Payment; url: string; framed: boolean }
  | { name: 'done'; payment: Payment; status: string }
  | { name: 'error'; code: string; message: string; retry: 'load' | 'submit' };

const randomKey = (): string => Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');

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
 * @attr ln - `ru` (default) or `en`.
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
 *
 * @event onpay-ready - The form is loaded. `detail: {merchantLogin, payFor, ways}`.
 * @event onpay-way-select - The buyer picked a payment system. `detail: {way}`.
 * @event onpay-payment-created - The payment was created after the shop's CHECK. `detail: {id, way, amount, ticker}`.
 * @event onpay-success - Paid. Cancelable: `preventDefault()` keeps the buyer here instead of going to `url-success`.
 * @event onpay-fail - Failed, expired or refused. Cancelable: `preventDefault()` stays instead of going to `url-fail`.
 * @event onpay-error - Something went wrong. `detail: {code, message}` with a stable `code`.
 *
 * @csspart heading - Each view's heading.
 * @csspart form - The payment form.
 * @csspart ways - The payment-system radio group.
 * @csspart way - One payment system.
 * @csspart button - Buttons.
 * @csspart instructions - The payment instructions list.
 * @csspart overlay - The backdrop of the payment system's window.
 * @csspart frame - The payment system's frame.
 * @csspart close - The overlay's close button.
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
 */
export class OnpayCheckout extends LitElement {
  static override styles = styles;
  static override properties = {
    view: { state: true },
    selected: { state: true },
    amount: { state: true },
    amountError: { state: true },
    email: { state: true },
    now: { state: true },
    announcement: { state: true },
  };

  static override get observedAttributes(): string[] {
    return [...super.observedAttributes, ...OBSERVED];
  }

  declare view: View;
  declare selected: string;
  declare amount: string;
  declare amountError: boolean;
  declare email: string;
  declare now: number;
  declare announcement: string;

  /** How long the payment system's page may take to load in the frame before a popup is tried. */
  frameTimeoutMs = FRAME_TIMEOUT_MS;
  private form: FormPayload | undefined;
  private gatewayUrl = SCRIPT_ORIGIN;
  /** The idempotency key of the current attempt: kept for a retry of the same attempt, new for a new one. */
  private attemptKey: string | undefined;
  private stopFollowing: (() => void) | undefined;
  private frameTimer: ReturnType<typeof setTimeout> | undefined;
  private tick: ReturnType<typeof setInterval> | undefined;
  private popup: Window | null = null;
  private reloadQueued = false;
  private readonly extraObserver = new MutationObserver((records) => {
    if (records.some((r) => r.attributeName?.startsWith(EXTRA_PREFIX) && r.oldValue !== this.getAttribute(r.attributeName))) this.queueReload();
  });
  private loadSeq = 0;
  private moveFocus = false;

  constructor() {
    super();
    this.view = { name: 'loading' };
    this.selected = '';
    this.amount = '';
    this.amountError = false;
    this.email = '';
    this.now = Date.now();
    this.announcement = '';
  }

  override connectedCallback(): void {
    super.connectedCallback();
    window.addEventListener('message', this.onMessage);
    // `onpay-ap-*` names cannot be listed in observedAttributes: watch them here.
    this.extraObserver.observe(this, { attributes: true, attributeOldValue: true });
    this.queueReload();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.extraObserver.disconnect();
    window.removeEventListener('message', this.onMessage);
    this.stopFollowing?.();
    this.clearTimers();
  }

  override attributeChangedCallback(name: string, old: string | null, value: string | null): void {
    super.attributeChangedCallback(name, old, value);
    // Any link attribute changing reloads the form (once per task, however many changed).
    if (OBSERVED.includes(name) && old !== value && this.isConnected) this.queueReload();
  }

  private get ln(): Ln {
    const ln = this.form?.ln ?? this.linkQuery().query.get('ln');
    return ln === 'en' ? 'en' : 'ru';
  }

  private queueReload(): void {
    if (this.reloadQueued) return;
    this.reloadQueued = true;
    queueMicrotask(() => {
      this.reloadQueued = false;
      void this.load();
    });
  }

  /** The gateway, the merchant login and the link's query: from `href`, or from the attributes. */
  private linkQuery(): { gateway: string; login: string; query: URLSearchParams } {
    const href = this.getAttribute('href');
    const gatewayAttr = this.getAttribute('gateway');
    if (href) {
      const url = new URL(href, location.href);
      const login = decodeURIComponent(/\/pay\/([^/?#]+)/.exec(url.pathname)?.[1] ?? '');
      return { gateway: (gatewayAttr ?? url.origin).replace(/\/+$/, ''), login, query: url.searchParams };
    }
    const query = new URLSearchParams();
    for (const [wire, attribute] of LINK_PARAMS) {
      const v = this.getAttribute(attribute);
      if (v !== null) query.set(wire, v);
    }
    for (const [k, v] of new URLSearchParams(this.getAttribute('params') ?? '')) {
      if (k.startsWith('onpay_ap_')) query.set(k, v);
    }
    // onpay-ap-source="site" is onpay_ap_source=site, as in the link; over the same name in params.
    for (const { name, value } of this.attributes) {
      if (name.startsWith(EXTRA_PREFIX)) query.set(`onpay_ap_${name.slice(EXTRA_PREFIX.length)}`, value);
    }
    return { gateway: (gatewayAttr ?? SCRIPT_ORIGIN).replace(/\/+$/, ''), login: this.getAttribute('merchant-login') ?? '', query };
  }

  private async load(): Promise<void> {
    const seq = ++this.loadSeq;
    this.stopFollowing?.();
    this.clearTimers();
    this.form = undefined;
    this.attemptKey = undefined;
    this.view = { name: 'loading' };
    const { gateway, login, query } = this.linkQuery();
    this.gatewayUrl = gateway;
    if (!login) return this.fail({ code: 'config', message: 'merchant-login' }, 'load');
    try {
      const form = await loadForm(gateway, login, query);
      if (seq !== this.loadSeq) return;
      this.form = form;
      this.selected = form.ways[0]?.code ?? '';
      this.email = form.userEmail;
      this.amount = '';
      this.view = { name: 'picking' };
      emit(this, 'onpay-ready', { merchantLogin: form.merchant.login, payFor: form.order.payFor, ways: form.ways.map((w) => w.code) });
    } catch (e) {
      if (seq === this.loadSeq) this.fail(e, 'load');
    }
  }

  private fail(e: unknown, retry: 'load' | 'submit'): void {
    const code = e instanceof ApiError || (typeof e === 'object' && e !== null && 'code' in e) ? String((e as { code: string }).code) : 'network';
    const message = e instanceof Error ? e.message : String((e as { message?: string }).message ?? '');
    this.setView({ name: 'error', code, message, retry: code === 'token_expired' ? 'load' : retry });
    emit(this, 'onpay-error', { code, message });
  }

  private setView(view: View, focus = true): void {
    this.view = view;
    this.moveFocus = focus;
  }

  private select(code: string, focus: boolean): void {
    if (this.view.name !== 'picking' || code === this.selected) return;
    this.selected = code;
    this.attemptKey = undefined;
    emit(this, 'onpay-way-select', { way: code });
    if (focus) void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>(`#way-${code}`)?.focus());
  }

  private async submit(): Promise<void> {
    // One attempt at a time: a double click finds the view already submitting.
    if (this.view.name !== 'picking' || !this.form) return;
    const free = this.form.order.mode === 'free';
    // Checked as text (money is never a float here): the format, and a non-zero digit somewhere.
    if (free && (!AMOUNT_RE.test(this.amount.trim()) || !/[1-9]/.test(this.amount))) {
      this.amountError = true;
      void this.updateComplete.then(() => this.renderRoot.querySelector<HTMLElement>('#amount')?.focus());
      return;
    }
    this.amountError = false;
    this.attemptKey ??= randomKey();
    this.view = { name: 'submitting' };
    const body: Record<string, string> = { token: this.form.token, way: this.selected };
    if (this.email) body.userEmail = this.email;
    if (free) body.amount = this.amount.trim().replace(',', '.');
    try {
      const payment = await createPayment(this.gatewayUrl, body, this.attemptKey);
      emit(this, 'onpay-payment-created', { id: payment.id, way: payment.way, amount: payment.amount, ticker: payment.ticker });
      this.start(payment);
    } catch (e) {
      const code = e instanceof ApiError ? e.code : 'network';
      // A network failure or a request still in progress is retried with the same key (no second
      // payment); anything the gateway answered for good needs a new attempt.
      if (code !== 'network' && code !== 'idempotency_conflict') this.attemptKey = undefined;
      if (code === 'check_declined') {
        this.setView({ name: 'refused', comment: e instanceof ApiError ? e.comment : '' });
        emit(this, 'onpay-error', { code, message: e instanceof Error ? e.message : '' });
      } else {
        this.fail(e, 'submit');
      }
    }
  }

  /** Hands the buyer to the payment system and follows the payment to its end. */
  private start(payment: Payment): void {
    this.stopFollowing?.();
    this.stopFollowing = followStatus(this.gatewayUrl, payment.id, (status) => {
      if (FINAL.includes(status)) this.finish(payment, status);
    });
    const action = payment.action;
    if (action?.type === 'instructions') {
      this.now = Date.now();
      this.tick = setInterval(() => (this.now = Date.now()), 1000);
      this.setView({ name: 'instructions', payment, action });
    } else if (action?.type === 'redirect') {
      this.setView({ name: 'redirecting', payment, url: action.url, framed: action.frame !== false });
      // A page that refuses framing goes to a popup at once, while the buyer's click still counts.
      if (action.frame === false) this.openPopup(false);
      else this.frameTimer = setTimeout(() => this.openPopup(false), this.frameTimeoutMs);
    }
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
    this.setView({ ...this.view, framed: false });
  }

  private readonly onMessage = (e: MessageEvent): void => {
    const data = e.data as { type?: string; id?: string; status?: string } | null;
    if (e.origin !== new URL(this.gatewayUrl).origin || data?.type !== 'onpay:result') return;
    const view = this.view;
    if ((view.name !== 'redirecting' && view.name !== 'instructions') || data.id !== view.payment.id) return;
    const frame = this.renderRoot.querySelector('iframe');
    if (e.source !== frame?.contentWindow && e.source !== this.popup) return;
    if (data.status && FINAL.includes(data.status)) this.finish(view.payment, data.status);
  };

  private finish(payment: Payment, status: string): void {
    if (this.view.name === 'done') return;
    this.stopFollowing?.();
    this.stopFollowing = undefined;
    this.clearTimers();
    this.popup?.close();
    this.setView({ name: 'done', payment, status });
    if (status === 'paid') {
      if (emit(this, 'onpay-success', { id: payment.id, urlSuccess: payment.urlSuccess }, true) && payment.urlSuccess) this.navigate(payment.urlSuccess);
    } else if (emit(this, 'onpay-fail', { id: payment.id, status, urlFail: payment.urlFail }, true) && payment.urlFail) {
      this.navigate(payment.urlFail);
    }
  }

  /** Takes the whole page to a URL (the shop's success / fail page, or the payment system as a last resort). */
  protected navigate(url: string): void {
    location.assign(url);
  }

  /** Retries what failed: loading the form, or the same payment attempt (same key when it may have gone through). */
  private retry(what: 'load' | 'submit'): void {
    if (what === 'load' || !this.form) {
      void this.load();
      return;
    }
    this.view = { name: 'picking' };
    void this.submit();
  }

  /** Esc or ✕ on the overlay: back to the choice. The payment, left unpaid, expires by itself. */
  private closeOverlay(): void {
    this.clearTimers();
    this.popup?.close();
    this.popup = null;
    this.attemptKey = undefined;
    this.setView({ name: 'picking' });
  }

  /**
   * Copies a value. Outside a secure context (a shop on plain http) there is no clipboard API: the
   * old copy command on a hidden text field, still within the click, and failing that the value is
   * selected on screen for the buyer to copy by hand.
   */
  private async copy(value: string, shown: Element | null): Promise<void> {
    const t = LOCALES[this.ln];
    try {
      await navigator.clipboard.writeText(value);
      this.announcement = `${t.copied}: ${value}`;
      return;
    } catch {
      // No clipboard API here, or it was refused.
    }
    const field = document.createElement('textarea');
    field.value = value;
    field.readOnly = true;
    field.style.cssText = 'position:fixed;top:0;opacity:0';
    this.renderRoot.append(field);
    field.select();
    let copied = false;
    try {
      copied = document.execCommand('copy');
    } catch {
      // Not supported.
    }
    field.remove();
    if (copied) {
      this.announcement = `${t.copied}: ${value}`;
      return;
    }
    const selection = getSelection();
    if (shown && selection) {
      const range = document.createRange();
      range.selectNodeContents(shown);
      selection.removeAllRanges();
      selection.addRange(range);
    }
    this.announcement = t.copyByHand;
  }

  private clearTimers(): void {
    clearTimeout(this.frameTimer);
    clearInterval(this.tick);
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
    const t = LOCALES[this.ln];
    const v = this.view;
    switch (v.name) {
      case 'loading':
        return loadingView(t);
      case 'picking':
      case 'submitting':
        return pickingView({
          t, ln: this.ln, form: this.form!, selected: this.selected, busy: v.name === 'submitting',
          amount: this.amount, amountError: this.amountError, email: this.email,
          onSelect: (code, focus) => this.select(code, focus),
          onAmount: (value) => (this.amount = value),
          onEmail: (value) => (this.email = value),
          onSubmit: () => void this.submit(),
        });
      case 'refused':
        return messageView(t.refused, v.comment || t.refusedHint, 'alert', button(t.back, () => this.setView({ name: 'picking' })),
          v.comment ? html`<p class="muted">${t.refusedHint}</p>` : nothing);
      case 'instructions':
        return instructionsView({ t, ln: this.ln, action: v.action, now: this.now, onCopy: (_key, value, shown) => void this.copy(value, shown) });
      case 'redirecting':
        // Out of the frame with no popup: the browser blocked it, and the hint must not speak of an open window.
        return html`${messageView(t.redirecting, v.framed || this.popup ? t.redirectHint : t.popupBlocked, 'status', v.framed ? html`` : html`${button(t.openAgain, () => this.openPopup(true))}${button(t.back, () => this.closeOverlay(), true)}`)}
          ${v.framed ? overlay({ t, url: v.url, onClose: () => this.closeOverlay(), onLoad: () => clearTimeout(this.frameTimer) }) : nothing}`;
      case 'done':
        return doneView(t, v.payment, v.status, () => void this.load());
      case 'error': {
        const errors = t.errors as Record<string, string>;
        const text = errors[v.code] ?? (v.message ? `${errors.other}: ${v.message}` : errors.other);
        return messageView(t.errorTitle, text!, 'alert', button(t.retry, () => this.retry(v.retry)));
      }
    }
  }

  override render(): TemplateResult {
    return html`${this.renderView()}<p class="sr-only" role="status" aria-live="polite">${this.announcement}</p>`;
  }
}
