import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PaymentStatus } from '../states.ts';
import { followStatus, timerSleep, type StatusStreamWriter } from './status-stream.ts';

function writer() {
  const out: string[] = [];
  let abort: (() => void) | undefined;
  const w: StatusStreamWriter = {
    writeSSE: async (m) => { out.push(`${m.event} ${m.data}`); },
    onAbort: (fn) => { abort = fn; },
  };
  return { w, out, abort: () => abort?.() };
}

test('sends the current status, each change once, and ends at a final status, unsubscribing', async () => {
  const { w, out } = writer();
  const polls: PaymentStatus[] = ['awaiting_payment', 'awaiting_payment', 'paid'];
  let subscribed = 0;
  await followStatus(w, {
    id: 'pay_x',
    initial: 'checking',
    poll: async () => polls.shift(),
    subscribe: () => { subscribed++; return () => { subscribed--; }; },
    sleep: async () => {},
  });
  assert.deepEqual(out, ['status {"id":"pay_x","status":"checking"}', 'status {"id":"pay_x","status":"awaiting_payment"}', 'status {"id":"pay_x","status":"paid"}']);
  assert.equal(subscribed, 0);
});

test('keeps the stream alive with an event the browser sees (keep-alive, not a comment) every keepAliveMs, and stops when the client goes', async () => {
  const { w, out, abort } = writer();
  let polls = 0;
  await followStatus(w, {
    id: 'pay_y',
    initial: 'awaiting_payment',
    poll: async () => {
      if (++polls === 5) abort();
      return 'awaiting_payment';
    },
    subscribe: () => () => {},
    sleep: async () => {},
    pollMs: 1000,
    keepAliveMs: 2000,
  });
  assert.deepEqual(out, ['status {"id":"pay_y","status":"awaiting_payment"}', 'keep-alive {"id":"pay_y"}', 'keep-alive {"id":"pay_y"}']);
});

test('a change in this process wakes the wait at once, and the timer is cleared', async () => {
  const { w, out } = writer();
  let wake: (() => void) | undefined;
  let status: PaymentStatus = 'awaiting_payment';
  const started = Date.now();
  const done = followStatus(w, {
    id: 'pay_z',
    initial: 'awaiting_payment',
    poll: async () => status,
    subscribe: (fn) => { wake = fn; return () => {}; },
    pollMs: 60_000,
  });
  await new Promise((r) => setImmediate(r));
  status = 'paid';
  wake!();
  await done;
  assert.ok(Date.now() - started < 5000);
  assert.ok(out.includes('status {"id":"pay_z","status":"paid"}'), out.join('\n'));
});

test('timerSleep resolves on abort and leaves no timer behind', async () => {
  const c = new AbortController();
  const slept = timerSleep(60_000, c.signal);
  c.abort();
  await slept;
  await timerSleep(1, new AbortController().signal);
});
