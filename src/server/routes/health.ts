/**
 * Probes for a load balancer or an orchestrator:
 * - `GET /health/live`: 200 while the process serves HTTP at all (restart it when this fails);
 * - `GET /health/ready`: 200 only when the database answers and its migrations are current, and the
 *   gateway is not shutting down; otherwise 503 `{ ready: false, reason }`. The reason is one of a
 *   few fixed phrases: it names no host, no user and no secret (the details go to the log).
 * `/health` stays as it was (200 when the database answers) for existing monitors.
 */
import { Hono } from 'hono';
import type { Readiness } from '../types.ts';

/** `GET /health/live` and `GET /health/ready`. */
export function healthRoutes(deps: { readiness: Readiness }): Hono {
  const app = new Hono();
  const noStore = { 'cache-control': 'no-store' };
  app.get('/health/live', (c) => c.json({ ok: true, live: true }, 200, noStore));
  app.get('/health/ready', async (c) => {
    if (deps.readiness.draining?.()) return c.json({ ready: false, reason: 'shutting down' }, 503, noStore);
    const reason = await deps.readiness.check();
    return reason === null ? c.json({ ready: true }, 200, noStore) : c.json({ ready: false, reason }, 503, noStore);
  });
  return app;
}
