// The merchant cabinet page over /api/v1/cabinet (docs/CABINET.md). Plain DOM, no framework; every
// server value goes into the page as text. The API key lives in sessionStorage: this tab only.
const KEY_STORAGE = 'onpay-cabinet-key';
const PAGE_SIZE = 20;

const $ = (id) => document.getElementById(id);
const root = $('cabinet');
const S = JSON.parse(root.dataset.strings);
const lang = document.documentElement.lang || 'ru';

const state = { cursor: null, filters: {}, current: null, lastOpened: null };

const fill = (template, values) => template.replace(/\{(\w+)\}/g, (_, k) => String(values[k] ?? ''));
const when = (iso) => (iso ? new Date(iso).toLocaleString(lang) : '—');

function say(text) {
  $('error').textContent = '';
  // Re-set so that the same message twice is announced twice.
  $('message').textContent = '';
  setTimeout(() => { $('message').textContent = text; }, 30);
}

function complain(text) {
  $('message').textContent = '';
  $('error').textContent = text;
}

class ApiError extends Error {
  constructor(status, body) {
    super((body && body.error && body.error.message) || `HTTP ${status}`);
    this.status = status;
    this.field = body && body.error && body.error.field;
  }
}

async function api(path, init = {}) {
  const key = sessionStorage.getItem(KEY_STORAGE) || '';
  const headers = { accept: 'application/json', authorization: `Bearer ${key}` };
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  let res;
  try {
    res = await fetch(`/api/v1/cabinet${path}`, { ...init, headers, body: init.body === undefined ? undefined : JSON.stringify(init.body) });
  } catch {
    throw new ApiError(0, { error: { message: S.network } });
  }
  const body = await res.json().catch(() => null);
  if (res.status === 401) {
    signOut(S.badKey);
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
    if (e.status !== 401) complain(e.message);
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

function statusText(p) {
  return p.manual ? `${S.statuses[p.status]} (${S.manual})` : S.statuses[p.status];
}

const notificationText = (status) => (status ? S.notifications[status] : S.notifications.none);

function show(section) {
  for (const id of ['login', 'payments', 'detail']) $(id).hidden = id !== section;
}

// ---- sign in / out ----

function signOut(message) {
  sessionStorage.removeItem(KEY_STORAGE);
  state.current = null;
  show('login');
  if (location.hash) history.replaceState(null, '', location.pathname + location.search);
  if (message) complain(message);
  $('api-key').focus();
}

$('login-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const key = $('api-key').value.trim();
  if (!key) return;
  sessionStorage.setItem(KEY_STORAGE, key);
  guarded(async () => {
    const me = await api('/me');
    $('api-key').value = '';
    showMe(me);
    await route();
    say(fill(S.loggedIn, { name: me.name }));
  });
});

/** The merchant's name and the warnings about its settings (as text, never markup). */
function showMe(me) {
  $('merchant-name').textContent = `${me.name} (${me.login})`;
  // The «Тестовый режим» badge of a test merchant.
  $('test-mode').hidden = !me.testMode;
  const list = $('warnings');
  list.replaceChildren(...(me.warnings ?? []).map((w) => el('li', S.warnings?.[w.code] ?? w.message)));
  list.hidden = list.children.length === 0;
}

$('logout').addEventListener('click', () => {
  signOut();
  say(S.loggedOut);
});

// ---- the list ----

function paymentRow(p) {
  const tr = el('tr');
  const first = el('td');
  first.append(el('a', p.number, { href: `#payment=${encodeURIComponent(p.id)}`, 'data-id': p.id }));
  tr.append(first, el('td', p.payFor), el('td', `${p.amount} ${p.ticker}`), el('td', statusText(p)));
  const n = el('td', notificationText(p.notificationStatus));
  if (p.notificationStatus === 'gave_up') n.className = 'warn';
  tr.append(n, timeCell(p.createdAt));
  return tr;
}

/** A local calendar day as the instant it starts (`to` days are inclusive on the page, exclusive in the API). */
function dayStart(value, plusDays = 0) {
  const [y, m, d] = value.split('-').map(Number);
  return new Date(y, m - 1, d + plusDays).toISOString();
}

function readFilters() {
  const f = {};
  const status = $('f-status').value;
  const payFor = $('f-pay-for').value.trim();
  if (status) f.status = status;
  if (payFor) f.pay_for = payFor;
  if ($('f-from').value) f.from = dayStart($('f-from').value);
  if ($('f-to').value) f.to = dayStart($('f-to').value, 1);
  return f;
}

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

function renderDetail(p) {
  state.current = p;
  $('detail-heading').textContent = fill(S.paymentTitle, { n: p.number });
  const F = S.fields;
  const fields = [
    [F.id, p.id], [F.payFor, p.payFor], [F.status, statusText(p)], [F.statusReason, p.statusReason || '—'],
    [F.amount, `${p.amount} ${p.ticker}`], [F.order, `${p.order.price} ${p.order.ticker}`],
    [F.balance, `${p.balance.amount} ${p.balance.ticker}`], [F.way, p.way],
    [F.createdAt, when(p.createdAt)], [F.paidAt, when(p.paidAt)], [F.userEmail, p.userEmail || '—'], [F.note, p.order.note || '—'],
  ];
  const dl = $('detail-fields');
  dl.replaceChildren();
  for (const [k, v] of fields) dl.append(el('dt', k), el('dd', v));

  const n = p.notification;
  $('notification-state').textContent = n.status
    ? fill(S.notificationState, { state: notificationText(n.status), n: n.attempts.length })
    : S.noNotification;
  $('notification-state').className = n.status === 'gave_up' ? 'warn' : '';
  const attempts = $('attempts-body');
  attempts.replaceChildren();
  for (const a of n.attempts) {
    const tr = el('tr');
    tr.append(timeCell(a.at), el('td', a.httpStatus ?? '—'), el('td', a.durationMs), el('td', a.verdict), el('td', a.excerpt));
    attempts.append(tr);
  }
  $('attempts-table').hidden = n.attempts.length === 0;
  $('attempts-empty').hidden = n.attempts.length > 0;
  $('attempts-empty').textContent = n.status ? S.noAttempts : '';
  $('resend').hidden = !p.canResend;

  const select = $('new-status');
  select.replaceChildren(...p.allowedStatuses.map((s) => el('option', S.statuses[s], { value: s })));
  $('status-form').hidden = p.allowedStatuses.length === 0;
  $('status-locked').hidden = p.allowedStatuses.length > 0;

  const audit = $('audit-body');
  audit.replaceChildren();
  for (const a of p.audit) {
    const tr = el('tr');
    const change = a.fromStatus === a.toStatus ? S.statuses[a.toStatus] ?? a.toStatus : `${S.statuses[a.fromStatus] ?? a.fromStatus} → ${S.statuses[a.toStatus] ?? a.toStatus}`;
    tr.append(timeCell(a.at), el('td', a.actor), el('td', S.actions[a.action] ?? a.action), el('td', change), el('td', a.reason || '—'));
    audit.append(tr);
  }
  $('audit-table').hidden = p.audit.length === 0;
  $('audit-empty').hidden = p.audit.length > 0;
  $('audit-empty').textContent = S.noAudit;
}

async function openPayment(id) {
  const p = await api(`/payments/${encodeURIComponent(id)}`);
  state.lastOpened = id;
  renderDetail(p);
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
    const updated = await api(`/payments/${encodeURIComponent(p.id)}/status`, { method: 'POST', body });
    $('reason').value = '';
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
    const r = await api(`/payments/${encodeURIComponent(p.id)}/resend`, { method: 'POST', body: actor ? { actor } : {} });
    renderDetail(r.payment);
    say(S.resent);
    $('notification-state').focus();
  });
});
$('notification-state').setAttribute('tabindex', '-1');

// ---- navigation: #payment=<id> is one payment, anything else the list ----

async function route() {
  const m = /^#payment=(.+)$/.exec(location.hash);
  if (m) {
    await openPayment(decodeURIComponent(m[1]));
    return;
  }
  const fromDetail = !$('detail').hidden;
  show('payments');
  await loadPayments(false);
  const link = state.lastOpened && $('payments-body').querySelector(`a[data-id="${CSS.escape(state.lastOpened)}"]`);
  if (fromDetail) (link || $('payments-heading')).focus();
}

window.addEventListener('hashchange', () => {
  if (!sessionStorage.getItem(KEY_STORAGE)) return;
  guarded(route);
});

// ---- start ----

if (sessionStorage.getItem(KEY_STORAGE)) {
  guarded(async () => {
    const me = await api('/me');
    showMe(me);
    await route();
  });
} else {
  show('login');
}
