/**
 * "Test my integration" (issue 14 §5): the merchant kit's integration matrix run by the gateway
 * against the merchant's own API URL, in its API type and method, through the gateway's guarded
 * merchant HTTP client (private addresses refused unless the operator allows them), each request
 * bounded by the CHECK timeout. Audited as `integration_test`.
 *
 * @example const report = await runIntegrationTest({ storage, merchantHttp, now, checkTimeoutMs }, merchant, {});
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
}

export interface IntegrationTestInput {
  /** A real test order of the shop for the accepted CHECK and the PAYs (modules that are not the kit need one). */
  payFor?: string | undefined;
  amount?: string | undefined;
  ticker?: string | undefined;
  actor?: string | undefined;
}

export interface IntegrationTestReport extends MatrixReport {
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
  return { ...report, url: m.apiUrl, startedAt: new Date(startedAt).toISOString(), durationMs };
}
