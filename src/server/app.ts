/**
 * The gateway: one Hono app on the fetch API. Routes parse (zod) → call the domain → shape a
 * response; errors become answers in `onError`, the one place that does it.
 *
 * @example
 * const gateway = createGateway({ config, storage });
 * const res = await gateway.fetch(new Request('http://gw/pay/demo?price=100&pay_for=1', { headers: { accept: 'application/json' } }));
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { Hono, type Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { routePath } from 'hono/route';
import { DEFAULT_RECONCILE_SCHEDULE_S, type GatewayConfig } from './config.ts';
import type { Env } from './env.ts';
import { GatewayError } from './errors.ts';
import { checkFormEncoding, checkPathEncoding } from './http/strict-utf8.ts';
import { createRateLimits, DEFAULT_RATE_LIMITS, type LimitConfig, type RateLimitName } from './http/rate-limit.ts';
import { clientResolver, trustedProxies } from './http/client-address.ts';
import { paymentLimits } from './payments/payment-limits.ts';
import { createMerchantHttp, type MerchantHttp } from './merchants/merchant-http.ts';
import { errorPage, PAGE_CSP } from './pages/pages.ts';
import { createPaymentService, type PaymentService } from './payments/service.ts';
import type { Storage } from './storage/storage.ts';
import type { PoolStats } from './storage/db.ts';
import { COMMON_HEADERS, corsHeaders, hasCommonHeaders, jsonAnswer } from './http/respond.ts';
import { checkoutRoutes } from './routes/checkout.ts';
import { sandboxRoutes } from './routes/sandbox.ts';
import { assetRoutes } from './routes/assets.ts';
import { sbpRoutes } from './routes/sbp.ts';
import { readSbpBanksSnapshot, sbpBanksAsset, type SbpBanksAsset } from './sbp/banks.ts';
import { cabinetRoutes } from './routes/cabinet.ts';
import { refundRoutes } from './routes/refunds.ts';
import { savedMethodRoutes } from './routes/saved-methods.ts';
import { holdRoutes } from './routes/holds.ts';
import { subscriptionRoutes } from './routes/subscriptions.ts';
import { receiptRoutes } from './routes/receipts.ts';
import { createClosingReceipts } from './refunds/closing-receipt.ts';
import { createRefunds } from './refunds/refunds.ts';
import { clientFailure } from './http/request-deadline.ts';
import { createStreamHub } from './http/stream-hub.ts';
import { metricsRoutes, opsRoutes, type MetricsSnapshot } from './routes/ops.ts';
import { providerRoutes } from './routes/providers.ts';
import { createCabinetFacade } from './cabinet/facade.ts';
import { healthRoutes } from './routes/health.ts';
import type { Readiness } from './types.ts';
import { compressAnswers } from './http/compress.ts';
import { readCdnManifest } from './http/cdn-files.ts';
import { loadPageStyle } from './http/page-style.ts';
import { logFunction, withRequestContext, type Logger, type RequestContext } from './logger.ts';
import type { ConnectorModules } from './providers/contract.ts';
import type { ProviderHttp } from './providers/contract.ts';
import { createProviderHttp } from './providers/http.ts';
import { createConnectorRegistry } from './providers/registry.ts';
import { CONNECTOR_MODULES } from './providers/modules.ts';

export interface GatewayDeps {
  config: GatewayConfig;
  storage: Storage;
  /** The clock, in ms since the epoch. */
  now?: () => number;
  /** New unguessable payment ids. */
  randomId?: () => string;
  merchantHttp?: MerchantHttp;
  /** Where the built element lives (`dist/cdn`). */
  cdnDir?: string;
  /** Keep static assets in memory once read (production); off by default, so a rebuild shows at once. */
  cacheAssets?: boolean;
  /** Where operational messages go (never secrets). */
  log?: (message: string) => void;
  /** The database pool's state, for /metrics (PostgreSQL). */
  poolStats?: () => PoolStats;
  /**
   * Structured logs: one line per request (method, route pattern, status, duration, request id,
   * payment and merchant where known), CHECK, PAY and manual changes. Without it: no request lines
   * and no `X-Request-Id` echo.
   */
  logger?: Logger;
  /** What `GET /health/ready` asks (the database answers, migrations are current). */
  readiness?: Readiness;
  /** The connector types the configuration was parsed with (`CONNECTOR_MODULES`; tests add fakes). */
  connectorModules?: ConnectorModules;
  /** Outgoing calls to providers (the guarded HTTP client by default). */
  providerHttp?: ProviderHttp;
  /** `GET /sbp/banks.json` (the committed NSPK snapshot by default, read once at start). */
  sbpBanks?: SbpBanksAsset;
}

/** An `X-Request-Id` taken as it is; anything else is replaced by a generated one. */
const REQUEST_ID = /^[\w.:-]{1,128}$/;

/** How long one call to a provider may take. */
export const PROVIDER_TIMEOUT_MS = 10_000;

export interface Gateway {
  /** `env` is what @hono/node-server passes (`{ incoming, outgoing }`): the connection, for the client address. */
  fetch: (request: Request, env?: unknown) => Promise<Response>;
  app: Hono<Env>;
  service: PaymentService;
  /**
   * `GET /metrics` alone, for the listener of its own that `metrics.port` asks for (bootstrap serves
   * it there); the token applies there too. Anything else answers 404.
   */
  metricsFetch: (request: Request) => Promise<Response>;
}

/** The configured limits without the `enabled` switch. */
function rateLimitValues(c: GatewayConfig['rateLimits']): Partial<Record<RateLimitName, LimitConfig>> {
  const { enabled: _enabled, ...rest } = c;
  return Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)) as Partial<Record<RateLimitName, LimitConfig>>;
}

/** A payment id: `pay_` and 24 random base64url characters (144 bits). */
export const newPaymentId = (): string => `pay_${randomBytes(18).toString('base64url')}`;

export function createGateway(deps: GatewayDeps): Gateway {
  const now = deps.now ?? Date.now;
  const log = deps.log ?? (deps.logger ? logFunction(deps.logger) : (m: string) => console.error(m));
  const { storage } = deps;
  const merchantHttp = deps.merchantHttp ?? createMerchantHttp({ allowPrivate: deps.config.allowPrivateMerchantUrls });
  const connectors = createConnectorRegistry(deps.config, {
    http: deps.providerHttp ?? createProviderHttp(undefined, deps.logger),
    now,
    publicUrl: deps.config.publicUrl,
    timeoutMs: PROVIDER_TIMEOUT_MS,
  }, deps.connectorModules ?? CONNECTOR_MODULES);
  const service = createPaymentService({
    storage,
    config: deps.config,
    reconcileScheduleS: deps.config.reconcileSchedule ?? DEFAULT_RECONCILE_SCHEDULE_S,
    now,
    randomId: deps.randomId ?? newPaymentId,
    merchantHttp,
    connectors,
    log,
    ...(deps.logger ? { logger: deps.logger } : {}),
  });
  const app = new Hono<Env>();

  const limits = createRateLimits(rateLimitValues(deps.config.rateLimits), deps.config.rateLimits.enabled);
  const clientOf = clientResolver(trustedProxies(deps.config.trustProxy));

  if (deps.logger) {
    const logger = deps.logger;
    app.use('*', async (c, next) => {
      const given = c.req.header('x-request-id');
      const ctx: RequestContext = { reqId: given && REQUEST_ID.test(given) ? given : randomUUID() };
      const started = performance.now();
      await withRequestContext(ctx, next);
      // jsonAnswer put it in already (asking a plain-header answer for its Headers would build them).
      if (!hasCommonHeaders(c.res)) {
        try {
          c.res.headers.set('x-request-id', ctx.reqId);
        } catch {
          c.header('x-request-id', ctx.reqId);
        }
      }
      if (!logger.isLevelEnabled('info')) return;
      const route = routePath(c);
      const params = route === '*' ? {} : c.req.param() as Record<string, string | undefined>;
      const paymentId = ctx.paymentId ?? (params.id?.startsWith('pay_') ? params.id : undefined);
      // The cabinet's routes set the merchant they authenticated.
      const authenticated = (c.var as Record<string, unknown>).merchant as { login?: unknown } | undefined;
      const merchantLogin = ctx.merchantLogin ?? params.login ?? (typeof authenticated?.login === 'string' ? authenticated.login : undefined);
      logger.info({
        reqId: ctx.reqId, method: c.req.method, route: route === '*' ? '(no route)' : route, status: c.res.status,
        durationMs: Math.round((performance.now() - started) * 10) / 10,
        ...(paymentId ? { paymentId } : {}), ...(merchantLogin ? { merchantLogin } : {}),
      }, 'request');
    });
  }

  // After the common headers are on (registered before them, so it sees their finished answer).
  app.use('*', compressAnswers());

  app.use('*', async (c, next) => {
    c.set('html', false);
    const peer = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming?.socket?.remoteAddress;
    const { ip, key } = clientOf(peer, c.req.header('x-forwarded-for'));
    c.set('clientIp', ip);
    c.set('client', key);
    // Invalid UTF-8 in the path or the query is refused before any route sees it (bodies: capBody).
    const url = c.req.url;
    const q = url.indexOf('?');
    checkPathEncoding(q < 0 ? url : url.slice(0, q));
    if (q >= 0) checkFormEncoding(url.slice(q + 1), 'invalid_param', 'query');
    await next();
    if (hasCommonHeaders(c.res)) return;
    // Set on the finished response's own headers: `c.header()` after the handler copies the whole
    // Response for every call.
    const set = (name: string, value: string) => {
      try {
        c.res.headers.set(name, value);
      } catch {
        c.header(name, value); // immutable headers (a fetched Response): copy, as c.header does
      }
    };
    for (const [name, value] of Object.entries(COMMON_HEADERS)) set(name, value);
    if ((c.res.headers.get('content-type') ?? '').startsWith('text/html') && !c.res.headers.has('content-security-policy')) {
      set('content-security-policy', PAGE_CSP);
    }
  });

  // Status streams: capped per address and per payment, woken by changes (http/stream-hub.ts).
  const streams = createStreamHub({
    statusesOf: (ids) => storage.statusesOf(ids),
    onStatus: (id, listener) => service.onStatus(id, listener),
    perAddress: deps.config.rateLimits.enabled ? deps.config.rateLimits.streamsPerAddress?.points ?? DEFAULT_RATE_LIMITS.streamsPerAddress.points : Infinity,
    log,
  });
  // The hosted page loads the element by its content-hashed name (cached for good); read once in
  // production, per page in development, where `npm run build` replaces the files under it.
  const cdnDir = deps.cdnDir ?? 'dist/cdn';
  const scriptPath = () => `/cdn/${readCdnManifest(cdnDir)['onpay-checkout.js'] ?? 'onpay-checkout.js'}`;
  const builtScript = deps.cacheAssets ? scriptPath() : undefined;
  app.route('/', checkoutRoutes({
    service, config: deps.config, streams, paymentLimits: paymentLimits({ limits, storage, secret: deps.config.secret, now }),
    elementScript: builtScript ? () => builtScript : scriptPath, pageStyle: loadPageStyle(PAGE_CSP),
  }));
  app.route('/', sandboxRoutes({ service, config: deps.config }));
  app.route('/', providerRoutes({ service, config: deps.config, limits }));
  const cabinet = createCabinetFacade({
    storage, now, ...(deps.logger ? { logger: deps.logger } : {}), onStatus: (id, status) => service.events.emit(id, status),
    merchantHttp, checkTimeoutMs: deps.config.checkTimeoutMs, allowPrivate: deps.config.allowPrivateMerchantUrls, secureCookies: deps.config.publicUrl.startsWith('https:'),
  });
  // The cabinet first: its middleware authenticates every /api/v1/cabinet/* call (a bearer key or
  // the page's session with its CSRF checks, under the rate limits), refunds included; the refunds
  // routes take the merchant it found, and authenticate by themselves only when mounted alone.
  app.route('/', cabinetRoutes({ cabinet, limits, sandbox: deps.config.sandbox, config: deps.config, now, checkLink: service.checkLink }));
  app.route('/', receiptRoutes({ cabinet, closing: createClosingReceipts({ storage, connectors, now, sandbox: deps.config.sandbox, log }) }));
  app.route('/', refundRoutes({ cabinet, refunds: createRefunds({ storage, connectors, now, sandbox: deps.config.sandbox, emitStatus: service.emitStatus, log }) }));
  app.route('/', savedMethodRoutes({ service }));
  app.route('/', holdRoutes({ cabinet, holds: service.holds }));
  app.route('/', subscriptionRoutes({ subscriptions: service.subscriptions }));
  app.route('/', assetRoutes({ cdnDir, cache: deps.cacheAssets ?? false }));
  app.route('/', sbpRoutes(deps.sbpBanks ?? sbpBanksAsset(readSbpBanksSnapshot())));
  // Probes: liveness answers without touching the database (which may be locked by another
  // process: see storage/sqlite-busy.ts); readiness asks it, with a deadline.
  app.route('/', healthRoutes({ readiness: deps.readiness ?? { check: async () => { await storage.nextDueAt(); return null; } } }));
  /** The numbers /metrics shows, read when it is asked for. */
  const readMetrics = async (): Promise<MetricsSnapshot> => {
    const counts = await storage.statusCounts();
    const due = await storage.nextDueAt();
    return {
      ...counts,
      oldestDueSeconds: due === null ? 0 : Math.max(0, Math.round((now() - due) / 1000)),
      leasesExpired: await storage.expiredLeases(now()),
      amountMismatches: await storage.countAmountMismatches(),
      pool: deps.poolStats?.(),
    };
  };

  app.route('/', opsRoutes({
    // A cheap query proves the database answers.
    health: () => storage.nextDueAt(),
    token: deps.config.metrics.token,
    // With a listener of its own (bootstrap starts it with `metricsApp`), not on the public one.
    serveMetrics: deps.config.metrics.port === undefined,
    metrics: readMetrics,
  }));

  app.notFound((c) => (c.get('html')
    ? c.html(errorPage('ru', 'Страница не найдена / Page not found'), 404)
    : c.json(new GatewayError(404, 'not_found', `no route ${c.req.method} ${new URL(c.req.url).pathname.slice(0, 200)}`).toJSON(), 404)));

  app.onError((err, c: Context<Env>) => {
    let e: GatewayError;
    if (err instanceof GatewayError) e = err;
    else if (err instanceof HTTPException && err.status === 413) e = new GatewayError(413, 'payload_too_large', 'the request body is too large');
    else if (err instanceof HTTPException && err.status < 500) e = new GatewayError(400, 'invalid_body', err.message || 'bad request');
    else if (clientFailure(c.env) === 'timeout') e = new GatewayError(408, 'request_timeout', 'the request did not arrive within the gateway\'s requestTimeoutMs');
    else if (clientFailure(c.env) === 'closed') e = new GatewayError(400, 'invalid_body', 'the connection closed before the request body ended');
    else {
      deps.logger?.error({ err, method: c.req.method, path: new URL(c.req.url).pathname }, 'unexpected error');
      if (!deps.logger || deps.log) log(`gateway: unexpected error on ${c.req.method} ${new URL(c.req.url).pathname}: ${err instanceof Error ? err.stack ?? err.message : String(err)}`);
      return c.json({ error: { code: 'internal', message: 'internal error' } }, 500);
    }
    if (c.get('html')) {
      const ln = new URL(c.req.url).searchParams.get('ln') === 'en' ? 'en' : 'ru';
      return c.html(errorPage(ln, e.message, e.field), e.status, e.headers);
    }
    // Error answers carry nothing secret and the API takes no credentials, so a page may read them:
    // the element on a shop's page can then say what went wrong instead of "network error". Not
    // origin_forbidden: a page the merchant did not allow learns nothing from the gateway.
    const cors = e.code === 'origin_forbidden' ? {} : corsHeaders(c.req.header('origin'));
    return jsonAnswer(e.toJSON(), e.status, { ...cors, ...e.headers });
  });

  const metricsApp = new Hono<Env>();
  metricsApp.route('/', metricsRoutes({ metrics: readMetrics, token: deps.config.metrics.token }));
  metricsApp.notFound(() => jsonAnswer(new GatewayError(404, 'not_found', 'this listener serves GET /metrics only').toJSON(), 404));
  metricsApp.onError((err) => {
    if (err instanceof GatewayError) return jsonAnswer(err.toJSON(), err.status, err.headers);
    log(`metrics: unexpected error: ${err instanceof Error ? err.message : String(err)}`);
    return jsonAnswer({ error: { code: 'internal', message: 'internal error' } }, 500);
  });

  return {
    fetch: (request, env) => Promise.resolve(app.fetch(request, env)), app, service,
    metricsFetch: (request) => Promise.resolve(metricsApp.fetch(request)),
  };
}
