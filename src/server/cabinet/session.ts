/**
 * Signing in to the cabinet page (issue 14, "Sign-in and safety"). The page sends the cabinet key
 * once and gets a server-side session: an HttpOnly, SameSite=Strict cookie (Secure over https)
 * holding a random token of which only the SHA-256 is stored, so the key never sits in the page's
 * storage. Sign-out deletes the session on the server. Scripts keep `Authorization: Bearer <key>`.
 *
 * CSRF: SameSite=Strict already keeps other sites' requests from carrying the cookie; on top of it a
 * state-changing request made with the cookie must carry the session's own token in `X-CSRF-Token`
 * (a page of another origin cannot read it) and, when the browser tells its origin (`Origin`,
 * `Sec-Fetch-Site`), come from the gateway's own origin. Bearer-key requests carry no ambient
 * credential and need neither.
 *
 * @example
 * const sessions = createCabinetSessions({ storage, now: Date.now, secureCookies: true });
 * const { cookie, csrfToken } = await sessions.signIn(merchant);
 */
import { createHash, randomBytes } from 'node:crypto';
import { GatewayError } from '../errors.ts';
import { safeEqual } from '../../protocol/onpay-api.ts';
import type { CabinetSession } from '../storage/cabinet-storage.ts';
import type { Storage } from '../storage/storage.ts';

export const SESSION_COOKIE = 'onpay_cabinet';
export const CSRF_HEADER = 'x-csrf-token';
/** A session lasts this long from sign-in, whatever is done in it. */
export const SESSION_TTL_MS = 12 * 3_600_000;

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export interface SessionDeps {
  storage: Storage;
  now: () => number;
  /** `Secure` on the cookie: the gateway's public URL is https. */
  secureCookies: boolean;
  random?: (n: number) => Buffer;
  ttlMs?: number;
}

export interface RequestFacts {
  method: string;
  /** The request's `Cookie` header. */
  cookie: string | undefined;
  csrfToken: string | undefined;
  origin: string | undefined;
  secFetchSite: string | undefined;
  /** The gateway's own origin(s), as the browser sees it. */
  ownOrigins: readonly string[];
}

const hash = (token: string): string => createHash('sha256').update(token, 'utf8').digest('hex');

function forbidden(message: string): GatewayError {
  return new GatewayError(403, 'origin_forbidden', message, CSRF_HEADER);
}

/** The value of one cookie in a `Cookie` header. */
export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

/** Refuses a request whose browser says it came from another origin or site. */
export function assertSameOrigin(f: Pick<RequestFacts, 'origin' | 'secFetchSite' | 'ownOrigins'>): void {
  if (f.secFetchSite && f.secFetchSite !== 'same-origin' && f.secFetchSite !== 'none') throw forbidden('the request came from another site');
  if (f.origin !== undefined && !f.ownOrigins.includes(f.origin)) throw forbidden('the request came from another origin');
}

export type CabinetSessions = ReturnType<typeof createCabinetSessions>;

export function createCabinetSessions(deps: SessionDeps) {
  const ttl = deps.ttlMs ?? SESSION_TTL_MS;
  const rnd = deps.random ?? randomBytes;

  const cookie = (value: string, maxAgeS: number): string =>
    `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeS}${deps.secureCookies ? '; Secure' : ''}`;

  return {
    /** Starts a session for a merchant whose key was just verified. */
    async signIn(merchantLogin: string): Promise<{ cookie: string; csrfToken: string; tokenHash: string; expiresAt: number }> {
      const token = rnd(32).toString('base64url');
      const csrfToken = rnd(24).toString('base64url');
      const now = deps.now();
      const s: CabinetSession = { tokenHash: hash(token), merchantLogin, csrfToken, createdAt: now, expiresAt: now + ttl };
      await deps.storage.createCabinetSession(s);
      return { cookie: cookie(token, Math.floor(ttl / 1000)), csrfToken, tokenHash: s.tokenHash, expiresAt: s.expiresAt };
    },

    /**
     * The session the request's cookie names, or undefined when it has none (or an unknown or
     * expired one). A state-changing request must pass the CSRF checks: 403 otherwise.
     */
    async fromRequest(f: RequestFacts): Promise<CabinetSession | undefined> {
      const token = cookieValue(f.cookie, SESSION_COOKIE);
      if (!token || !/^[A-Za-z0-9_-]{20,100}$/.test(token)) return undefined;
      const s = await deps.storage.getCabinetSession(hash(token), deps.now());
      if (!s) return undefined;
      if (!SAFE_METHODS.has(f.method.toUpperCase())) {
        assertSameOrigin(f);
        if (!f.csrfToken || !safeEqual(f.csrfToken, s.csrfToken)) throw forbidden(`${CSRF_HEADER}: the page's CSRF token is missing or wrong; reload the page`);
      }
      return s;
    },

    /** The session's merchant, or undefined when the merchant is gone. */
    merchantOf: (s: CabinetSession) => deps.storage.getMerchant(s.merchantLogin),

    /** Ends the session on the server; the answer's cookie clears it in the browser. */
    async signOut(tokenHash: string): Promise<{ cookie: string }> {
      await deps.storage.deleteCabinetSession(tokenHash);
      return { cookie: cookie('', 0) };
    },

    clearCookie: (): string => cookie('', 0),
  };
}
