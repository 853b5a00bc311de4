// The merchant cabinet page over /api/v1/cabinet (docs/CABINET.md). Plain DOM, no framework; every
// server value goes into the page as text. Signing in sends the key once: the server answers with an
// HttpOnly session cookie and a CSRF token, which this script keeps in memory only and sends in
// X-CSRF-Token on every change. The key itself is never stored.
import uPlot from '/assets/vendor/uplot.js';
import { chip, createWords, fill } from '/assets/cabinet-words.js';
import { merchantText } from '/assets/languages.js';
import { confirmAction, qrSvg, wireCopyButtons } from '/assets/cabinet-actions.js';
import { wireSavedMethods } from '/assets/cabinet-customers.js';

const PAGE_SIZE = 20;
const SECTIONS = ['login', 'overview', 'payments', 'detail', 'links', 'test', 'settings', 'customers'];

const $ = (id) => document.getElementById(id);
const root = $('cabinet');
const S = JSON.parse(root.dataset.strings);
const lang = document.documentElement.lang || 'ru';
// Money, dates and the server's facts in the page's language (cabinet-words.js).
const W = createWords(S, lang, JSON.parse(root.dataset.ways || '[]'));
const { when, money } = W;

const state = { overview: null, csrf: null, cursor: null, filters: {}, current: null, lastOpened: null, chart: null, period: null };


function say(text) {
  $('error').textContent = '';
  // Re-set so that the same message twice is announced twice.
  $('message').textContent = '';
  setTimeout(() => { $('message').textContent = text; }, 30);
}

/** Shows a failure; `detail` (the API's own English message) follows in small print. */
function complain(text, detail) {
  $('message').textContent = '';
  $('error').textContent = text;
  if (detail && detail !== text) $('error').append(' ', el('small', fill(S.apiErrors.detail, { detail }), { class: 'detail' }));
}

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error && body.error.message) || `HTTP ${status}`);
    this.status = status;
    this.code = body && body.error && body.error.code;
    this.field = body && body.error && body.error.field;
  }
}

/** Entries of `apiErrors` that are not an error code of the API. */
const NOT_CODES = new Set(['invalid_field', 'other', 'detail']);

/** An API failure in the page's language, from its code and field; the API's message stays the detail. */
function apiErrorWords(e) {
  const E = S.apiErrors;
  if (e.status === 0) return S.network;
  const field = e.field && (S.fieldNames[e.field] ?? S.settingsFields[e.field] ?? S.settingsFields[e.field.split('.')[0]] ?? e.field);
  if ((e.code === 'invalid_param' || e.code === 'invalid_body') && field) return fill(E.invalid_field, { field });
  return e.code && Object.hasOwn(E, e.code) && !NOT_CODES.has(e.code) ? E[e.code] : fill(E.other, { status: e.status });
}

/** One cabinet API call with the session cookie; changes carry the CSRF token. */
async function api(path, init = {}) {
  const method = init.method || 'GET';
  const headers = { accept: 'application/json', ...init.headers };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  if (method !== 'GET' && state.csrf) headers['x-csrf-token'] = state.csrf;
  let res;
  try {
    // `absolute`: a merchant API outside the cabinet's prefix (the receipts), same credentials.
    res = await fetch(init.absolute ? path : `/api/v1/cabinet${path}`, { method, headers, credentials: 'same-origin', body: init.body === undefined ? undefined : JSON.stringify(init.body) });
  } catch {
    throw new ApiError(0, { error: { message: S.network } });
  }
  const body = res.status === 204 ? null : await res.json().catch(() => null);
  if (res.status === 401 && !init.signIn && !init.quiet) {
    signedOut(S.badKey);
    throw new ApiError(401, body);
  }
  if (!res.ok) throw new ApiError(res.status, body);
  return body;
}

/** Runs an action, showing its failure in the alert region (401 has already signed out). */
async function guarded(fn) {
  try {
    await fn();
  } catch (e) {
    if (!(e instanceof ApiError)) throw e;
    if (e.status !== 401 || !$('login').hidden) complain(e.status === 401 ? S.badKey : apiErrorWords(e), e.status === 401 || e.status === 0 ? undefined : e.message);
  }
}

function el(tag, text, attrs = {}) {
  const node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = String(text);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

function timeCell(iso) {
  const td = el('td');
  if (iso) td.append(el('time', when(iso), { datetime: iso }));
  else td.textContent = '—';
  return td;
}

const statusName = W.statusName;
const statusText = (p) => `${statusName(p.status)}${p.manual ? ` (${S.manual})` : ''}${p.paidLate ? ` (${S.paidLate})` : ''}`;
const notificationText = (status) => (status ? S.notifications[status] : S.notifications.none);

function show(section) {
  for (const id of SECTIONS) $(id).hidden = id !== section;
  const signedIn = section !== 'login';
  $('nav').hidden = !signedIn;
  $('account').hidden = !signedIn;
  const current = section === 'detail' ? 'payments' : section;
  for (const a of $('nav').querySelectorAll('a')) {
    if (a.dataset.section === current) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

function dl(target, pairs) {
  target.replaceChildren();
  for (const [k, v, cls] of pairs) {
    const dd = v instanceof window.Node ? el('dd') : el('dd', v);
    if (v instanceof window.Node) dd.append(v);
    if (cls) dd.className = cls;
    target.append(el('dt', k), dd);
  }
}

/** A local calendar day as the instant it starts (`to` days are inclusive on the page, exclusive in the API). */
function dayStart(value, plusDays = 0) {
  const [y, m, d] = value.split('-').map(Number);
  return new Date(y, m - 1, d + plusDays).toISOString();
}


// ---- sign in / out ----

function signedOut(message) {
  state.csrf = null;
  $('warnings').hidden = true;
  state.current = null;
  show('login');
  if (location.hash) window.history.replaceState(null, '', location.pathname + location.search);
  if (message) complain(message);
  $('api-key').focus();
}

function signedIn(me) {
  state.csrf = me.csrfToken;
  $('merchant-name').textContent = `${merchantText(me.name, lang)} (${me.login})`;
}

/** The warnings about the merchant's settings (as text, never markup), from /me. */
async function showWarnings() {
  const me = await api('/me');
  // The «Тестовый режим» badge of a test merchant.
  $('test-mode').hidden = !me.testMode;
  const list = $('warnings');
  list.replaceChildren(...(me.warnings ?? []).map((w) => el('li', S.warnings?.[w.code] ?? w.message)));
  list.hidden = list.children.length === 0;
}

$('login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const key = $('api-key').value.trim();
  if (!key) return;
  guarded(async () => {
    try {
      signedIn(await api('/session', { method: 'POST', body: { key }, signIn: true }));
    } finally {
      $('api-key').value = '';
    }
    await route();
    await showWarnings();
    say(fill(S.loggedIn, { name: $('merchant-name').textContent }));
  });
});

$('logout').addEventListener('click', () => guarded(async () => {
  await api('/session', { method: 'DELETE' });
  signedOut();
  say(S.loggedOut);
}));

// ---- overview ----

function chartColors() {
  const dark = window.matchMedia('(prefers-color-scheme: dark)').matches;
  return { text: dark ? '#e8e8e8' : '#1a1a1a', grid: dark ? '#ffffff22' : '#00000018', lines: dark ? ['#8ab4ff', '#7fd89b', '#ffb86b', '#ff8a80'] : ['#0057b8', '#0b6b2f', '#a15c00', '#b00020'] };
}

function drawChart(o) {
  const box = $('chart');
  state.chart?.destroy();
  state.chart = null;
  box.replaceChildren();
  if (o.turnover.series.length === 0) {
    box.append(el('p', S.noTurnover));
    return;
  }
  const c = chartColors();
  const xs = o.turnover.days.map((d) => Date.parse(`${d}T12:00:00Z`) / 1000);
  const data = [xs, ...o.turnover.series.map((s) => s.amounts.map(Number))];
  const axis = { stroke: c.text, grid: { stroke: c.grid }, ticks: { stroke: c.grid } };
  // The axes and the legend in the page's language: days as the language writes them, sums with the currency.
  // uPlot puts the x axis's ticks on the viewer's local midnights; the legend names the row's own day.
  const tickDay = (x) => W.dayAt(x * 1000);
  const sum = (ticker) => (v) => (v === null || v === undefined ? '—' : money(v.toFixed(2), ticker));
  // Each currency on its own scale (sums in different currencies do not share an axis); the first
  // two get an axis each, left and right.
  const tickers = o.turnover.series.map((s) => s.ticker);
  const yAxes = tickers.slice(0, 2).map((t, i) => ({ ...axis, scale: t, size: 70, side: i === 0 ? 3 : 1, label: t, stroke: c.lines[i], values: (_u, splits) => splits.map(sum(t)), ...(i === 1 ? { grid: { show: false } } : {}) }));
  state.chart = new uPlot({
    width: Math.max(280, Math.min(box.clientWidth || 720, 960)),
    height: 260,
    legend: { show: true },
    scales: { x: { time: true } },
    axes: [{ ...axis, space: 90, values: (_u, splits) => splits.map(tickDay) }, ...yAxes],
    series: [{ label: S.day, value: (_u, x, _s, i) => (x === null || i === null ? '—' : W.day(o.turnover.days[i])) }, ...o.turnover.series.map((s, i) => ({ label: s.ticker, scale: s.ticker, value: (_u, v) => sum(s.ticker)(v), stroke: c.lines[i % c.lines.length], width: 2, points: { show: true } }))],
  }, data, box);
}

function renderOverview(o) {
  state.overview = o;
  $('totals').textContent = o.turnover.totals.map((t) => `${money(t.amount, t.ticker)} (${W.count(t.count)})`).join(' · ') || S.noTurnover;
  drawChart(o);
  const head = $('turnover-head');
  head.replaceChildren();
  const hr = el('tr');
  hr.append(el('th', S.day, { scope: 'col' }), ...o.turnover.series.map((s) => el('th', s.ticker, { scope: 'col' })));
  head.append(hr);
  const body = $('turnover-body');
  body.replaceChildren();
  o.turnover.days.forEach((d, i) => {
    const tr = el('tr');
    tr.append(el('th', W.day(d), { scope: 'row' }), ...o.turnover.series.map((s) => el('td', money(s.amounts[i], s.ticker))));
    body.append(tr);
  });
  const sb = $('status-body');
  sb.replaceChildren();
  for (const [k, n] of Object.entries(o.statuses)) {
    if (n === 0 && (k === 'partially_refunded' || k === 'refunded')) continue;
    const tr = el('tr');
    tr.append(el('th', statusName(k), { scope: 'row' }), el('td', n));
    sb.append(tr);
  }
  const cv = o.conversion;
  const rate = W.percent(cv.rate);
  dl($('conversion'), [[S.conv.created, cv.created], [S.conv.paid, cv.paid], [S.conv.rate, rate], [S.conv.duplicates, cv.duplicates ?? 0], [S.conv.checkDeclined, cv.checkDeclined], [S.conv.checkFailed, cv.checkFailed], [S.conv.failed, cv.failed], [S.conv.expired, cv.expired], [S.conv.waiting, cv.waiting]]);
  const d = o.delivery;
  const last = d.lastError ? `${when(d.lastError.at)}: ${W.verdict(d.lastError.verdict)}${d.lastError.excerpt ? ` — ${d.lastError.excerpt}` : ''}` : '—';
  dl($('delivery'), [[S.deliv.pending, d.pending], [S.deliv.retrying, d.retrying], [S.deliv.gaveUp, d.gaveUp, d.gaveUp > 0 ? 'warn' : ''], [S.deliv.lastError, last]]);
  const list = $('attention');
  list.replaceChildren();
  if (o.attention.length === 0) list.append(el('li', S.nothingToAttend));
  for (const a of o.attention) {
    const li = el('li');
    li.append(el('a', fill(S.attentionItem, { order: a.payFor, n: a.number }), { href: `#payment=${encodeURIComponent(a.paymentId)}` }), document.createTextNode(` — ${S.attentionKinds[a.kind] ?? a.kind}${a.reason ? `: ${W.reason(a.reason)}` : a.text ? `: ${a.text}` : ''} (${when(a.at)})`));
    list.append(li);
  }
}

/** Held payments, nearest deadline first (the server's order; sorted again so the page never depends on it). */
function renderHeld(holds) {
  const body = $('holds-body');
  body.replaceChildren();
  const sorted = [...holds].sort((a, b) => String(a.holdExpiresAt ?? '\uffff').localeCompare(String(b.holdExpiresAt ?? '\uffff')));
  for (const h of sorted) {
    const tr = el('tr');
    const first = el('td');
    first.append(el('a', h.number, { href: `#payment=${encodeURIComponent(h.id)}` }));
    tr.append(first, el('td', h.payFor), el('td', money(h.held, h.ticker)), el('td', h.holdExpiresAt ? when(h.holdExpiresAt) : '—'));
    body.append(tr);
  }
  $('holds-table').hidden = sorted.length === 0;
  $('holds-empty').hidden = sorted.length > 0;
}

async function loadOverview(focus) {
  const q = new URLSearchParams({ tz: String(-new Date().getTimezoneOffset()) });
  if (state.period) {
    q.set('from', dayStart(state.period.from));
    q.set('to', dayStart(state.period.to, 1));
  }
  const [o, held] = await Promise.all([api(`/summary?${q}`), api('/holds')]);
  if (!state.csrf) return o; // signed out meanwhile
  renderHeld(held.holds);
  if (!state.period) {
    $('o-from').value = o.turnover.days[0];
    $('o-to').value = o.turnover.days.at(-1);
  }
  renderOverview(o);
  show('overview');
  if (focus) $('overview-heading').focus();
  return o;
}

$('period-form').addEventListener('submit', (event) => {
  event.preventDefault();
  if (!$('o-from').value || !$('o-to').value) return;
  state.period = { from: $('o-from').value, to: $('o-to').value };
  guarded(async () => {
    const o = await loadOverview(false);
    say(fill(S.overviewShown, { from: W.day(o.turnover.days[0]), to: W.day(o.turnover.days.at(-1)) }));
  });
});

// The chart's colours follow the scheme: redraw the figures already shown, nothing fetched.
window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => {
  if (state.overview) drawChart(state.overview);
});

// ---- the list and search ----

function paymentRow(p) {
  const tr = el('tr');
  const first = el('td');
  first.append(el('a', p.number, { href: `#payment=${encodeURIComponent(p.id)}`, 'data-id': p.id }));
  const amount = p.refunded && p.refunded !== '0.0' ? `${money(p.amount, p.ticker)} (−${money(p.refunded, p.ticker)})` : money(p.amount, p.ticker);
  const status = el('td');
  status.append(chip(statusText(p), p.status));
  tr.append(first, el('td', p.payFor), el('td', amount), el('td', W.wayName(p.way)), status);
  const n = el('td', notificationText(p.notificationStatus));
  if (p.notificationStatus === 'gave_up') n.className = 'warn';
  tr.append(n, timeCell(p.createdAt));
  return tr;
}

function readFilters() {
  const f = {};
  const q = $('f-q').value.trim();
  const status = $('f-status').value;
  const way = $('f-way').value;
  if (q) f.q = q;
  if (status) f.status = status;
  if (way) f.way = way;
  if ($('f-from').value) f.from = dayStart($('f-from').value);
  if ($('f-to').value) f.to = dayStart($('f-to').value, 1);
  return f;
}

function updateExportLink() {
  const q = new URLSearchParams(state.filters);
  // Excel's profile writes times in the viewer's zone; the machine's is UTC ISO 8601.
  if ($('x-profile').value === 'excel') {
    q.set('profile', 'excel');
    q.set('timeZone', W.timeZone);
  }
  const s = q.toString();
  $('export').href = `/api/v1/cabinet/payments.csv${s ? `?${s}` : ''}`;
}
$('x-profile').addEventListener('change', updateExportLink);
updateExportLink();
$('export-form').addEventListener('submit', (event) => event.preventDefault());

async function loadPayments(append) {
  const q = new URLSearchParams({ ...state.filters, limit: String(PAGE_SIZE) });
  if (append && state.cursor) q.set('cursor', state.cursor);
  const page = await api(`/payments?${q}`);
  const body = $('payments-body');
  if (!append) body.replaceChildren();
  const firstNew = body.children.length;
  for (const p of page.payments) body.append(paymentRow(p));
  state.cursor = page.nextCursor;
  $('more').hidden = !page.nextCursor;
  $('payments-empty').hidden = body.children.length > 0;
  $('payments-table').hidden = body.children.length === 0;
  updateExportLink();
  if (append) body.children[firstNew]?.querySelector('a')?.focus();
  return body.children.length;
}

$('filters').addEventListener('submit', (event) => {
  event.preventDefault();
  state.filters = readFilters();
  guarded(async () => {
    const n = await loadPayments(false);
    say(fill(S.shown, { n }));
  });
});

$('more').addEventListener('click', () => guarded(async () => {
  const n = await loadPayments(true);
  say(fill(S.shown, { n }));
}));

// ---- one payment ----

function renderTimeline(events) {
  const ol = $('timeline');
  ol.replaceChildren();
  for (const e of events) {
    const li = el('li');
    const head = el('p');
    head.append(el('time', when(e.at), { datetime: e.at }), document.createTextNode(` — ${S.kinds[e.kind] ?? e.kind}: ${W.event(e, state.current)}`));
    if (e.verdict) head.append(document.createTextNode(` (${W.verdict(e.verdict)}${e.durationMs !== undefined ? `, ${fill(S.ms, { n: e.durationMs })}` : ''})`));
    li.append(head);
    if (e.bytes && (e.bytes.body || e.bytes.url)) {
      const det = el('details');
      const meta = [e.bytes.method, e.bytes.url, e.bytes.contentType, e.bytes.httpStatus !== undefined && e.bytes.httpStatus !== null ? `HTTP ${e.bytes.httpStatus}` : ''].filter(Boolean).join(' ');
      det.append(el('summary', `${S.bytes}${meta ? `: ${meta}` : ''}`), el('pre', e.bytes.body));
      li.append(det);
    }
    ol.append(li);
  }
}

function renderDetail(p) {
  state.current = p;
  $('detail-heading').textContent = fill(S.paymentTitle, { n: p.number, order: p.payFor });
  const F = S.fields;
  // The provider's id of the payment, and its dashboard where the provider has one (to search it there).
  const providerId = el('span', p.providerPaymentId ?? S.unknownProviderId);
  if (p.providerDashboardUrl) {
    providerId.append(document.createTextNode(' · '), el('a', F.dashboard, { href: p.providerDashboardUrl, target: '_blank', rel: 'noopener noreferrer' }));
  }
  dl($('detail-fields'), [
    [F.payFor, p.payFor], [F.status, chip(statusText(p), p.status)], [F.statusReason, W.reason(p.reason)],
    [F.amount, money(p.amount, p.ticker)], [F.order, money(p.order.price, p.order.ticker)],
    [F.balance, money(p.balance.amount, p.balance.ticker)], [F.way, W.wayName(p.way)],
    ...(p.provider && p.provider !== 'sandbox' ? [[F.provider, p.provider]] : []), [F.providerPaymentId, providerId], [F.id, p.id],
    [F.createdAt, when(p.createdAt)], [F.paidAt, when(p.paidAt)], [F.userEmail, p.userEmail || '—'], [F.note, p.order.note || '—'],
    ...(p.duplicateOf ? [[F.duplicateOf, p.duplicateOf]] : []),
  ]);

  const n = p.notification;
  $('notification-state').textContent = n.status
    ? fill(S.notificationState, { state: notificationText(n.status), n: n.attempts.length })
    : S.noNotification;
  $('notification-state').className = n.status === 'gave_up' ? 'warn' : '';
  const attempts = $('attempts-body');
  attempts.replaceChildren();
  for (const a of n.attempts) {
    const tr = el('tr');
    tr.append(timeCell(a.at), el('td', a.httpStatus ?? '—'), el('td', W.count(a.durationMs)), el('td', W.verdict(a.verdict)), el('td', a.excerpt));
    attempts.append(tr);
  }
  $('attempts-table').hidden = n.attempts.length === 0;
  $('attempts-empty').hidden = n.attempts.length > 0;
  $('attempts-empty').textContent = n.status ? S.noAttempts : '';
  $('resend').hidden = !p.canResend;
  // The closing receipt (issue 24): a paid payment with a receipt of its own.
  $('closing-receipt').hidden = !(['paid', 'partially_refunded'].includes(p.status) && (p.receipts || []).some((r) => r.kind === 'payment'));

  // Refunds (issue 14 §4) come from their own API (GET/POST /payments/{id}/refunds): see loadRefunds.

  const select = $('new-status');
  select.replaceChildren(...p.allowedStatuses.map((s) => el('option', statusName(s), { value: s })));
  $('status-form').hidden = p.allowedStatuses.length === 0;
  $('status-locked').hidden = p.allowedStatuses.length > 0;

  renderTimeline(p.timeline || []);

  const audit = $('audit-body');
  audit.replaceChildren();
  for (const a of p.audit) {
    const tr = el('tr');
    const change = W.change(a.fromStatus, a.toStatus);
    tr.append(timeCell(a.at), el('td', a.actor), el('td', S.actions[a.action] ?? a.action), el('td', change), el('td', a.reason || '—'));
    audit.append(tr);
  }
  $('audit-table').hidden = p.audit.length === 0;
  $('audit-empty').hidden = p.audit.length > 0;
  $('audit-empty').textContent = S.noAudit;
}

/**
 * The payment's refunds, when the gateway has the refunds API: the section stays hidden when it
 * does not answer (an older gateway), and never signs the page out.
 */
async function loadRefunds(p) {
  let r;
  try {
    r = await api(`/payments/${encodeURIComponent(p.id)}/refunds`, { quiet: true });
  } catch {
    $('refunds').hidden = true;
    return;
  }
  const body = $('refunds-body');
  body.replaceChildren();
  for (const f of r.refunds) {
    const tr = el('tr');
    tr.append(timeCell(f.createdAt), el('td', money(f.amount, f.ticker)), el('td', S.refundStatuses[f.status] ?? f.status), el('td', f.actor || '—'), el('td', f.failureReason ? `${f.reason} (${f.failureReason})` : f.reason));
    body.append(tr);
  }
  $('refunds-table').hidden = r.refunds.length === 0;
  $('refunded-total').textContent = fill(S.refundedTotal, { refunded: money(r.payment.refunded, r.payment.ticker), amount: money(r.payment.amount, r.payment.ticker) });
  $('refund-form').hidden = !['paid', 'partially_refunded'].includes(r.payment.status);
  $('refunds').hidden = false;
}

$('refund-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const p = state.current;
  if (!p) return;
  const body = { amount: $('refund-amount').value.trim().replace(',', '.'), reason: $('refund-reason').value };
  const actor = $('actor').value.trim();
  if (actor) body.actor = actor;
  guarded(async () => {
    if (!await confirmAction(fill(S.confirmRefund, { amount: money(body.amount, p.ticker), order: p.payFor }))) {
      say(S.cancelled);
      return;
    }
    // One key per press: a network retry of the same press never refunds twice.
    const r = await api(`/payments/${encodeURIComponent(p.id)}/refunds`, { method: 'POST', body, headers: { 'idempotency-key': crypto.randomUUID() } });
    $('refund-amount').value = '';
    $('refund-reason').value = '';
    const updated = await api(`/payments/${encodeURIComponent(p.id)}`);
    renderDetail(updated);
    await loadRefunds(updated);
    say(fill(r.refund.status === 'succeeded' ? S.refundDone : S.refundPending, { amount: money(r.refund.amount, r.refund.ticker) }));
  });
});

/** A held payment (issue 25): its deadline, and capture / void, each asked to be confirmed first. */
async function loadHold(p) {
  $('hold').hidden = true;
  if (p.status !== 'authorized') return;
  let r;
  try {
    r = await api(`/api/v1/payments/${encodeURIComponent(p.id)}/holds`, { absolute: true, quiet: true });
  } catch {
    return;
  }
  state.hold = r.payment;
  $('hold-until').textContent = fill(S.holdUntil, {
    amount: r.payment.held, ticker: r.payment.ticker, at: r.payment.holdExpiresAt ? new Date(r.payment.holdExpiresAt).toLocaleString() : '—',
    policy: r.holdExpiry === 'capture' ? S.policyCapture : S.policyVoid,
  });
  $('hold').hidden = false;
}

/** Captures (`capture`) or voids the held payment on screen, after the person confirms. */
function holdAction(kind) {
  const p = state.current;
  const h = state.hold;
  if (!p || !h) return;
  const amount = $('capture-amount').value.trim().replace(',', '.');
  const shown = kind === 'capture' && amount ? amount : h.held;
  if (!window.confirm(fill(kind === 'capture' ? S.captureConfirm : S.voidConfirm, { amount: shown, ticker: h.ticker }))) return;
  const body = {};
  if (kind === 'capture' && amount) body.amount = amount;
  const reason = $('hold-reason').value.trim();
  if (reason) body.reason = reason;
  const actor = $('actor').value.trim();
  if (actor) body.actor = actor;
  guarded(async () => {
    // One key per press: a network retry of the same press never captures twice.
    const r = await api(`/api/v1/payments/${encodeURIComponent(p.id)}/${kind}`, { absolute: true, method: 'POST', body, headers: { 'idempotency-key': crypto.randomUUID() } });
    $('capture-amount').value = '';
    $('hold-reason').value = '';
    const updated = await api(`/payments/${encodeURIComponent(p.id)}`);
    renderDetail(updated);
    await loadHold(updated);
    await loadRefunds(updated);
    say(r.operation.status !== 'succeeded' ? S.holdPending : kind === 'capture' ? fill(S.capturedDone, { amount: r.operation.amount, ticker: r.operation.ticker }) : S.voidedDone);
  });
}

$('hold-form').addEventListener('submit', (event) => {
  event.preventDefault();
  holdAction('capture');
});
$('void-hold').addEventListener('click', () => holdAction('void'));

async function openPayment(id) {
  const p = await api(`/payments/${encodeURIComponent(id)}`);
  state.lastOpened = id;
  renderDetail(p);
  await loadHold(p);
  await loadRefunds(p);
  show('detail');
  $('detail-heading').focus();
}

$('status-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const p = state.current;
  if (!p) return;
  const body = { status: $('new-status').value, reason: $('reason').value };
  const actor = $('actor').value.trim();
  if (actor) body.actor = actor;
  guarded(async () => {
    if (!await confirmAction(fill(S.confirmStatus, { order: p.payFor, status: statusName(body.status) }))) {
      say(S.cancelled);
      return;
    }
    await api(`/payments/${encodeURIComponent(p.id)}/status`, { method: 'POST', body });
    $('reason').value = '';
    const updated = await api(`/payments/${encodeURIComponent(p.id)}`);
    renderDetail(updated);
    say(fill(S.statusSet, { status: statusText(updated) }));
    $('detail-heading').focus();
  });
});

$('resend').addEventListener('click', () => {
  const p = state.current;
  if (!p) return;
  const actor = $('actor').value.trim();
  guarded(async () => {
    await api(`/payments/${encodeURIComponent(p.id)}/resend`, { method: 'POST', body: actor ? { actor } : {} });
    renderDetail(await api(`/payments/${encodeURIComponent(p.id)}`));
    say(S.resent);
    $('notification-state').focus();
  });
});
$('notification-state').setAttribute('tabindex', '-1');

$('closing-receipt').addEventListener('click', () => {
  const p = state.current;
  if (!p) return;
  const actor = $('actor').value.trim();
  guarded(async () => {
    // One key per press: a network retry of the same press never issues two.
    const r = await api(`/api/v1/payments/${encodeURIComponent(p.id)}/receipts`, { absolute: true, method: 'POST', body: { type: 'full_payment', ...(actor ? { actor } : {}) }, headers: { 'idempotency-key': crypto.randomUUID() } });
    renderDetail(await api(`/payments/${encodeURIComponent(p.id)}`));
    say(fill(S.closingDone, { status: W.verdict(r.receipt.status) }));
  });
});

// ---- link builder ----

$('link-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const body = { price: $('l-price').value.trim().replace(',', '.'), payFor: $('l-pay-for').value.trim(), ln: $('l-ln').value };
  const ticker = $('l-ticker').value.trim();
  if (ticker) body.ticker = ticker.toUpperCase();
  for (const [id, key] of [['l-note', 'note'], ['l-url-success', 'urlSuccess'], ['l-url-fail', 'urlFail']]) {
    const v = $(id).value.trim();
    if (v) body[key] = v;
  }
  guarded(async () => {
    const r = await api('/links', { method: 'POST', body });
    $('link-url').value = r.url;
    $('link-snippet').value = r.snippet;
    $('link-snippet-url').value = r.snippetUrl;
    $('link-qr-code').replaceChildren(qrSvg(r.url));
    $('link-qr').hidden = true;
    $('link-qr-button').setAttribute('aria-expanded', 'false');
    $('link-result').hidden = false;
    say(S.linkBuilt);
    $('link-url').focus();
  });
});

wireCopyButtons($('link-result'), S, say, complain);
$('link-qr-button').addEventListener('click', () => {
  const open = $('link-qr').hidden;
  $('link-qr').hidden = !open;
  $('link-qr-button').setAttribute('aria-expanded', String(open));
});

// ---- integration test ----

$('test-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const body = {};
  const payFor = $('t-pay-for').value.trim();
  const amount = $('t-amount').value.trim();
  if (payFor) body.payFor = payFor;
  if (amount) body.amount = amount;
  $('run-test').disabled = true;
  say(S.testRunning);
  guarded(async () => {
    try {
      const r = await api('/integration-test', { method: 'POST', body });
      const tbody = $('test-body');
      tbody.replaceChildren();
      for (const c of r.cases) {
        const tr = el('tr');
        const name = el('th', S.cases[c.name] ?? c.name, { scope: 'row' });
        const verdict = el('td', S.verdicts[c.verdict] ?? c.verdict);
        verdict.className = c.verdict === 'pass' ? 'ok' : 'warn';
        const hint = el('td');
        if (c.hint) hint.append(el('p', c.hint));
        const det = el('details');
        const answer = c.answer.error ? c.answer.error : `HTTP ${c.answer.httpStatus}\n${c.answer.body}`;
        det.append(el('summary', `${S.request} / ${S.answer}`), el('p', S.request), el('pre', `${c.request.method} ${c.request.url}\n${c.request.contentType}\n\n${c.request.body}`), el('p', S.answer), el('pre', answer));
        hint.append(det);
        tr.append(name, verdict, el('td', c.durationMs), hint);
        tbody.append(tr);
      }
      $('test-table').hidden = false;
      say(fill(S.testDone, { n: r.cases.filter((c) => c.verdict === 'pass').length }));
    } finally {
      $('run-test').disabled = false;
    }
  });
});

// ---- settings ----

/** A settings audit line's details in words: each changed field by its label, from → to. */
function auditDetails(a) {
  const d = a.details || {};
  const value = (v) => (v === true ? S.yes : v === false ? S.no : v === null || v === undefined || v === '' ? '—' : Array.isArray(v) ? v.join(', ') || '—' : typeof v === 'object' ? JSON.stringify(v) : String(v));
  const label = (k) => S.settingsFields[k] ?? k;
  // A choice's value in the words of the settings form's own list (flag → «отметить и сообщить»).
  const lists = { duplicates: 's-duplicates', notifyStyle: 's-notify-style', apiType: 's-api-type', apiMethod: 's-api-method' };
  const said = (k, v) => [...($(lists[k])?.options ?? [])].find((o) => o.value === String(v))?.textContent ?? value(v);
  if (a.action === 'integration_test') return `${d.url ?? ''}: ${d.passed ? S.verdicts.pass : S.verdicts.fail}`;
  if (a.action === 'settings') return Object.entries(d).map(([k, c]) => `${label(k)}: ${said(k, c.from)} → ${said(k, c.to)}`).join('; ') || '—';
  return Object.entries(d).map(([k, v]) => `${label(k)}: ${value(v)}`).join('; ') || '—';
}

function renderSettings(s) {
  $('s-notifications').checked = s.notifications;
  $('s-api-url').value = s.apiUrl || '';
  $('s-api-type').value = String(s.apiType);
  $('s-api-method').value = s.apiMethod;
  $('s-notify-style').value = s.notifyStyle;
  $('s-origins').value = s.origins.join('\n');
  $('s-duplicates').value = s.duplicates;
  $('s-receipts').value = s.receipts ? JSON.stringify(s.receipts, null, 1) : '';
  const tbody = $('settings-audit-body');
  tbody.replaceChildren();
  for (const a of s.audit) {
    const tr = el('tr');
    tr.append(timeCell(a.at), el('td', a.actor), el('td', S.actions[a.action] ?? a.action), el('td', auditDetails(a)));
    tbody.append(tr);
  }
  $('settings-audit-table').hidden = s.audit.length === 0;
}

async function loadSettings() {
  renderSettings(await api('/settings'));
  show('settings');
  $('settings-heading').focus();
}

$('settings-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const apiUrl = $('s-api-url').value.trim();
  const body = {
    notifications: $('s-notifications').checked,
    apiUrl: apiUrl || null,
    apiType: Number($('s-api-type').value),
    apiMethod: $('s-api-method').value,
    notifyStyle: $('s-notify-style').value,
    origins: $('s-origins').value.split(/\s+/).filter(Boolean),
    duplicates: $('s-duplicates').value,
  };
  const receipts = $('s-receipts').value.trim();
  try {
    body.receipts = receipts ? JSON.parse(receipts) : null;
  } catch {
    say(S.receiptsInvalid);
    return;
  }
  const actor = $('s-actor').value.trim();
  if (actor) body.actor = actor;
  guarded(async () => {
    renderSettings(await api('/settings', { method: 'PATCH', body }));
    say(S.settingsSaved);
  });
});

$('rotate-key').addEventListener('click', () => guarded(async () => {
  if (!await confirmAction(S.confirmRotateKey)) {
    say(S.cancelled);
    return;
  }
  const actor = $('s-actor').value.trim();
  const r = await api('/settings/cabinet-key', { method: 'POST', body: actor ? { actor } : {} });
  $('new-key').value = r.apiKey;
  $('new-key-box').hidden = false;
  $('new-key').focus();
  renderSettings(await api('/settings'));
  say(S.keyRotated);
}));

$('secret-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const actor = $('s-actor').value.trim();
  guarded(async () => {
    if (!await confirmAction(fill(S.confirmRotateSecret, { hours: W.count(Number($('grace-hours').value)) }))) {
      say(S.cancelled);
      return;
    }
    const r = await api('/settings/secret', { method: 'POST', body: { graceHours: Number($('grace-hours').value), ...(actor ? { actor } : {}) } });
    $('new-secret').value = r.secret;
    $('grace-until').textContent = r.previousSecretUntil ? fill(S.graceUntil, { t: when(r.previousSecretUntil) }) : '';
    $('new-secret-box').hidden = false;
    $('new-secret').focus();
    renderSettings(await api('/settings'));
    say(S.secretRotated);
  });
});

// ---- navigation: #payment=<id>, #payments, #links, #test, #settings; anything else the overview ----

async function route() {
  const hash = location.hash;
  const m = /^#payment=(.+)$/.exec(hash);
  if (m) {
    await openPayment(decodeURIComponent(m[1]));
    return;
  }
  if (hash === '#payments') {
    const fromDetail = !$('detail').hidden;
    show('payments');
    await loadPayments(false);
    const link = state.lastOpened && $('payments-body').querySelector(`a[data-id="${window.CSS.escape(state.lastOpened)}"]`);
    (fromDetail && link ? link : $('payments-heading')).focus();
    return;
  }
  if (hash === '#links') {
    show('links');
    $('links-heading').focus();
    return;
  }
  if (hash === '#test') {
    show('test');
    $('test-heading').focus();
    return;
  }
  if (hash === '#settings') {
    await loadSettings();
    return;
  }
  if (hash === '#customers') {
    show('customers');
    $('customers-heading').focus();
    return;
  }
  await loadOverview(hash === '#overview');
}

/** The language switch keeps the open section: each language's link carries the current address's hash. */
function updateLanguageLinks() {
  for (const a of $('languages').querySelectorAll('a')) a.href = `?ln=${a.hreflang}${location.hash}`;
}
updateLanguageLinks();
// A customer's saved cards (issue 26): their own module.
wireSavedMethods({ api, S: S.saved, el, timeCell, say, complain, guarded, confirmAction, fill });

window.addEventListener('hashchange', () => {
  updateLanguageLinks();
  if (!state.csrf) return;
  guarded(route);
});

// ---- start: a live session (cookie) signs in at once ----

(async () => {
  try {
    signedIn(await api('/session', { signIn: true }));
  } catch {
    show('login');
    return;
  }
  guarded(async () => {
    await route();
    await showWarnings();
  });
})();
