/**
 * Structured logs (pino): one JSON line per request and per CHECK, provider call, PAY attempt and
 * manual change. Secrets are removed by configuration (`redact`), not by care at each call: any
 * field named like a secret, a key, a token, a password, a card number or `authorization`, at the top
 * level or one or two levels down, is written as `[redacted]`.
 *
 * The request's id (from `X-Request-Id`, else generated) travels with the request in an
 * AsyncLocalStorage, so a CHECK line logged deep in the service carries the id of the request that
 * caused it, and the request line carries the payment and merchant the service learnt about.
 *
 * @example
 * const logger = createLogger({ level: process.env.LOG_LEVEL, format: process.env.LOG_FORMAT });
 * logger.info({ paymentId }, 'check');
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger } from 'pino';

/** Field names whose values never reach a log line (matched at any of the first three levels). */
export const SECRET_FIELDS = [
  'secret', 'secretKey', 'apiSecret', 'apiKey', 'key', 'password', 'token', 'accessToken', 'refreshToken',
  'authorization', 'Authorization', 'cookie', 'set-cookie', 'cardNumber', 'card_number', 'pan', 'cvv', 'cvc',
  'md5', 'signature', 'webhook-signature', 'databaseUrl',
] as const;

/** pino `redact` paths for SECRET_FIELDS: top level, `a.x` and `a.b.x`. */
export const REDACT_PATHS: string[] = SECRET_FIELDS.flatMap((f) => {
  const p = /^[A-Za-z_$][\w$]*$/.test(f) ? f : `["${f}"]`;
  const sep = p.startsWith('[') ? '' : '.';
  return [p, `*${sep}${p}`, `*.*${sep}${p}`];
});

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** What the request middleware knows about the request being served. */
export interface RequestContext {
  reqId: string;
  paymentId?: string;
  merchantLogin?: string;
}

const requestContext = new AsyncLocalStorage<RequestContext>();

/** Runs `fn` with `ctx` as the current request's context. */
export const withRequestContext = <T>(ctx: RequestContext, fn: () => T): T => requestContext.run(ctx, fn);

/** The current request's context, if any. */
export const currentRequest = (): RequestContext | undefined => requestContext.getStore();

/** Tells the request line which payment (and merchant) this request was about. */
export function annotateRequest(fields: { paymentId?: string; merchantLogin?: string }): void {
  const ctx = requestContext.getStore();
  if (!ctx) return;
  if (fields.paymentId) ctx.paymentId = fields.paymentId;
  if (fields.merchantLogin) ctx.merchantLogin = fields.merchantLogin;
}

export interface LoggerOptions {
  /** `LOG_LEVEL`: fatal, error, warn, info (default), debug, trace, silent. */
  level?: string | undefined;
  /** `LOG_FORMAT`: `json` (default) or `pretty` (pino-pretty, a development dependency). */
  format?: string | undefined;
  /** Where lines go (default stdout); tests pass a stream. */
  destination?: DestinationStream;
}

/**
 * A pino logger with the gateway's redaction, the request id of the current request mixed into
 * every line, and `LOG_LEVEL` / `LOG_FORMAT` applied. Throws on an unknown level or format.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const level = (options.level || 'info').toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(level)) throw new RangeError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);
  const format = (options.format || 'json').toLowerCase();
  if (format !== 'json' && format !== 'pretty') throw new RangeError('LOG_FORMAT must be json or pretty');
  let destination = options.destination;
  if (!destination && format === 'pretty') {
    // pino-pretty is a development dependency: required only when asked for, synchronously.
    const pretty = createRequire(import.meta.url)('pino-pretty') as (o: object) => DestinationStream;
    destination = pretty({ colorize: process.stdout.isTTY, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' });
  }
  return pino({
    level,
    base: { service: 'onpay-gateway' },
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    mixin: () => {
      const ctx = requestContext.getStore();
      return ctx ? { reqId: ctx.reqId } : {};
    },
  }, destination ?? pino.destination({ dest: 1, sync: false }));
}

/** A logger that writes nothing (tests, and callers that passed none). */
export const silentLogger: Logger = pino({ level: 'silent' });

/** `log(message)` for the older `log` injection points, written as warnings through `logger`. */
export const logFunction = (logger: Logger) => (message: string): void => { logger.warn(message); };

/** `https://host:port/path` of a URL: no query (a GET PAY carries its signature there), no user info. */
export function urlForLog(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return '(unparsable URL)';
  }
}
