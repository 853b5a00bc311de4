/// <reference types="mocha" />
/**
 * Following a payment in a tab that stays in the background (follow.ts, the lazy chunk). The tab
 * never comes back to the front here, so no `visibilitychange` or `pageshow` helps: a stream that
 * died without a word (the connection cut while the tab slept, no error event) must be noticed by
 * its silence (the status asked, the stream opened anew), and a stream that says `keep-alive` is
 * trusted and left open.
 * The fake gateway's stream sends the payment's current status when it opens, as the gateway does.
 */
import { expect, waitUntil } from '@open-wc/testing';
import { http, HttpResponse } from 'msw';
import followStatus from '../../src/components/onpay-checkout/follow.ts';
import { worker } from './gateway-mock.ts';

const encoder = new TextEncoder();
const QUIET_MS = 400;

let status: string;
let opens: number;
let reads: number;
let keepAliveEveryMs: number | null;
/** Every stream says nothing at all, not even the first status (held up on the way, as by a buffering proxy). */
let heldUp: boolean;
let timers: ReturnType<typeof setInterval>[];

beforeEach(() => {
  worker.resetHandlers();
  status = 'awaiting_payment';
  opens = 0;
  reads = 0;
  keepAliveEveryMs = null;
  heldUp = false;
  timers = [];
  worker.use(http.get('*/api/v1/payments/:id/events', ({ params }) => {
    opens++;
    const id = String(params.id);
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        if (heldUp) return;
        controller.enqueue(encoder.encode(`event: status\ndata: ${JSON.stringify({ id, status })}\n\n`));
        // Then nothing more (a stream whose connection died silently), or keep-alives only.
        if (keepAliveEveryMs !== null) {
          timers.push(setInterval(() => {
            try {
              controller.enqueue(encoder.encode(`event: keep-alive\ndata: ${JSON.stringify({ id })}\n\n`));
            } catch {
              // Closed by the element.
            }
          }, keepAliveEveryMs));
        }
      },
    });
    return new HttpResponse(stream, { headers: { 'content-type': 'text/event-stream' } });
  }), http.get('*/api/v1/payments/:id', ({ params }) => {
    reads++;
    return HttpResponse.json({ id: params.id, status });
  }));
});
afterEach(() => timers.forEach(clearInterval));

describe('following a payment in a background tab', () => {
  it('a stream silent for longer than the keep-alive promises is opened anew, and the payment paid meanwhile ends as paid', async () => {
    const seen: string[] = [];
    let shown = 0;
    const onShown = () => shown++;
    document.addEventListener('visibilitychange', onShown);
    const stop = followStatus(location.origin, 'pay_bg_1', (s) => seen.push(s), QUIET_MS);
    try {
      await waitUntil(() => seen.length === 1, 'the first status', { timeout: 5000 });
      // Paid at the gateway; the open stream says nothing (its connection is gone).
      status = 'paid';
      const started = performance.now();
      await waitUntil(() => seen.includes('paid'), 'paid, with no return to the page', { timeout: 5000 });
      expect(performance.now() - started).to.be.at.least(QUIET_MS - 50);
      expect(seen).to.deep.equal(['awaiting_payment', 'paid']);
      await waitUntil(() => opens === 2, 'the stream opened anew', { timeout: 2000 });
      expect(shown).to.equal(0);
    } finally {
      stop();
      document.removeEventListener('visibilitychange', onShown);
    }
  });

  it('streams that say nothing at all (held up on the way): the status is asked each time one has been quiet too long', async () => {
    heldUp = true;
    const seen: string[] = [];
    const stop = followStatus(location.origin, 'pay_bg_3', (s) => seen.push(s), QUIET_MS);
    try {
      await waitUntil(() => opens === 1, 'the stream opened', { timeout: 5000 });
      status = 'paid';
      await waitUntil(() => seen.includes('paid'), 'paid, asked after the silence', { timeout: 5000 });
      expect(seen).to.deep.equal(['paid']);
      expect(reads).to.be.at.least(1);
    } finally {
      stop();
    }
  });

  it('a stream that says keep-alive is trusted: no second stream, and stop leaves nothing running', async () => {
    keepAliveEveryMs = 100;
    const seen: string[] = [];
    const stop = followStatus(location.origin, 'pay_bg_2', (s) => seen.push(s), QUIET_MS);
    await waitUntil(() => seen.length === 1, 'the first status', { timeout: 5000 });
    await new Promise((r) => setTimeout(r, QUIET_MS * 3));
    expect(opens).to.equal(1);
    stop();
    status = 'paid';
    await new Promise((r) => setTimeout(r, QUIET_MS * 2));
    expect(opens).to.equal(1);
    expect(reads).to.equal(0);
    expect(seen).to.deep.equal(['awaiting_payment']);
  });

  it('a stream that fails is polled meanwhile and tried again, and again later; once it opens, its push arrives and polling stops', async () => {
    let failing = 2;
    worker.use(http.get('*/api/v1/payments/:id/events', ({ params }) => {
      opens++;
      if (failing-- > 0) return HttpResponse.error();
      // Only the stream says paid: what the element learns after this came by the reopened stream.
      const body = `event: status\ndata: ${JSON.stringify({ id: String(params.id), status: 'paid' })}\n\n`;
      return new HttpResponse(new ReadableStream<Uint8Array>({ start: (c) => c.enqueue(encoder.encode(body)) }), { headers: { 'content-type': 'text/event-stream' } });
    }));
    const seen: string[] = [];
    const stop = followStatus(location.origin, 'pay_bg_4', (s) => seen.push(s), QUIET_MS, 100);
    try {
      await waitUntil(() => seen.includes('paid'), 'paid, from the stream opened again', { timeout: 5000 });
      expect(opens).to.equal(3, 'failed, tried again after 100 ms and failed, then after 200 ms opened');
      expect(reads).to.be.at.least(1, 'polled while the stream was down');
      expect(seen).to.deep.equal(['awaiting_payment', 'paid']);
    } finally {
      stop();
    }
  });
});
