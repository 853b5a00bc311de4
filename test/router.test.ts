/**
 * The gateway's routes stay within what Hono's RegExpRouter takes: one route it cannot take (as
 * `/assets/vendor/:name` beside `/assets/:name` once did) makes Hono fall back to the slower
 * TrieRouter for every request. And the asset routes that were merged for it still answer.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startTestGateway, type TestGateway } from './helpers.ts';

describe('routing', () => {
  let t: TestGateway;
  before(async () => {
    t = await startTestGateway();
  });
  after(() => t.close());

  test('every route is one the RegExpRouter takes', async () => {
    assert.equal((await t.request('/health/live')).status, 200);
    const router = (t.gateway.app as unknown as { router: { name: string } }).router;
    assert.equal(router.name, 'SmartRouter + RegExpRouter');
  });

  test('vendor assets, other assets and what is neither', async () => {
    const css = await t.request('/assets/vendor/uplot.css');
    assert.equal(css.status, 200);
    assert.match(css.headers.get('content-type') ?? '', /^text\/css/);
    assert.equal((await t.request('/assets/vendor/uplot.js')).status, 200);
    for (const path of ['/assets/vendor/nothing.js', '/assets/vendor/constructor', '/assets/other/uplot.css', '/assets/vendor/..%2Fpackage.json']) {
      const r = await t.request(path);
      assert.equal(r.status, 404, path);
    }
  });
});
