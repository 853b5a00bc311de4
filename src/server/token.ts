/**
 * Form tokens: the validated payment-link parameters, signed by the gateway (HMAC-SHA256) and
 * expiring, so that nothing the buyer's browser holds can change the order.
 */
import { createHash, createHmac, createSecretKey, type KeyObject } from 'node:crypto';
import { safeEqual } from '../protocol/onpay-api.ts';

const b64 = (s: string | Buffer): string => Buffer.from(s).toString('base64url');

// A key imported once: createHmac with a string key imports it again on every call.
let lastKey: { secret: string; key: KeyObject } | undefined;
function keyOf(secret: string): KeyObject {
  if (lastKey?.secret !== secret) lastKey = { secret, key: createSecretKey(Buffer.from(secret, 'utf8')) };
  return lastKey.key;
}

/** Signs `payload` with an expiry (ms since epoch). */
export function signToken(payload: unknown, expiresAt: number, secret: string): string {
  const body = b64(JSON.stringify({ p: payload, exp: expiresAt }));
  const mac = createHmac('sha256', keyOf(secret)).update(`token.${body}`).digest('base64url');
  return `${body}.${mac}`;
}

export type TokenResult = { ok: true; payload: unknown } | { ok: false; reason: 'invalid' | 'expired' };

/** Verifies a token's signature (constant time) and expiry. */
export function verifyToken(token: string, now: number, secret: string): TokenResult {
  const dot = token.indexOf('.');
  if (dot <= 0 || token.length > 16_384) return { ok: false, reason: 'invalid' };
  const body = token.slice(0, dot);
  const mac = createHmac('sha256', keyOf(secret)).update(`token.${body}`).digest('base64url');
  if (!safeEqual(mac, token.slice(dot + 1))) return { ok: false, reason: 'invalid' };
  let decoded: { p: unknown; exp: number };
  try {
    decoded = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as { p: unknown; exp: number };
  } catch {
    return { ok: false, reason: 'invalid' };
  }
  if (typeof decoded.exp !== 'number' || decoded.exp <= now) return { ok: false, reason: 'expired' };
  return { ok: true, payload: decoded.p };
}

/** HMAC-SHA256 hex of a text, for sandbox callbacks. */
export const hmacHex = (secret: string, text: string): string => createHmac('sha256', secret).update(text).digest('hex');

/** SHA-256 hex of a cabinet API key: keys are long random strings, so no slow hash is needed. */
export const hashApiKey = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');
