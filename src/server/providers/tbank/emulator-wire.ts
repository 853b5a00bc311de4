/**
 * The T-Bank emulator's wire rules, read from T-Bank's documentation independently of transform.ts
 * (the connector's side): the request token, request bodies (JSON, and the form-encoded bodies of
 * T-Bank's older PHP class), amounts, error messages and the NSPK link of an SBP QR code.
 * Facts and choices with their sources: README.md beside this file.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type http from 'node:http';

/** «Коды ошибок»: the messages the emulator answers with (`Message`). */
export const MESSAGES: Record<string, string> = {
  '0': 'OK',
  '1': 'Параметры не сопоставлены',
  '2': 'Отсутствуют обязательные параметры',
  '7': 'Неверный статус покупателя',
  '8': 'Неверный статус транзакции',
  '101': 'Не пройдена идентификация 3DS',
  '104': 'Ошибка выполения рекуррента',
  '107': 'Неверно введен CardId. Проверьте, что такая карта была ранее привязана',
  '108': 'Оплата разрешена только по 3DS картам. Попробуйте другую карту',
  '116': 'Недостаточно средств на карте',
  '201': 'Поле не должно быть пустым',
  '204': 'Неверный токен. Проверьте пару TerminalKey/SecretKey',
  '212': 'Размер поля OrderId должен быть от 1 до 36',
  '216': 'Размер поля CustomerKey должен быть от 1 до 36',
  '231': 'Не найден идентификатор карты',
  '251': 'Неверная сумма. Сумма должна быть больше или равна 100 копеек',
  '255': 'Платеж не найден',
  '308': 'Сумма всех позиций в чеке должна равняться сумме всех видов оплаты',
  '309': 'Поле Receipt не должно быть пустым',
  '310': 'Неверное значение параметра Quantity',
  '329': 'email или Phone обязательны при передаче чека',
  '330': 'Сумма в запросе больше чем в оригинальной транзакции',
  '334': 'Суммы в чеке и в платеже не совпадают',
  '335': 'OrderId не найден для TerminalKey',
  '501': 'Терминал не найден',
  '503': 'CustomerKey не найден',
  '623': 'Выплата по этому заказу уже прошла',
  '642': 'Проверьте номер карты',
  '1006': 'Платеж не прошел',
  '1051': 'Недостаточно средств на карте.',
  '3016': 'Невозможно создать QR',
  '9999': 'Внутренняя ошибка системы',
};

/**
 * The documented token rule: every root-level scalar except `Token`, plus `Password`, sorted by key,
 * values concatenated, SHA-256 over UTF-8, hex. Nested objects and arrays take no part.
 */
export function tokenOf(body: Record<string, unknown>, password: string): string {
  const all: Record<string, string> = { Password: password };
  for (const key of Object.keys(body)) {
    const v = body[key];
    if (key === 'Token') continue;
    if (typeof v === 'string') all[key] = v;
    else if (typeof v === 'number') all[key] = String(v);
    else if (typeof v === 'boolean') all[key] = String(v);
  }
  const joined = Object.keys(all).sort().map((k) => all[k]).join('');
  return createHash('sha256').update(Buffer.from(joined, 'utf8')).digest('hex');
}

/** Two hex strings compared in constant time (case-insensitive). */
export function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a.toLowerCase());
  const y = Buffer.from(b.toLowerCase());
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Sets `value` at a PHP-style form key (`Receipt[Items][0][Name]`) in `into`, as PHP's
 * `http_build_query` wrote it; numeric keys make arrays.
 */
function setFormKey(into: Record<string, unknown>, key: string, value: string): void {
  const m = /^([^[\]]+)((?:\[[^[\]]*\])*)$/.exec(key);
  if (!m) {
    into[key] = value;
    return;
  }
  const path = [m[1] as string, ...[...(m[2] ?? '').matchAll(/\[([^[\]]*)\]/g)].map((x) => x[1] as string)];
  let node: Record<string, unknown> | unknown[] = into;
  for (let i = 0; i < path.length; i++) {
    const seg = path[i] as string;
    const last = i === path.length - 1;
    const k: string | number = Array.isArray(node) ? (seg === '' ? node.length : Number(seg)) : seg;
    if (Array.isArray(node) && !Number.isSafeInteger(k)) return;
    if (last) {
      (node as Record<string | number, unknown>)[k] = value;
      return;
    }
    const next = path[i + 1] as string;
    let child = (node as Record<string | number, unknown>)[k];
    if (child === null || typeof child !== 'object') {
      child = /^\d*$/.test(next) ? [] : {};
      (node as Record<string | number, unknown>)[k] = child;
    }
    node = child as Record<string, unknown> | unknown[];
  }
}

/**
 * A request body as T-Bank reads it: a JSON object, or a form-encoded body (T-Bank's own older
 * `TinkoffMerchantAPI` PHP class posted `http_build_query` bodies to the v2 methods). Every form
 * value is a string, so the token is computed over exactly what was sent. Undefined when the body is
 * neither.
 */
export function parseRequestBody(contentType: string | undefined, raw: string): Record<string, unknown> | undefined {
  const type = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  if (type === 'application/x-www-form-urlencoded') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of new URLSearchParams(raw)) setFormKey(out, k, v);
    return Object.keys(out).length > 0 ? out : undefined;
  }
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return undefined;
  }
  return body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
}

/**
 * Kopecks from a request: a JSON integer, or a string of digits (the documentation's own token
 * example gives `Amount` as `"19200"`; form-encoded bodies carry only strings). Undefined otherwise.
 */
export function kopecksOf(v: unknown): number | undefined {
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? v : undefined;
  if (typeof v === 'string' && /^\d{1,15}$/.test(v)) return Number(v);
  return undefined;
}

/** A request's id field (`PaymentId`, `RebillId`, `CardId`): a string or a JSON integer. */
export function idOf(v: unknown): string | undefined {
  if (typeof v === 'string' && v !== '') return v;
  if (typeof v === 'number' && Number.isSafeInteger(v)) return String(v);
  return undefined;
}

/** CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) as four uppercase hex digits. */
export function crc16(text: string): string {
  let crc = 0xffff;
  for (const byte of Buffer.from(text, 'utf8')) {
    crc ^= byte << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc.toString(16).toUpperCase().padStart(4, '0');
}

/** NSPK's QR host: what `GetQr` hands out, and what a phone opens. */
export const NSPK_QR_BASE = 'https://qr.nspk.ru';
/** T-Bank's member id in the SBP (NSPK) register (`NspkBankId` of «Т-Банк» in `GetQrBankList`). */
export const TBANK_NSPK_BANK_ID = '100000000004';

/**
 * The SBP payload `GetQr` returns: `https://qr.nspk.ru/{32-character id}?type=02&bank=…&sum=…&cur=RUB&crc=…`
 * (`type=02`: a dynamic QR code for one payment; `sum` in kopecks).
 */
export function nspkLink(qrId: string, kopecks: number): string {
  const unsigned = `${NSPK_QR_BASE}/${qrId}?type=02&bank=${TBANK_NSPK_BANK_ID}&sum=${kopecks}&cur=RUB`;
  return `${unsigned}&crc=${crc16(unsigned)}`;
}

/** The QR id of an NSPK link (its path), or undefined when the link is not one. */
export function qrIdOfLink(link: string): string | undefined {
  let u: URL;
  try {
    u = new URL(link);
  } catch {
    return undefined;
  }
  return /^\/([A-Z0-9]{32})$/.exec(u.pathname)?.[1];
}

const DAY_MS = 24 * 3_600_000;
const MSK_OFFSET_MS = 3 * 3_600_000;
const QR_ID_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** Writes a whole answer: status, content type, length, extra headers, the body. */
export function answer(res: http.ServerResponse, status: number, type: string, body: string, extra: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body), ...extra });
  res.end(body);
}

/** A request body as text; null when it is over `limit` bytes or the connection fails. */
export function readBody(req: http.IncomingMessage, limit = 64 * 1024): Promise<string | null> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit) {
        resolve(null);
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', () => resolve(null));
  });
}

export function parseDueDate(v: unknown): number | undefined {
  if (typeof v !== 'string') return undefined;
  const t = Date.parse(v);
  return Number.isFinite(t) ? t : undefined;
}

/** «до 7 дней, включая день авторизации»: the end of the 7th Moscow day counting the first. */
export function holdDeadline(authorizedAt: number): number {
  const dayStart = Math.floor((authorizedAt + MSK_OFFSET_MS) / DAY_MS) * DAY_MS - MSK_OFFSET_MS;
  return dayStart + 7 * DAY_MS;
}

/** A 32-character id like NSPK's (`AD1…`: a dynamic code). */
export function newQrId(): string {
  const bytes = randomBytes(29);
  return `AD1${[...bytes].map((b) => QR_ID_ALPHABET[b % 36]).join('')}`;
}
