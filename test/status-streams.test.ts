/**
 * Server-sent status streams, capped and woken by changes (issue 30 item 11), on each database: at
 * most 5 open on one payment and `rateLimits.streamsPerAddress` (20) from one address, a 429 beyond;
 * a change made in this process reaches its streams at once without reading the database; a change
 * made elsewhere (another process writing the database) reaches them through one shared read for
 * all streams, not one query per stream every 2 s.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createGateway, type Gateway } from '../src/server/app.ts';
import { merchantFromConfig } from '../src/server/bootstrap.ts';
import { parseConfig } from '../src/server/config.ts';
import { createStreamHub } from '../src/server/http/stream-hub.ts';
import { createMerchantHttp } from '../src/server/merchants/merchant-http.ts';
import type { Storage } from '../src/server/storage/storage.ts';
import { merchant, openTestStorage, storageKinds, TEST_SECRET, type TestStorage } from './helpers.ts';

/** What @hono/node-server passes as `env`: the connection, whose peer address is `address`. */
const from = (address: string) => ({ incoming: { socket: { remoteAddress: address } } });

/** An open stream: reads its text as it comes; `close` cancels it (the client goes). */
function follow(res: Response) {
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let ended = false;
  const pump = (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        text += decoder.decode(value);
      }
    } catch {
      // cancelled
    }
    ended = true;
  })();
  return {
    get text() { return text; },
    get ended() { return ended; },
    async until(needle: string, ms: number): Promise<number> {
      const started = performance.now();
      while (!text.includes(needle)) {
        if (performance.now() - started > ms) assert.fail(`no ${needle} within ${ms} ms: ${text}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      return performance.now() - started;
    },
    async close() {
      await reader.cancel().catch(() => {});
      await pump;
    },
  };
}

for (const kind of storageKinds()) {
  describe(`status streams on ${kind}`, () => {
    let ts: TestStorage;
    let gateway: Gateway;
    const reads = { statusesOf: 0, getPayment: 0 };
    let counting = false;

    before(async () => {
      ts = await openTestStorage(kind);
      const config = parseConfig({
        secret: TEST_SECRET, publicUrl: 'http://gateway.test', allowPrivateMerchantUrls: true,
        merchants: [merchant()], rateLimits: { streamsPerAddress: { points: 8, durationS: 60 } },
      });
      for (const m of config.merchants) await ts.storage.upsertMerchant(merchantFromConfig(m), Date.now());
      // The same storage, with its reads of payments counted.
      const storage: Storage = {
        ...ts.storage,
        statusesOf: (ids) => { if (counting) reads.statusesOf++; return ts.storage.statusesOf(ids); },
        getPayment: (id) => { if (counting) reads.getPayment++; return ts.storage.getPayment(id); },
      };
      gateway = createGateway({ config, storage, now: Date.now, merchantHttp: createMerchantHttp({ allowPrivate: true }), log: () => {} });
    });
    after(() => ts?.close());

    const request = (path: string, init: RequestInit = {}, address?: string) =>
      gateway.fetch(new Request(`http://gateway.test${path}`, init), address ? from(address) : undefined);
    let n = 0;
    async function waitingPayment(): Promise<string> {
      const form = (await (await request(`/pay/shop?price=10&pay_for=sse-${kind}-${n++}`, { headers: { accept: 'application/json' } })).json()) as { token: string };
      const res = await request('/api/v1/payments', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token: form.token, way: 'RUR' }) });
      assert.equal(res.status, 201);
      return ((await res.json()) as { id: string }).id;
    }
    const stream = (id: string, address?: string) => request(`/api/v1/payments/${id}/events`, {}, address);

    test('at most 5 streams of one payment: the 6th gets 429 with Retry-After; a closed one frees its place', async () => {
      const id = await waitingPayment();
      const open = [];
      for (let i = 0; i < 5; i++) {
        const res = await stream(id, `198.51.100.${i + 1}`);
        assert.equal(res.status, 200);
        open.push(follow(res));
      }
      await Promise.all(open.map((s) => s.until('awaiting_payment', 5000)));
      const refused = await stream(id, '198.51.100.99');
      assert.equal(refused.status, 429);
      assert.ok(Number(refused.headers.get('retry-after')) >= 1);
      const body = (await refused.json()) as { error: { code: string; message: string } };
      assert.equal(body.error.code, 'rate_limited');
      assert.match(body.error.message, /5 status streams of one payment/);
      await open.pop()!.close();
      const again = await stream(id, '198.51.100.99');
      assert.equal(again.status, 200);
      open.push(follow(again));
      for (const s of open) await s.close();
    });

    test('streamsPerAddress: at most that many open at once from one address; another address is not affected', async () => {
      const open = [];
      for (let i = 0; i < 8; i++) {
        const res = await stream(await waitingPayment(), '203.0.113.7');
        assert.equal(res.status, 200, `stream ${i}`);
        open.push(follow(res));
      }
      const id = await waitingPayment();
      const refused = await stream(id, '203.0.113.7');
      assert.equal(refused.status, 429);
      assert.match(((await refused.json()) as { error: { message: string } }).error.message, /streamsPerAddress/);
      const other = await stream(id, '203.0.113.8');
      assert.equal(other.status, 200);
      open.push(follow(other));
      await open[0]!.close();
      const freed = await stream(id, '203.0.113.7');
      assert.equal(freed.status, 200);
      open.push(follow(freed));
      for (const s of open) await s.close();
    });

    test('30 open streams: a change in this process arrives at once; another process\'s by one shared read, not a query per stream', async () => {
      const ids = [];
      for (let i = 0; i < 6; i++) ids.push(await waitingPayment());
      const open = [];
      for (const id of ids) for (let i = 0; i < 5; i++) open.push({ id, s: follow(await stream(id)) });
      await Promise.all(open.map(({ s }) => s.until('awaiting_payment', 5000)));
      reads.statusesOf = 0;
      reads.getPayment = 0;
      counting = true;
      // Nothing changes for 4.5 s: the streams share one read every 2 s.
      await new Promise((r) => setTimeout(r, 4500));
      counting = false;
      assert.equal(reads.getPayment, 0, 'no stream reads its payment by itself');
      assert.ok(reads.statusesOf >= 1 && reads.statusesOf <= 3, `${reads.statusesOf} shared reads in 4.5 s`);
      // Paid through this process: its five streams hear it at once.
      const [first, second] = ids;
      assert.equal((await request(`/api/v1/sandbox/payments/${first}/pay`, { method: 'POST' })).status, 200);
      for (const { s } of open.filter((o) => o.id === first)) assert.ok(await s.until('"paid"', 1000) < 1000);
      // Changed by another process (written to the database directly, no event here): within the
      // shared read's 2 s, with an honest margin for a loaded machine.
      const p = (await ts.storage.getPayment(second!))!;
      assert.ok(await ts.storage.transition(second!, { from: p.status, to: 'failed', at: Date.now() }));
      for (const { s } of open.filter((o) => o.id === second)) await s.until('"failed"', 6000);
      // A final status ends the stream, and its place is given back.
      await new Promise((r) => setTimeout(r, 50));
      for (const { s } of open.filter((o) => o.id === first || o.id === second)) assert.ok(s.ended);
      for (const { s } of open) await s.close();
      const again = [];
      for (let i = 0; i < 5; i++) {
        const res = await stream(first!);
        assert.equal(res.status, 200);
        again.push(follow(res));
      }
      for (const s of again) await s.close();
    });

    test('a stream that joins knowing an older status than the hub learned meanwhile is told the current one (a reconnect racing a change)', async () => {
      const id = await waitingPayment();
      const hub = createStreamHub({ statusesOf: (ids) => ts.storage.statusesOf(ids), onStatus: (pid, l) => gateway.service.onStatus(pid, l), pollMs: 100 });
      const waitFor = async (heard: string[], status: string, ms: number) => {
        const started = performance.now();
        while (!heard.includes(status)) {
          if (performance.now() - started > ms) assert.fail(`no ${status} within ${ms} ms (heard ${heard.join(', ') || 'nothing'})`);
          await new Promise((r) => setTimeout(r, 10));
        }
      };
      try {
        // An earlier stream of the payment is still open (its client gone without a word, not noticed yet).
        const earlier: string[] = [];
        const offEarlier = hub.watch(id, 'awaiting_payment', (status) => earlier.push(status));
        // The client's new stream has read the payment (awaiting_payment); it is paid in this process
        // before the new stream begins to watch: the hub heard it through the earlier one.
        assert.equal((await request(`/api/v1/sandbox/payments/${id}/pay`, { method: 'POST' })).status, 200);
        await waitFor(earlier, 'paid', 2000);
        const later: string[] = [];
        const offLater = hub.watch(id, 'awaiting_payment', (status) => later.push(status));
        // Within the shared read (100 ms here), with a margin for a loaded machine.
        await waitFor(later, 'paid', 3000);
        assert.deepEqual(later, ['paid']);
        offEarlier();
        offLater();
      } finally {
        hub.close();
      }
    });
  });
}
