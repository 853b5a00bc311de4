/**
 * "Test my integration" (issue 14 §5): the merchant kit's integration matrix run by the gateway
 * against the merchant's own API URL, in its API type and method, through the gateway's guarded
 * merchant HTTP client (private addresses refused unless the operator allows them), each request
 * bounded by the CHECK timeout. Audited as `integration_test`.
 *
 * Where the operator allows private merchant URLs (`allowPrivateMerchantUrls`: tests, the demo,
 * whose cabinet key is public), the API URL may name any service on the gateway's own machine or
 * network, and the tester must not become a way to read it: the report then keeps the protocol
 * verdicts and, of each answer, only a short excerpt (`answerExcerpt`) with every character that
 * could be taken for markup, a control or a direction mark escaped. Hints quote at most a few
 * dozen characters of an answer (a signature), and are bounded too.
 *
 * @example const report = await runIntegrationTest({ storage, merchantHttp, now, checkTimeoutMs, allowPrivate: false }, merchant, {});
 */
import { GatewayError } from '../errors.ts';
import type { MerchantHttp } from '../merchants/merchant-http.ts';
import type { Storage } from '../storage/storage.ts';
import type { Merchant } from '../types.ts';
import { runIntegrationMatrix, type MatrixReport, type MatrixSend } from '../../merchant/integration-matrix.ts';

export interface IntegrationTestDeps {
  storage: Storage;
  merchantHttp: MerchantHttp;
  now: () => number;
  checkTimeoutMs: number;
  /** `allowPrivateMerchantUrls`: answers are then shown as bounded, escaped excerpts only. */
  allowPrivate: boolean;
}

/** How much of an answer the report shows when private URLs are allowed, in characters. */
export const ANSWER_EXCERPT_CHARS = 160;
/** The longest hint shown when private URLs are allowed. */
const HINT_CHARS = 400;

/**
 * At most `max` characters of an answer, as text that cannot be mistaken for anything else: control
 * characters, direction and invisible marks, quotes, backslashes and `<`, `>`, `&` written as `\uXXXX`
 * escapes; a longer answer ends with `…` and its full length.
 * @example answerExcerpt('<b>hi</b>') // '\u003cb\u003ehi\u003c/b\u003e'
 */
export function answerExcerpt(body: string, max = ANSWER_EXCERPT_CHARS): string {
  const chars = [...body];
  const shown = chars.slice(0, max).map((ch) => {
    const c = ch.codePointAt(0)!;
    const plain = c >= 0x20 && c !== 0x7f && !(c >= 0x80 && c <= 0x9f) && !'<>&"\\'.includes(ch)
      && !(c >= 0x200b && c <= 0x200f) && !(c >= 0x202a && c <= 0x202e) && !(c >= 0x2060 && c <= 0x206f) && c !== 0xfeff
      && !(c >= 0xd800 && c <= 0xdfff);
    return plain ? ch : c > 0xffff ? ch : `\\u${c.toString(16).padStart(4, '0')}`;
  }).join('');
  return chars.length > max ? `${shown}… (${chars.length} characters in all)` : shown;
}

export interface IntegrationTestInput {
  /** A real test order of the shop for the accepted CHECK and the PAYs (modules that are not the kit need one). */
  payFor?: string | undefined;
  amount?: string | undefined;
  ticker?: string | undefined;
  actor?: string | undefined;
}

export interface IntegrationTestReport extends MatrixReport {
  /** `excerpt` where private merchant URLs are allowed (each answer cut and escaped), else `full`. */
  answers: 'full' | 'excerpt';
  url: string;
  startedAt: string;
  durationMs: number;
}

export async function runIntegrationTest(deps: IntegrationTestDeps, m: Merchant, input: IntegrationTestInput): Promise<IntegrationTestReport> {
  if (!m.apiUrl) throw new GatewayError(409, 'invalid_state', 'apiUrl: set the API URL in the settings first', 'apiUrl');
  const send: MatrixSend = async (req, timeoutMs) => {
    const r = await deps.merchantHttp({ url: req.url, method: req.method, contentType: req.contentType, body: req.body, timeoutMs });
    return r.ok ? { ok: true, status: r.status, body: r.body, durationMs: r.durationMs } : { ok: false, error: r.error, durationMs: r.durationMs };
  };
  const startedAt = deps.now();
  const t0 = performance.now();
  const report = await runIntegrationMatrix({
    secret: m.secret,
    apiType: m.apiType,
    method: m.apiMethod,
    url: m.apiUrl,
    send,
    timeoutMs: deps.checkTimeoutMs,
    ...(input.payFor ? { payFor: input.payFor } : {}),
    ...(input.amount ? { amount: input.amount } : {}),
    ...(input.ticker ? { ticker: input.ticker } : {}),
    paidAt: new Date(startedAt).toISOString().replace(/\.\d{3}Z$/, '+00:00'),
  });
  const durationMs = Math.round(performance.now() - t0);
  await deps.storage.addMerchantAudit(m.login, {
    at: startedAt, actor: input.actor ? `${m.login} (${input.actor})` : m.login, action: 'integration_test',
    details: { url: m.apiUrl, passed: report.passed, verdicts: Object.fromEntries(report.cases.map((c) => [c.name, c.verdict])) },
  }).catch(() => {});
  const shown = deps.allowPrivate ? excerptsOnly(report) : report;
  return { ...shown, url: m.apiUrl, startedAt: new Date(startedAt).toISOString(), durationMs, answers: deps.allowPrivate ? 'excerpt' : 'full' };
}

/** The report with each answer cut to an escaped excerpt and each hint bounded. */
function excerptsOnly(report: MatrixReport): MatrixReport {
  return {
    ...report,
    cases: report.cases.map((c) => ({
      ...c,
      answer: { ...c.answer, body: answerExcerpt(c.answer.body) },
      hint: c.hint !== null && c.hint.length > HINT_CHARS ? answerExcerpt(c.hint, HINT_CHARS) : c.hint,
    })),
  };
}
