/**
 * Structured logs (pino): one JSON line per request and per CHECK, provider call, PAY attempt and
 * manual change. Secrets are removed by the logger, not by care at each call: any field named like a
 * secret, a key, a token, a password, a card number or `authorization`, at the top level or one or
 * two levels down (in a logged error's own fields too), is written as `[redacted]`.
 *
 * Why not pino's `redact`: its wildcard paths (`*.x`, `*.*.x` for each of the 22 names) cost about
 * 60 µs a line, more than the rest of a form-payload request; one walk of the object with a set of
 * names costs well under a microsecond for a request line (bench/README.md, issue #29).
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

const SECRET_NAMES: ReadonlySet<string> = new Set(SECRET_FIELDS);
/** What a secret field's value is written as. */
export const REDACTED = '[redacted]';
/** How many levels are searched: the top level, `a.x` and `a.b.x`. */
const REDACT_LEVELS = 3;

/**
 * `value` with every field named in SECRET_FIELDS, down to `levels` levels, replaced by REDACTED: a
 * copy of each object on the way to such a field, `value` itself (no copy) when there is none. An
 * object copied loses its prototype (an Error copied keeps its type, message and stack).
 */
export function redactSecrets(value: unknown, levels: number = REDACT_LEVELS): unknown {
  if (levels === 0 || value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return value;
  const source = value as Record<string, unknown>;
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(source)) {
    const field = source[key];
    const next = SECRET_NAMES.has(key) ? REDACTED : redactSecrets(field, levels - 1);
    if (next === field) continue;
    if (!copy) {
      copy = Array.isArray(source) ? ([...(source as unknown[])] as unknown as Record<string, unknown>)
        : source instanceof Error ? { ...pino.stdSerializers.err(source) } : { ...source };
    }
    copy[key] = next;
  }
  return copy ?? value;
}

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
  const logger = pino({
    level,
    base: { service: 'onpay-gateway' },
    formatters: {
      // A child logger's bindings and every line's fields; the error under `err` after it is
      // serialized (pino serializes it after this formatter).
      bindings: (bindings) => redactSecrets(bindings) as typeof bindings, // the base only: see below
      log: (fields) => redactSecrets(fields) as typeof fields,
    },
    serializers: { err: (e: unknown) => redactSecrets(e instanceof Error ? pino.stdSerializers.err(e) : e, REDACT_LEVELS - 1) },
    mixin: () => {
      const ctx = requestContext.getStore();
      return ctx ? { reqId: ctx.reqId } : {};
    },
  }, destination ?? pino.destination({ dest: 1, sync: false }));
  // pino gives a child's bindings to no formatter; children are made from this object (and their own
  // children from them), so the child method set here is theirs too.
  const makeChild = logger.child;
  logger.child = function child(this: Logger, bindings, childOptions) {
    return makeChild.call(this, redactSecrets(bindings) as typeof bindings, childOptions);
  } as typeof logger.child;
  return logger;
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
