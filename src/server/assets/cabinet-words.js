// The cabinet's words and figures in the page's language (issue 28): money and dates through the
// gateway's one formatter (src/protocol/locale-format.ts, served as /assets/locale-format.js), times
// in the viewer's own time zone, and the server's facts (status reasons, verdicts, timeline events)
// said from the message table rather than shown as the API's English.
import { formatDate, formatDateTime, formatMoney } from '/assets/locale-format.js';

/** Fills `{name}` marks from `values`. */
export const fill = (template, values) => template.replace(/\{(\w+)\}/g, (_, k) => String(values[k] ?? ''));

/**
 * The helpers for one page: `S` is the script's message table, `lang` the page's language, `ways`
 * the configured ways with their titles in that language.
 */
export function createWords(S, lang, ways) {
  const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  // Browsers ship locale data for fewer languages than Node (Debian's Chromium has no Kazakh, yet
  // says it supports it and writes the root locale's `1,234.5`): a language whose figures come out
  // as English's, English aside, is written in Russian's (1 224,50 ₽, 08.12.2026), which its readers share.
  const probe = (l) => new Intl.NumberFormat(l).format(1234.5);
  const figures = lang === 'en' || probe(lang) !== probe('en') ? lang : 'ru';
  const wayTitles = new Map(ways.map((w) => [w.code, w.title]));

  const money = (amount, ticker) => (amount === null || amount === undefined ? '—' : formatMoney(String(amount), ticker, figures));
  const when = (iso) => (iso ? formatDateTime(Date.parse(iso), figures, timeZone) : '—');
  /** A `YYYY-MM-DD` day of the overview (already the viewer's day) as the language writes it. */
  const day = (ymd) => formatDate(Date.parse(`${ymd}T12:00:00Z`), figures, 'UTC');
  const dayAt = (ms) => formatDate(ms, figures, timeZone);
  const count = (n) => new Intl.NumberFormat(figures).format(n);
  const percent = (rate) => (rate === null ? '—' : new Intl.NumberFormat(figures, { style: 'percent', minimumFractionDigits: 1, maximumFractionDigits: 1 }).format(Number(rate)));
  const wayName = (code) => wayTitles.get(code) ?? code;
  const statusName = (s) => S.statuses[s] ?? s;
  const change = (from, to) => (from === to ? statusName(to) : `${statusName(from)} → ${statusName(to)}`);

  /** `delivered`, `failed: HTTP 500`, `declined: out of stock`: the first word said, the rest kept. */
  function verdict(v) {
    if (!v) return '—';
    const i = v.indexOf(': ');
    const head = i < 0 ? v : v.slice(0, i);
    const word = S.verdictWords[head] ?? head;
    return i < 0 ? word : `${word}: ${v.slice(i + 2)}`;
  }

  /** A payment's status reason (`reason: {code, detail}` from the API). */
  function reason(r) {
    if (!r || r.code === 'none') return '—';
    if (r.code === 'other') return r.detail;
    const words = S.reasons[r.code] ?? r.code;
    return r.detail ? `${words}: ${r.detail}` : words;
  }

  /** One timeline event's line, from its facts; the API's English summary only for an event the table does not know. */
  function event(e, p) {
    const d = e.data;
    const E = S.events;
    if (!d) return e.summary;
    switch (e.kind) {
      case 'created': return fill(E.created, { payFor: d.payFor, price: money(d.price, d.ticker), amount: money(d.amount, d.wayTicker), way: wayName(d.way) });
      case 'check_request': return fill(E.check_request, d);
      case 'check_answer': return d.error ? fill(E.check_error, d) : fill(E.check_answer, d);
      case 'status': return d.status === p.status && p.reason.code !== 'none' ? `${statusName(d.status)} (${reason(p.reason)})` : statusName(d.status);
      case 'pay_written': return fill(E.pay_written, d);
      case 'pay_attempt': return d.httpStatus === null ? E.pay_no_answer : fill(E.pay_attempt, d);
      case 'manual':
      case 'paid_late': return fill(E.manual, { action: S.actions[d.action] ?? d.action, actor: d.actor, change: change(d.from, d.to) }) + (d.reason ? ` (${d.reason})` : '');
      case 'refund': return fill(E.refund, { amount: money(d.amount, d.ticker), actor: d.actor, reason: d.reason });
      case 'receipt': return fill(E.receipt, { receiptKind: S.receiptKinds[d.receiptKind] ?? d.receiptKind, amount: money(d.amount, 'RUR'), lines: d.lines });
      default: return e.summary;
    }
  }

  return { money, when, day, dayAt, count, percent, wayName, statusName, change, verdict, reason, event, timeZone };
}

/** A status as a coloured chip (the colour repeats the words, never replaces them). */
export function chip(text, status) {
  const span = document.createElement('span');
  span.className = `chip chip-${status}`;
  span.textContent = text;
  return span;
}
