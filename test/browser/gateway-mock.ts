/**
 * A fake gateway for the element's browser tests, on msw's service worker: the real element talks
 * to it over real fetch / EventSource in Chromium; only the gateway's answers are scripted.
 */
import { http, HttpResponse } from 'msw';
import { setupWorker } from 'msw/browser';

export const worker = setupWorker();
await worker.start({ serviceWorker: { url: '/mockServiceWorker.js' }, onUnhandledRequest: 'bypass', quiet: true });

export interface WayFixture { code: string; kind: 'redirect' | 'instructions'; title: string; amount: string | null; ticker: string }

export const WAYS: WayFixture[] = [
  { code: 'CRD', kind: 'redirect', title: 'Банковская карта', amount: '102.0', ticker: 'RUR' },
  { code: 'USD', kind: 'redirect', title: 'Card in USD', amount: '1.13', ticker: 'USD' },
  { code: 'EUR', kind: 'instructions', title: 'Банковский перевод', amount: '1.02', ticker: 'EUR' },
];

export function formPayload(query: URLSearchParams, over: Record<string, unknown> = {}) {
  const free = query.get('pay_mode') === 'free';
  const oneWay = query.get('one_way');
  return {
    token: `token-for-${query.get('price') ?? '0'}`,
    expiresAt: new Date(Date.now() + 3600_000).toISOString(),
    merchant: { login: 'shop', name: 'Тестовый <b>магазин</b>' },
    order: { payFor: query.get('pay_for') ?? '', price: free ? '0.0' : query.get('price') ?? '', ticker: query.get('ticker') ?? 'RUR', mode: free ? 'free' : 'fix', note: query.get('note') ?? '', convert: true, priceFinal: false },
    ln: query.get('ln') === 'en' ? 'en' : 'ru',
    urlSuccess: query.get('url_success') ?? '',
    urlFail: query.get('url_fail') ?? '',
    userEmail: query.get('user_email') ?? '',
    userPhone: '',
    ways: WAYS.filter((w) => !oneWay || w.code === oneWay).map((w) => ({ ...w, amount: free ? null : w.amount })),
    ...over,
  };
}

export interface CreatedRequest { body: Record<string, string>; key: string | null }

/** What the fake gateway saw and what it will answer. Every handler reads these at request time. */
export interface FakeGateway {
  formRequests: URLSearchParams[];
  created: CreatedRequest[];
  statusRequests: number;
  /** Next answers to POST /api/v1/payments (first in, first out); default: a created payment. */
  createAnswers: (() => Response | Promise<Response>)[];
  /** The status GET /api/v1/payments/:id answers (polling). */
  status: string;
  /** `stream`: SSE kept open (push with `push`); `drop`: the stream fails at once. */
  events: 'stream' | 'drop';
  push(status: string): void;
  formAnswer: ((query: URLSearchParams) => Response | Promise<Response>) | null;
  urlSuccess: string;
  urlFail: string;
  /** What GET /api/v1/payments/:id adds to a payment that ended without money (`reason`, `comment`). */
  failure: { reason: string; comment?: string } | null;
}

export const redirectAction = () => ({ type: 'redirect', url: new URL('/test/browser/fixtures/payment-page.html', location.href).href });
export const instructionsAction = () => ({
  type: 'instructions', title: 'Банковский перевод в евро', amount: '1.02', ticker: 'EUR',
  expiresAt: new Date(Date.now() + 2 * 3600_000 + 5000).toISOString(),
  details: [
    { key: 'account', label: 'Счёт', value: '40702810900000012345' },
    { key: 'reference', label: 'Назначение', value: 'OP-7 <script>alert(1)</script>' },
  ],
});

let paymentSeq = 0;

/** Installs the fake gateway's handlers (reset between tests by `worker.resetHandlers()`). */
export function fakeGateway(): FakeGateway {
  const encoder = new TextEncoder();
  const streams: ReadableStreamDefaultController<Uint8Array>[] = [];
  const gw: FakeGateway = {
    formRequests: [],
    created: [],
    statusRequests: 0,
    createAnswers: [],
    status: 'awaiting_payment',
    events: 'stream',
    formAnswer: null,
    urlSuccess: '',
    urlFail: '',
    failure: null,
    push(status) {
      // As the gateway: the payment's status changes, and every open stream is told. A stream opened
      // after this (the element's status chunk still loading) starts with it, as the gateway's does.
      gw.status = status;
      for (const c of streams) {
        try {
          c.enqueue(encoder.encode(`event: status\ndata: ${JSON.stringify({ id: 'x', status })}\n\n`));
        } catch {
          // A stream the element already closed (an earlier payment that ended).
        }
      }
    },
  };
  worker.use(
    http.get('*/pay/:login/payload', ({ request }) => {
      const query = new URL(request.url).searchParams;
      gw.formRequests.push(query);
      if (gw.formAnswer) return gw.formAnswer(query);
      return HttpResponse.json(formPayload(query));
    }),
    http.post('*/api/v1/payments', async ({ request }) => {
      const body = (await request.json()) as Record<string, string>;
      gw.created.push({ body, key: request.headers.get('idempotency-key') });
      const next = gw.createAnswers.shift();
      if (next) return next();
      const way = WAYS.find((w) => w.code === body.way)!;
      gw.status = 'awaiting_payment'; // a new payment waits; `push` moves it on
      return HttpResponse.json({
        id: `pay_test_${++paymentSeq}`, status: 'awaiting_payment', way: way.code, amount: way.amount ?? body.amount, ticker: way.ticker,
        urlSuccess: gw.urlSuccess, urlFail: gw.urlFail, action: way.kind === 'redirect' ? redirectAction() : instructionsAction(), updatedAt: new Date().toISOString(),
      }, { status: 201 });
    }),
    http.get('*/api/v1/payments/:id/events', () => {
      if (gw.events === 'drop') return HttpResponse.error();
      const stream = new ReadableStream<Uint8Array>({
        start(controller) {
          streams.push(controller);
          controller.enqueue(encoder.encode(`event: status\ndata: ${JSON.stringify({ id: 'x', status: gw.status })}\n\n`));
        },
      });
      return new HttpResponse(stream, { headers: { 'content-type': 'text/event-stream' } });
    }),
    http.get('*/api/v1/payments/:id', ({ params }) => {
      gw.statusRequests++;
      return HttpResponse.json({ id: params.id, status: gw.status, way: 'EUR', amount: '1.02', ticker: 'EUR', urlSuccess: gw.urlSuccess, urlFail: gw.urlFail, action: null, ...(gw.failure ?? {}) });
    }),
  );
  return gw;
}

export const declined = (comment: string) => () => HttpResponse.json({ error: { code: 'check_declined', message: 'The shop declined this payment', comment } }, { status: 422 });
export const checkFailed = () => () => HttpResponse.json({ error: { code: 'check_failed', message: 'The shop did not confirm', reason: 'HTTP 500' } }, { status: 424 });
export const networkDown = () => () => HttpResponse.error();
