/**
 * Provider calls go through the same guarded client as CHECK and PAY (deadline, size cap, no
 * redirects). Provider hosts are set by the operator, so they are not held to the private-address
 * rule: the caller builds the client with `allowPrivate: true`.
 */
import { createMerchantHttp, type MerchantHttp } from '../merchants/merchant-http.ts';
import type { ProviderHttp } from './contract.ts';
import { urlForLog, type Logger } from '../logger.ts';

/**
 * @example const http = createProviderHttp(); const r = await http({ method: 'POST', url, headers, body, timeoutMs: 10_000 });
 */
export function createProviderHttp(send: MerchantHttp = createMerchantHttp({ allowPrivate: true }), logger?: Logger): ProviderHttp {
  return async (req) => {
    const r = await call(req);
    // One line per provider call: where (no query), how it ended and how long it took; never the body.
    logger?.info({ method: req.method, url: urlForLog(req.url), ...(r.ok ? { httpStatus: r.status } : { error: r.error }), durationMs: r.durationMs }, 'provider call');
    return r;
  };

  async function call(req: Parameters<ProviderHttp>[0]): ReturnType<ProviderHttp> {
    const headers = { ...req.headers };
    const contentType = Object.entries(headers).find(([k]) => k.toLowerCase() === 'content-type');
    if (contentType) delete headers[contentType[0]];
    const r = await send({
      url: req.url,
      method: req.method,
      body: req.method === 'POST' ? req.body ?? '' : '',
      headers,
      timeoutMs: req.timeoutMs,
      ...(contentType ? { contentType: contentType[1] } : {}),
    });
    if (!r.ok) return r;
    const answerHeaders: Record<string, string> = {};
    for (const [k, v] of Object.entries(r.headers ?? {})) if (v !== undefined) answerHeaders[k] = Array.isArray(v) ? v.join(', ') : v;
    return { ok: true, status: r.status, headers: answerHeaders, body: r.body, durationMs: r.durationMs };
  }
}
