/**
 * What the T-Bank emulator's buyer does in a browser: the card form at `PaymentURL` (`/new/{formId}`,
 * T-Bank's published test cards, the issuer's 3-D Secure page for the challenge card, cancel back to
 * the shop), and the SBP "scan and pay" page of a bank app (`/sbp/{qrId}`, with `/sbp` listing the
 * open codes, since the NSPK link leaves loopback). The HTML is emulator-pages.ts's; the moves of a
 * payment's status are the shared state's (emulator-model.ts).
 */
import type http from 'node:http';
import { OPEN, PAID, type EmulatorState } from './emulator-model.ts';
import { ACS_PASSCODE, acsPage, cardFormPage, escapeHtml, finishedPage, notFoundPage, page, rubles, sbpPage, TEST_CARDS } from './emulator-pages.ts';
import type { EmulatorPayment } from './emulator-types.ts';
import { answer, MESSAGES, readBody } from './emulator-wire.ts';

const finished = (p: EmulatorPayment): string => finishedPage(PAID.has(p.status), p.status);

/** To the shop's return address, or the emulator's own page of the outcome when the shop gave none. */
function back(res: http.ServerResponse, url: string | undefined, p: EmulatorPayment): void {
  if (url) answer(res, 303, 'text/plain; charset=utf-8', '', { location: url });
  else answer(res, 200, 'text/html; charset=utf-8', finished(p));
}

/**
 * Answers a buyer's page request (anything that is not an API method or a wallet route); 404 for
 * an address it does not know.
 * @example await serveBuyerPages(state, req, res, '/new/Ab12Cd34')
 */
export async function serveBuyerPages(state: EmulatorState, req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<void> {
  const parts = path.split('/').filter(Boolean);
  const form = req.method === 'POST' ? new URLSearchParams((await readBody(req)) ?? '') : new URLSearchParams();
  const html = (status: number, body: string): void => answer(res, status, 'text/html; charset=utf-8', body);
  if (parts[0] === 'new' && parts[1]) {
    const p = state.byForm.get(parts[1]);
    if (!p) return html(404, notFoundPage('Платёж'));
    state.expireIfDue(p);
    return cardForm(state, req.method, parts[2], form, p, res);
  }
  if (parts[0] === 'sbp' && !parts[1] && req.method === 'GET') {
    // The NSPK link leaves loopback; a buyer trying the demo on this machine finds open QR codes here.
    const open = [...state.byQr.entries()].filter(([, q]) => OPEN.has(q.status));
    const rows = open.map(([id, q]) => `<li><a href="/sbp/${id}">${escapeHtml(rubles(q.amount))} — ${escapeHtml(q.description || q.orderId)}</a></li>`).join('');
    return html(200, page('СБП', `<h1>Неоплаченные QR-коды СБП</h1>${rows ? `<ul>${rows}</ul>` : '<p>Нет неоплаченных QR-кодов.</p>'}`));
  }
  if (parts[0] === 'sbp' && parts[1]) {
    const p = state.byQr.get(parts[1]);
    if (!p) return html(404, notFoundPage('QR-код'));
    state.expireIfDue(p);
    if (!OPEN.has(p.status)) return html(410, finished(p));
    if (req.method === 'GET') {
      if (p.status === 'NEW') p.status = 'FORM_SHOWED';
      return html(200, sbpPage(parts[1], p.terminalKey, p.amount, p.description));
    }
    if (form.get('action') === 'pay') {
      // SBP has no two-stage payments: straight to CONFIRMED.
      p.remaining = p.amount;
      state.setStatus(p, 'CONFIRMED');
      return html(200, page('СБП', `<h1>Оплачено</h1><p>${escapeHtml(rubles(p.amount))}. Вернитесь на страницу магазина.</p>`));
    }
    state.setStatus(p, 'REJECTED', '1006');
    return html(200, page('СБП', '<h1>Платёж отклонён</h1>'));
  }
  answer(res, 404, 'text/plain', 'Not Found');
}

/** The card form of one session: shown (GET), then `pay`, `acs` (the 3-D Secure passcode) or `cancel`. */
function cardForm(state: EmulatorState, method: string | undefined, action: string | undefined, form: URLSearchParams, p: EmulatorPayment, res: http.ServerResponse): void {
  const html = (status: number, body: string): void => answer(res, status, 'text/html; charset=utf-8', body);
  if (!action && method === 'GET') {
    if (!OPEN.has(p.status)) return html(410, finished(p));
    if (p.status === 'NEW') p.status = 'FORM_SHOWED';
    return html(200, cardFormPage(p.formId, p.amount, p.description));
  }
  if (method !== 'POST') return answer(res, 405, 'text/plain', 'Method Not Allowed');
  if (action === 'cancel') {
    if (OPEN.has(p.status)) state.setStatus(p, 'CANCELED');
    return back(res, p.failUrl, p);
  }
  if (action === 'pay') {
    if (!OPEN.has(p.status)) return html(410, finished(p));
    const pan = (form.get('pan') ?? '').replace(/\D/g, '');
    const card = TEST_CARDS.find((c) => c.pan === pan);
    p.method = 'card';
    p.pan = pan;
    if (!card) return html(200, cardFormPage(p.formId, p.amount, p.description, `${MESSAGES['642']}: используйте тестовую карту`));
    if (card.outcome === 'success') {
      state.authorize(p);
      return back(res, p.successUrl, p);
    }
    if (card.outcome === 'decline') {
      state.setStatus(p, 'REJECTED', card.errorCode);
      return back(res, p.failUrl, p);
    }
    // Intermediate statuses are not notified.
    p.status = '3DS_CHECKING';
    return html(200, acsPage(p.formId));
  }
  if (action === 'acs') {
    if (p.status !== '3DS_CHECKING') return html(410, finished(p));
    const card = TEST_CARDS.find((c) => c.pan === p.pan);
    if (card?.outcome === '3ds_challenge' && form.get('otp') === ACS_PASSCODE) {
      p.status = '3DS_CHECKED';
      state.authorize(p);
      return back(res, p.successUrl, p);
    }
    state.setStatus(p, 'AUTH_FAIL', '101');
    return back(res, p.failUrl, p);
  }
  return answer(res, 404, 'text/plain', 'Not Found');
}
