/**
 * The CloudPayments emulator's SBP by QR link: `POST /payments/qr/sbp/link` answering as CloudPayments'
 * SDKs read it (`Model`: `QrUrl`, an NSPK link; `TransactionId`; `ProviderQrId`; `MerchantOrderId`;
 * `Banks`, NSPK's C2B members dictionary, a few banks), and the "bank app" page a phone reaches from
 * that link (`/sbp/{ProviderQrId}`), where the buyer pays or declines: Check first, then Pay or Fail,
 * signed and retried as every notification. Choices where the documentation is silent: README.
 *
 * Part of the emulator: imports nothing of the connector or the gateway.
 */
import { randomBytes } from 'node:crypto';
import { authorise, declineTx, envelope, type ApiAnswer, type ApiState } from './emulator-api.ts';
import { receiptFor, isReceiptError } from './emulator-receipts.ts';
import { REASONS, newTransaction, paymentNotification, type EmulatedTransaction, type NotificationFields } from './emulator-model.ts';
import { amountJson, amountText, escapeHtml, num, readAmount, scalar, writeJson, type Json } from './emulator-wire.ts';

/** NSPK's QR host: what the link names, and what a phone opens. */
export const NSPK_QR_BASE = 'https://qr.nspk.ru';
/** The acquiring bank's member id written into the emulator's NSPK links (a fixed test value). */
const ACQUIRER_NSPK_ID = '100000000007';
/** `TtlMinutes` when the request has none: the value CloudPayments' Android SDK sends by default. */
const DEFAULT_TTL_MINUTES = 30;
/** The longest `TtlMinutes` taken (our bound: 3 days, NSPK's common limit for a dynamic QR code). */
const MAX_TTL_MINUTES = 3 * 24 * 60;

/**
 * The `Banks` of every answer: NSPK's dictionary shape (`version`, `dictionary[]` of `bankName`,
 * `logoURL`, `schema`, `package_name`), a few banks in an order of CloudPayments' own, so a test can
 * tell this list from the gateway's snapshot.
 */
export const EMULATOR_SBP_BANKS = {
  version: '1.0',
  dictionary: [
    { bankName: 'ВТБ', logoURL: 'https://qr.nspk.ru/proxyapp/logo/bank100000000005.png', schema: 'bank100000000005', package_name: 'ru.vtb24.mobilebanking.android' },
    { bankName: 'Сбербанк', logoURL: 'https://qr.nspk.ru/proxyapp/logo/bank100000000111.png', schema: 'bank100000000111', package_name: 'ru.sberbankmobile' },
    { bankName: 'Альфа-Банк', logoURL: 'https://qr.nspk.ru/proxyapp/logo/bank100000000008.png', schema: 'bank100000000008', package_name: 'ru.alfabank.mobile.android' },
  ],
} as const;

/** One QR code handed out. */
export interface EmulatedSbpQr {
  qrId: string;
  transactionId: number;
  link: string;
  expiresAt: number;
  successRedirectUrl: string;
  failRedirectUrl: string;
}

/** CRC-16/CCITT-FALSE, as 4 upper-case hex digits (the `crc` parameter NSPK links end with). */
function crc16(text: string): string {
  let crc = 0xffff;
  for (const byte of Buffer.from(text, 'utf8')) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc.toString(16).toUpperCase().padStart(4, '0');
}

/** A fresh 32-character QR id of NSPK's alphabet (upper-case Latin letters and digits). */
function newQrId(): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  return `AD${[...randomBytes(30)].map((b) => alphabet[b % alphabet.length]).join('')}`;
}

/**
 * `payments/qr/sbp/link`: a transaction awaiting the buyer (`AwaitingAuthentication`, our
 * `InvoiceId`) and its NSPK link. Refusals name the field: `Amount`, `Currency` (SBP takes roubles
 * only), `Scheme` (`charge` only: SBP has no hold), `TtlMinutes`, the receipt in `JsonData`.
 */
export function createSbpLink(state: ApiState, qrs: Map<string, EmulatedSbpQr>, params: Record<string, Json>): ApiAnswer {
  if (params.Amount === undefined || params.Amount === '') return envelope(false, 'Amount is required');
  const amountMinor = readAmount(params.Amount);
  if (amountMinor === null || amountMinor <= 0n) return envelope(false, 'Invalid Amount value');
  const currency = (scalar(params.Currency) ?? 'RUB').toUpperCase();
  if (currency !== 'RUB') return envelope(false, 'Invalid Currency value');
  const scheme = scalar(params.Scheme) ?? 'charge';
  if (scheme !== 'charge') return envelope(false, 'Invalid Scheme value');
  const ttlText = scalar(params.TtlMinutes);
  const ttl = ttlText === undefined || ttlText === '' ? DEFAULT_TTL_MINUTES : Number(ttlText);
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TTL_MINUTES) return envelope(false, 'Invalid TtlMinutes value');
  const receipt = receiptFor(params.JsonData, amountMinor);
  if (isReceiptError(receipt)) return envelope(false, receipt.message);
  const jsonData = params.JsonData === undefined || params.JsonData === null || params.JsonData === '' ? null : typeof params.JsonData === 'string' ? params.JsonData : writeJson(params.JsonData);
  const now = state.now();
  // An SBP payment has no card.
  const tx = newTransaction(state.nextTransactionId(), now, {
    invoiceId: scalar(params.InvoiceId) ?? '', accountId: scalar(params.AccountId) ?? '', amountMinor, currency,
    email: scalar(params.Email) ?? '', description: scalar(params.Description) ?? '', ipAddress: scalar(params.IpAddress) ?? '127.0.0.1', jsonData,
  });
  state.transactions.push(tx);
  const qrId = newQrId();
  const unsigned = `${NSPK_QR_BASE}/${qrId}?type=02&bank=${ACQUIRER_NSPK_ID}&sum=${amountMinor}&cur=RUB`;
  const qr: EmulatedSbpQr = {
    qrId,
    transactionId: tx.transactionId,
    link: `${unsigned}&crc=${crc16(unsigned)}`,
    expiresAt: now + ttl * 60_000,
    successRedirectUrl: scalar(params.SuccessRedirectUrl) ?? '',
    failRedirectUrl: scalar(params.FailRedirectUrl) ?? '',
  };
  qrs.set(qrId, qr);
  return envelope(true, null, {
    QrUrl: qr.link,
    TransactionId: num(tx.transactionId),
    ProviderQrId: qrId,
    MerchantOrderId: tx.invoiceId || null,
    Amount: amountJson(amountMinor),
    Banks: EMULATOR_SBP_BANKS,
  });
}

/** The QR id of one of the emulator's NSPK links, or undefined. */
export function qrIdOfLink(link: string): string | undefined {
  if (!URL.canParse(link)) return undefined;
  const u = new URL(link);
  if (u.origin !== NSPK_QR_BASE) return undefined;
  return /^\/([A-Z0-9]{32})$/.exec(u.pathname)?.[1];
}

/** Pay fields of a paid SBP transaction: Pay's own (`TotalFee`, `GatewayName`, `AuthCode`), no card. */
function sbpPayFields(tx: EmulatedTransaction): NotificationFields {
  const fields = { ...paymentNotification(tx), GatewayName: 'Test', TotalFee: amountJson(0n), AuthCode: tx.authCode ?? '' };
  for (const k of ['CardFirstSix', 'CardLastFour', 'CardType', 'CardExpDate']) delete (fields as Record<string, unknown>)[k];
  return fields;
}

/** What the bank-app page needs of the server: its state, the QR codes and the Check step. */
export interface SbpPageDeps {
  state: ApiState;
  qrs: Map<string, EmulatedSbpQr>;
  /** Sends Check for the transaction: null when accepted, else the decline it causes. */
  check(tx: EmulatedTransaction): Promise<{ code: number; reason: string; message: string } | null>;
  page(title: string, body: string): string;
}

/**
 * Pays (or declines) a QR code as the buyer's bank app does: Check, then Pay; a Check refusal or
 * `decline` sends Fail. A code past its `TtlMinutes` or already used is refused.
 */
export async function paySbpQr(deps: SbpPageDeps, qrId: string, verdict: 'pay' | 'decline'): Promise<{ status: number; title: string; redirectUrl?: string }> {
  const qr = deps.qrs.get(qrId);
  const tx = qr && deps.state.transactions.find((t) => t.transactionId === qr.transactionId);
  if (!qr || !tx) return { status: 404, title: 'QR-код не найден' };
  if (tx.status !== 'AwaitingAuthentication') return { status: 409, title: tx.status === 'Completed' ? 'Уже оплачено' : 'Платёж закрыт' };
  if (deps.state.now() > qr.expiresAt) return { status: 410, title: 'Срок действия QR-кода истёк' };
  if (verdict === 'decline') {
    declineTx(deps.state, tx, REASONS.doNotHonor);
    return { status: 200, title: 'Оплата отклонена', ...(qr.failRedirectUrl ? { redirectUrl: qr.failRedirectUrl } : {}) };
  }
  const refused = await deps.check(tx);
  if (refused) {
    declineTx(deps.state, tx, refused);
    return { status: 200, title: 'Оплата отклонена', ...(qr.failRedirectUrl ? { redirectUrl: qr.failRedirectUrl } : {}) };
  }
  authorise(deps.state, tx, null);
  deps.state.deliver('pay', sbpPayFields(tx));
  return { status: 200, title: 'Оплата прошла', ...(qr.successRedirectUrl ? { redirectUrl: qr.successRedirectUrl } : {}) };
}

/**
 * The emulator's SBP pages, or null for another path: `GET /sbp` lists the open QR codes (a real phone
 * scanning one goes to NSPK, which does not know them: someone trying the demo on one machine finds
 * them here); `/sbp/{qrId}` is one code's bank-app page.
 */
export async function sbpRoute(deps: SbpPageDeps, method: string, pathname: string, body: string): Promise<{ status: number; html: string } | null> {
  if (pathname === '/sbp' || pathname === '/sbp/') {
    if (method !== 'GET') return { status: 405, html: deps.page('Метод не поддерживается', '') };
    const now = deps.state.now();
    const rows = [...deps.qrs.values()]
      .map((q) => ({ q, tx: deps.state.transactions.find((t) => t.transactionId === q.transactionId) }))
      .filter(({ q, tx }) => tx?.status === 'AwaitingAuthentication' && now <= q.expiresAt)
      .map(({ q, tx }) => `<li><a href="/sbp/${q.qrId}">${amountText(tx!.amountMinor)} ₽ — ${escapeHtml(tx!.description || tx!.invoiceId)}</a></li>`)
      .join('');
    return { status: 200, html: deps.page('Неоплаченные QR-коды СБП', rows ? `<ul>${rows}</ul>` : '<p>Нет неоплаченных QR-кодов.</p>') };
  }
  const one = /^\/sbp\/([A-Z0-9]{32})$/.exec(pathname);
  return one ? sbpPage(deps, method, one[1]!, body) : null;
}

/** `GET /sbp/{qrId}`: what the bank app shows; `POST` with `action=pay|decline` pays or declines. */
export async function sbpPage(deps: SbpPageDeps, method: string, qrId: string, body: string): Promise<{ status: number; html: string }> {
  if (method === 'POST') {
    const action = new URLSearchParams(body).get('action');
    if (action !== 'pay' && action !== 'decline') return { status: 400, html: deps.page('Неверный запрос', '<p>action: pay или decline</p>') };
    const r = await paySbpQr(deps, qrId, action);
    const back = r.redirectUrl ? `<p><a href="${escapeHtml(r.redirectUrl)}">Вернуться в магазин</a></p>` : '';
    return { status: r.status, html: deps.page(r.title, back) };
  }
  if (method !== 'GET') return { status: 405, html: deps.page('Метод не поддерживается', '') };
  const qr = deps.qrs.get(qrId);
  const tx = qr && deps.state.transactions.find((t) => t.transactionId === qr.transactionId);
  if (!qr || !tx) return { status: 404, html: deps.page('QR-код не найден', '') };
  return {
    status: 200,
    html: deps.page('Банк (эмулятор СБП)', `<p>${escapeHtml(tx.description)}</p><p><strong>${amountText(tx.amountMinor)} ₽</strong></p>
<form method="post" action="/sbp/${escapeHtml(qrId)}"><button type="submit" name="action" value="pay">Оплатить</button><button type="submit" name="action" value="decline">Отклонить</button></form>`),
  };
}
