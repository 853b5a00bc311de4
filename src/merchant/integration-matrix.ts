/**
 * The integration matrix (issue 14 §5): what the gateway's cabinet runs against a merchant's API URL
 * ("Test my integration"), and what a shop runs in its own test suite against its handler. Six
 * cases, in the merchant's API type and method:
 *
 * 1. a correctly signed CHECK — must be accepted;
 * 2. a CHECK with a wrong signature — must be refused;
 * 3. a CHECK for an unknown order — must be refused;
 * 4. a PAY — must succeed, with a correctly signed answer;
 * 5. the same PAY again — must succeed too (merchants must be idempotent to a repeated PAY);
 * 6. a PAY with a wrong signature — must be refused.
 *
 * Each result has the exact request, the exact answer, the time, a verdict and, when it fails, a hint
 * ("your answer's md5 is X; for the string `check;…;K` it should be Y"). The hint writes the secret
 * as `K` and the answer shown has K blotted out should the merchant echo it.
 *
 * **The test marker.** Every request carries `onpay_ap_gwtest=1` (API 1: a form field; API 2: a
 * top-level JSON field for CHECK, `additional_params.onpay_ap_gwtest` for PAY). `onpay_ap_*`
 * parameters are the merchant's own pass-through parameters, which existing Onpay modules ignore
 * when they do not know them, and which no signature covers. The merchant kit's handler, after it
 * has verified the signature, answers marked requests itself without calling `onCheck` / `onPay`:
 * a CHECK is accepted unless its order starts with `gwtest-unknown-`, a PAY succeeds. So a shop on
 * the kit is tested without touching a real order.
 *
 * @example
 * // In a shop's own tests, against its handler:
 * const report = await runIntegrationMatrix({ secret: K, apiType: 2, handler });
 * assert.ok(report.passed, JSON.stringify(report.cases, null, 2));
 */
import { createHash } from 'node:crypto';
import { canonicalAmount } from '../protocol/money.ts';
import {
  api1CheckAnswerMd5, api1CheckFields, api1PayAnswerMd5, api1PayFields, api2AnswerSignature, api2CheckRequest, api2PayRequest,
  formBody, safeEqualHex, xmlField, type CheckData, type PayData,
} from '../protocol/onpay-api.ts';

/** The marker parameter every test request carries. */
export const TEST_MARKER = 'onpay_ap_gwtest';
/** Orders of test requests start with this; the "unknown order" case with `gwtest-unknown-`. */
export const TEST_ORDER_PREFIX = 'gwtest-';
export const UNKNOWN_ORDER_PREFIX = 'gwtest-unknown-';

export type MatrixCaseName = 'check_ok' | 'check_bad_signature' | 'check_unknown_order' | 'pay_ok' | 'pay_repeat' | 'pay_bad_signature';

export interface MatrixRequest {
  method: 'POST' | 'GET';
  url: string;
  contentType: string;
  /** For POST the body bytes; for GET the query string appended to the URL. */
  body: string;
}

export type MatrixAnswer =
  | { ok: true; status: number; body: string; durationMs: number }
  | { ok: false; error: string; durationMs: number };

/** Sends one request; never throws. */
export type MatrixSend = (req: MatrixRequest, timeoutMs: number) => Promise<MatrixAnswer>;

export interface MatrixCase {
  name: MatrixCaseName;
  /** What the case expects, in a sentence. */
  expect: string;
  request: MatrixRequest;
  answer: { httpStatus: number | null; body: string; error: string | null };
  durationMs: number;
  verdict: 'pass' | 'fail' | 'skipped';
  hint: string | null;
}

export interface MatrixReport {
  passed: boolean;
  apiType: 1 | 2;
  method: 'POST' | 'GET';
  cases: MatrixCase[];
}

export interface MatrixOptions {
  /** The merchant's secret key K. */
  secret: string;
  apiType: 1 | 2;
  /** API 1 only: GET or POST (API 2 is always POST). */
  method?: 'POST' | 'GET';
  /** Where requests go: the merchant's API URL (with `send` or `fetch`), or a fetch-API handler. */
  url?: string;
  handler?: (request: Request) => Promise<Response>;
  send?: MatrixSend;
  fetch?: typeof globalThis.fetch;
  /** Each request's time limit; the gateway uses its CHECK timeout. */
  timeoutMs?: number;
  /** The order the accepted CHECK and the PAYs use; a fresh `gwtest-…` by default. */
  payFor?: string;
  /** The order's amount (canonical text), default `100.0`, and currency, default `RUR`. */
  amount?: string;
  ticker?: string;
  /** The integer payment number of the test PAY. */
  onpayId?: number;
  /** ISO 8601 time written in the test PAY. */
  paidAt?: string;
  /** A random suffix for the test orders. */
  nonce?: string;
}

const EXPECT: Record<MatrixCaseName, string> = {
  check_ok: 'a correctly signed CHECK is accepted with a correctly signed answer',
  check_bad_signature: 'a CHECK with a wrong signature is refused',
  check_unknown_order: 'a CHECK for an order the shop does not have is refused',
  pay_ok: 'a correctly signed PAY succeeds with a correctly signed answer',
  pay_repeat: 'the same PAY again succeeds too (a repeated PAY must not be an error)',
  pay_bad_signature: 'a PAY with a wrong signature is refused',
};

const WRONG_KEY = 'not-your-secret-key';
const EXCERPT_CHARS = 2000;

/** The answer with K blotted out, so that a report never shows the secret. */
const blot = (text: string, secret: string): string => {
  const t = secret.length >= 4 ? text.split(secret).join('***') : text;
  return t.length > EXCERPT_CHARS ? `${t.slice(0, EXCERPT_CHARS)}…` : t;
};

/** A send over a fetch function with a deadline. */
function fetchSend(fetchFn: typeof globalThis.fetch): MatrixSend {
  return async (req, timeoutMs) => {
    const started = performance.now();
    const url = req.method === 'GET' ? `${req.url}${req.url.includes('?') ? '&' : '?'}${req.body}` : req.url;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const deadline = new Promise<never>((_r, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error('timeout'), { name: 'TimeoutError' })), timeoutMs);
    });
    try {
      return await Promise.race([attempt(), deadline]);
    } catch (e) {
      const timedOut = e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError');
      return { ok: false, error: timedOut ? `no answer within ${timeoutMs} ms` : `network error: ${(e as Error).message}`, durationMs: Math.round(performance.now() - started) };
    } finally {
      clearTimeout(timer);
    }

    async function attempt(): Promise<MatrixAnswer> {
      const res = await fetchFn(url, {
        method: req.method,
        ...(req.method === 'POST' ? { body: req.body, headers: { 'content-type': req.contentType } } : {}),
        redirect: 'manual',
        signal: AbortSignal.timeout(timeoutMs),
      });
      const body = await res.text();
      return { ok: true, status: res.status, body, durationMs: Math.round(performance.now() - started) };
    }
  };
}

/** A send straight into a fetch-API handler (no network). */
function handlerSend(handler: (r: Request) => Promise<Response>, base: string): MatrixSend {
  return fetchSend(((input: string | URL | Request, init?: RequestInit) => handler(new Request(input instanceof Request ? input : new URL(String(input), base), init))) as typeof globalThis.fetch);
}

interface Plan {
  check: CheckData;
  unknown: CheckData;
  pay: PayData;
}

function plan(o: MatrixOptions): Plan {
  const nonce = o.nonce ?? createHash('sha256').update(String(performance.now()) + String(Math.random())).digest('hex').slice(0, 10);
  const amount = canonicalAmount(o.amount ?? '100.0');
  if (amount === null) throw new RangeError(`amount: not an amount: ${o.amount}`);
  const ticker = (o.ticker ?? 'RUR').toUpperCase();
  const payFor = o.payFor ?? `${TEST_ORDER_PREFIX}${nonce}`;
  const extra = { [TEST_MARKER]: '1' };
  const check: CheckData = { payFor, orderAmount: amount, orderTicker: ticker, mode: 'fix', userEmail: 'test@example.com', userPhone: '', extraParams: extra };
  return {
    check,
    unknown: { ...check, payFor: `${UNKNOWN_ORDER_PREFIX}${nonce}` },
    pay: {
      payFor, onpayId: o.onpayId ?? 1, orderAmount: amount, orderTicker: ticker, paidAmount: amount, paidTicker: ticker,
      balanceAmount: amount, balanceTicker: ticker, rate: '1.0', paidAt: o.paidAt ?? '2026-01-01T00:00:00+00:00',
      userEmail: 'test@example.com', userPhone: '', note: 'integration test', extraParams: extra,
    },
  };
}

function checkRequest(o: MatrixOptions, url: string, d: CheckData, key: string): MatrixRequest {
  if (o.apiType === 2) {
    const r = api2CheckRequest(d, key);
    return { method: 'POST', url, contentType: r.contentType, body: r.body };
  }
  return { method: o.method ?? 'POST', url, contentType: 'application/x-www-form-urlencoded', body: formBody(api1CheckFields(d, key)) };
}

function payRequest(o: MatrixOptions, url: string, d: PayData, key: string): MatrixRequest {
  if (o.apiType === 2) {
    const r = api2PayRequest(d, key);
    return { method: 'POST', url, contentType: r.contentType, body: r.body };
  }
  return { method: o.method ?? 'POST', url, contentType: 'application/x-www-form-urlencoded', body: formBody(api1PayFields(d, key)) };
}

/** What an answer says, read in the API type; `signedOk` whether its own signature is right for K. */
type Reading =
  | { kind: 'unanswered'; hint: string }
  | { kind: 'http'; hint: string; refusal: boolean }
  | { kind: 'unreadable'; hint: string }
  | { kind: 'read'; accepted: boolean; signedOk: boolean; signatureHint: string; code: string };

function readAnswer(o: MatrixOptions, type: 'check' | 'pay', a: MatrixAnswer, d: CheckData | PayData): Reading {
  if (!a.ok) {
    const hint = a.error.startsWith('no answer')
      ? `your API did not answer within ${o.timeoutMs ?? 10_000} ms; the gateway gives a CHECK that long, then refuses the payment`
      : `the gateway could not reach your API (${a.error}); check the API URL, DNS, the firewall and that the server is running`;
    return { kind: 'unanswered', hint };
  }
  if (a.status < 200 || a.status > 299) {
    return { kind: 'http', refusal: a.status >= 400 && a.status < 500, hint: `your API answered HTTP ${a.status}; it must answer 200 with ${o.apiType === 2 ? 'a JSON body' : 'an XML <result>'}` };
  }
  const payFor = d.payFor;
  if (o.apiType === 2) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(a.body.trim());
    } catch {
      const looksXml = a.body.includes('<result');
      return { kind: 'unreadable', hint: looksXml ? 'your API answered XML, but the merchant is set to API 2 (JSON): change the API type in the settings or in your module' : 'your answer is not JSON; API 2 answers {"status":true,"pay_for":"…","signature":"…"}' };
    }
    const obj = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
    const status = obj.status === true || obj.status === 'true' ? true : obj.status === false || obj.status === 'false' ? false : undefined;
    if (status === undefined) return { kind: 'unreadable', hint: 'your answer has no "status": true or false' };
    const signature = typeof obj.signature === 'string' ? obj.signature : '';
    const want = api2AnswerSignature(type, status, payFor, o.secret);
    const signedOk = safeEqualHex(signature, want);
    return {
      kind: 'read', accepted: status, signedOk, code: String(status),
      signatureHint: signedOk ? '' : `your answer's signature is ${signature || '(none)'}; for the string \`${type};${status};${payFor};K\` (sha1) it should be ${want}`,
    };
  }
  const code = xmlField(a.body, 'code');
  if (code === undefined || !/^\d+$/.test(code)) {
    const looksJson = a.body.trim().startsWith('{');
    return { kind: 'unreadable', hint: looksJson ? 'your API answered JSON, but the merchant is set to API 1 (XML): change the API type in the settings or in your module' : 'your answer has no <code> element; API 1 answers <result><code>0</code>…<md5>…</md5></result>' };
  }
  const md5 = xmlField(a.body, 'md5') ?? '';
  let want: string;
  let text: string;
  if (type === 'check') {
    const c = d as CheckData;
    want = api1CheckAnswerMd5(c.payFor, c.orderAmount, c.orderTicker, code, o.secret);
    text = `check;${c.payFor};${c.orderAmount};${c.orderTicker};${code};K`;
  } else {
    const p = d as PayData;
    const orderId = xmlField(a.body, 'order_id') ?? '';
    want = api1PayAnswerMd5(p.payFor, p.onpayId, orderId, p.orderAmount, p.orderTicker, code, o.secret);
    text = `pay;${p.payFor};${p.onpayId};${orderId};${p.orderAmount};${p.orderTicker};${code};K`;
  }
  const signedOk = safeEqualHex(md5, want);
  return {
    kind: 'read', accepted: code === '0', signedOk, code,
    signatureHint: signedOk ? '' : `your answer's md5 is ${md5 || '(none)'}; for the string \`${text}\` (upper-case md5) it should be ${want}`,
  };
}

/** Verdict of a case that expects acceptance. */
function judgeAccept(o: MatrixOptions, type: 'check' | 'pay', a: MatrixAnswer, d: CheckData | PayData): { pass: boolean; hint: string | null } {
  const r = readAnswer(o, type, a, d);
  if (r.kind !== 'read') return { pass: false, hint: r.hint };
  if (!r.accepted) {
    const what = o.apiType === 2 ? '"status": false' : `code ${r.code}`;
    return {
      pass: false,
      hint: type === 'check'
        ? `your API answered ${what} to a correctly signed CHECK for order ${d.payFor}: is the order open and the amount ${d.orderAmount} ${d.orderTicker}? Does it check the signature of \`check;pay_for;${o.apiType === 2 ? 'amount;way;mode' : 'order_amount;order_currency'};K\`?`
        : `your API answered ${what} to a correctly signed PAY for order ${d.payFor}; a PAY for an order already paid must be answered as success`,
    };
  }
  if (!r.signedOk) return { pass: false, hint: r.signatureHint };
  return { pass: true, hint: null };
}

/** Verdict of a case that expects a refusal: any clear "no" passes (a 4xx, code ≠ 0, status false). */
function judgeRefuse(o: MatrixOptions, type: 'check' | 'pay', a: MatrixAnswer, d: CheckData | PayData, why: string): { pass: boolean; hint: string | null } {
  const r = readAnswer(o, type, a, d);
  if (r.kind === 'unanswered') return { pass: false, hint: r.hint };
  if (r.kind === 'http') return r.refusal ? { pass: true, hint: null } : { pass: false, hint: r.hint };
  if (r.kind === 'unreadable') return { pass: false, hint: r.hint };
  if (r.accepted) return { pass: false, hint: `your API accepted ${why}: it must refuse it${o.apiType === 1 ? ` (code ${type === 'check' ? '7 or 2' : '7'})` : ' ("status": false)'}` };
  return { pass: true, hint: null };
}

/**
 * Runs the six cases. CHECK cases run at once; the PAYs after them, in order (the repeat after the
 * first). When no CHECK got an answer at all, the PAYs are skipped: the API is not reachable, and
 * waiting for three more timeouts would tell nothing new.
 */
export async function runIntegrationMatrix(o: MatrixOptions): Promise<MatrixReport> {
  const timeoutMs = o.timeoutMs ?? 10_000;
  const url = o.url ?? 'http://shop.test/onpay';
  const send = o.send ?? (o.handler ? handlerSend(o.handler, url) : fetchSend(o.fetch ?? globalThis.fetch));
  const p = plan(o);
  const method = o.apiType === 2 ? 'POST' : (o.method ?? 'POST');

  const run = async (name: MatrixCaseName, req: MatrixRequest, judge: (a: MatrixAnswer) => { pass: boolean; hint: string | null }): Promise<MatrixCase> => {
    const a = await send(req, timeoutMs);
    const v = judge(a);
    return {
      name, expect: EXPECT[name], request: req,
      answer: a.ok ? { httpStatus: a.status, body: blot(a.body, o.secret), error: null } : { httpStatus: null, body: '', error: a.error },
      durationMs: a.durationMs, verdict: v.pass ? 'pass' : 'fail', hint: v.hint,
    };
  };
  const skipped = (name: MatrixCaseName, req: MatrixRequest): MatrixCase => ({
    name, expect: EXPECT[name], request: req, answer: { httpStatus: null, body: '', error: null }, durationMs: 0, verdict: 'skipped',
    hint: 'not run: your API answered no CHECK at all',
  });

  const checks = await Promise.all([
    run('check_ok', checkRequest(o, url, p.check, o.secret), (a) => judgeAccept(o, 'check', a, p.check)),
    run('check_bad_signature', checkRequest(o, url, p.check, WRONG_KEY), (a) => judgeRefuse(o, 'check', a, p.check, 'a CHECK signed with another key')),
    run('check_unknown_order', checkRequest(o, url, p.unknown, o.secret), (a) => judgeRefuse(o, 'check', a, p.unknown, `a CHECK for the unknown order ${p.unknown.payFor}`)),
  ]);
  const payOk = payRequest(o, url, p.pay, o.secret);
  const payBad = payRequest(o, url, p.pay, WRONG_KEY);
  let pays: MatrixCase[];
  if (checks.every((c) => c.answer.httpStatus === null)) {
    pays = [skipped('pay_ok', payOk), skipped('pay_repeat', payOk), skipped('pay_bad_signature', payBad)];
  } else {
    const first = await run('pay_ok', payOk, (a) => judgeAccept(o, 'pay', a, p.pay));
    const [repeat, bad] = await Promise.all([
      run('pay_repeat', payOk, (a) => judgeAccept(o, 'pay', a, p.pay)),
      run('pay_bad_signature', payBad, (a) => judgeRefuse(o, 'pay', a, p.pay, 'a PAY signed with another key')),
    ]);
    pays = [first, repeat, bad];
  }
  const cases = [...checks, ...pays];
  return { passed: cases.every((c) => c.verdict === 'pass'), apiType: o.apiType, method, cases };
}

/** Whether a verified request is one of the matrix's test requests (the marker is present). */
export const isTestRequest = (extraParams: Record<string, string>): boolean => extraParams[TEST_MARKER] === '1';
