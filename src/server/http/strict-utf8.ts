/**
 * Text at the edge is UTF-8 or refused. Browsers and `URLSearchParams` quietly turn bytes that are
 * not UTF-8 into U+FFFD, so `a\xff\xfe@b.ru` would be stored and passed on to the merchant as
 * `a��@b.ru`. Here bodies are decoded with a fatal decoder, and every percent-encoded query or form
 * value is decoded to bytes and checked the same way; a failure is a 400 naming the field.
 */
import { GatewayError } from '../errors.ts';

const fatal = new TextDecoder('utf-8', { fatal: true });
const lossy = new TextDecoder('utf-8');
const MAX_FIELD_NAME = 64;

/** Whether bytes are valid UTF-8. */
const isUtf8 = (bytes: Uint8Array): boolean => {
  try {
    fatal.decode(bytes);
    return true;
  } catch {
    return false;
  }
};

/** The bytes of a form-encoded component (`+` is a space, `%XX` a byte). */
function percentBytes(component: string): Uint8Array {
  const out: number[] = [];
  const raw = Buffer.from(component, 'utf8');
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i]!;
    if (b === 0x25 && i + 2 < raw.length && /^[0-9a-fA-F]{2}$/.test(String.fromCharCode(raw[i + 1]!, raw[i + 2]!))) {
      out.push(parseInt(String.fromCharCode(raw[i + 1]!, raw[i + 2]!), 16));
      i += 2;
    } else out.push(b === 0x2b ? 0x20 : b);
  }
  return Uint8Array.from(out);
}

/** A field name for an error: the decoded key, shortened, or `fallback` when it is itself not UTF-8. */
function fieldName(rawKey: string, fallback: string): string {
  const bytes = percentBytes(rawKey);
  return isUtf8(bytes) && bytes.length > 0 ? lossy.decode(bytes).slice(0, MAX_FIELD_NAME) : fallback;
}

/**
 * Throws a 400 naming the first key whose percent-decoded key or value is not UTF-8, in a query
 * string or a form-encoded body (`a=1&b=%FF`).
 * @example checkFormEncoding(new URL(req.url).search.slice(1), 'invalid_param')
 */
export function checkFormEncoding(encoded: string, code: 'invalid_param' | 'invalid_body' = 'invalid_param', fallback = 'query'): void {
  // Fast path: nothing percent-encoded at or above 0x80 means nothing to check (the text itself is a
  // JavaScript string, already decoded).
  if (!/%[89a-f]/i.test(encoded)) return;
  for (const pair of encoded.split('&')) {
    if (!/%[89a-f]/i.test(pair)) continue;
    const eq = pair.indexOf('=');
    const key = eq < 0 ? pair : pair.slice(0, eq);
    if (!isUtf8(percentBytes(pair))) {
      const field = fieldName(key, fallback);
      throw new GatewayError(400, code, `${field}: is not valid UTF-8`, field);
    }
  }
}

/** The path of the first string (key or value) holding U+FFFD in a parsed JSON value, if any. */
function replacedPath(value: unknown, path: string[] = []): string[] | undefined {
  if (typeof value === 'string') return value.includes('\ufffd') ? path : undefined;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const p = replacedPath(value[i], [...path, String(i)]);
      if (p) return p;
    }
    return undefined;
  }
  if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      if (k.includes('\ufffd')) return [...path, k];
      const p = replacedPath(v, [...path, k]);
      if (p) return p;
    }
  }
  return undefined;
}

/**
 * A request body as text, refused with a 400 when it is not UTF-8. The field named is the JSON key
 * (dotted path) or form key holding the bad bytes, else `body`.
 * @example const text = strictBodyText(new Uint8Array(await req.arrayBuffer()), req.headers.get('content-type'));
 */
export function strictBodyText(bytes: Uint8Array, contentType: string | undefined): string {
  const type = (contentType ?? '').toLowerCase();
  let text: string;
  try {
    text = fatal.decode(bytes);
  } catch {
    if (type.startsWith('application/json')) {
      let field = 'body';
      try {
        const p = replacedPath(JSON.parse(lossy.decode(bytes)));
        if (p && p.length > 0) field = p.join('.').slice(0, MAX_FIELD_NAME);
      } catch {
        // Not JSON either: the route would refuse it anyway; name the body.
      }
      throw new GatewayError(400, 'invalid_body', `${field}: is not valid UTF-8`, field);
    }
    if (type.startsWith('application/x-www-form-urlencoded')) {
      // Raw bytes (not percent-encoded) in a form: find the pair holding them.
      const latin = Buffer.from(bytes).toString('latin1');
      for (const pair of latin.split('&')) {
        if (!isUtf8(Buffer.from(pair, 'latin1'))) {
          const eq = pair.indexOf('=');
          const keyBytes = Buffer.from(eq < 0 ? pair : pair.slice(0, eq), 'latin1');
          const field = isUtf8(keyBytes) ? fieldName(lossy.decode(keyBytes), 'body') : 'body';
          throw new GatewayError(400, 'invalid_param', `${field}: is not valid UTF-8`, field);
        }
      }
    }
    throw new GatewayError(400, 'invalid_body', 'body: is not valid UTF-8', 'body');
  }
  if (type.startsWith('application/x-www-form-urlencoded')) checkFormEncoding(text, 'invalid_param', 'body');
  return text;
}

/**
 * Throws a 400 (`field: "path"`) when a percent-encoded request path does not decode to UTF-8.
 * @example checkPathEncoding('/pay/%FF') // throws
 */
export function checkPathEncoding(path: string): void {
  if (!/%[89a-f]/i.test(path)) return;
  if (!isUtf8(percentBytes(path.replaceAll('+', '%2B')))) throw new GatewayError(400, 'invalid_param', 'path: is not valid UTF-8', 'path');
}
