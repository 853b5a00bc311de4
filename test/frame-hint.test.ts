/**
 * Redirect ways whose payment page refuses framing: `frame: false` in the way's configuration is
 * handed to the element in the action (it then opens a popup at once), and the sandbox card page
 * of such a way refuses framing itself, as a real system's page would. Ways default to frames.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_WAYS } from '../src/server/config.ts';
import { createPaymentVia, merchant, startTestGateway, type TestGateway } from './helpers.ts';

describe('the frame hint of redirect ways', () => {
  let t: TestGateway;
  before(async () => {
    t = await startTestGateway({
      merchants: [merchant()],
      config: {
        ways: [
          { code: 'NOF', system: 'card', ticker: 'RUR', title: { ru: 'Карта (без фрейма)', en: 'Card (no frame)' } },
          ...DEFAULT_WAYS.filter((w) => w.code === 'CRD'),
        ].map((w, i) => (i === 0 ? { ...w, frame: false } : w)),
      },
    });
  });
  after(() => t.close());

  const pay = async (way: string) => {
    const { res, json } = await createPaymentVia(t, `price=100&pay_for=frame-${way}&one_way=${way}`);
    assert.equal(res.status, 201, JSON.stringify(json));
    return json as { id: string; action: { type: string; url: string; frame?: boolean } };
  };

  test('a way with frame: false hands out a redirect marked frame: false; its page refuses every frame', async () => {
    const p = await pay('NOF');
    assert.deepEqual({ type: p.action.type, frame: p.action.frame }, { type: 'redirect', frame: false });
    const page = await t.request(new URL(p.action.url).pathname);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/);
    assert.equal(page.headers.get('x-frame-options'), 'DENY');
    // The status API shows the same action.
    const status = (await (await t.request(`/api/v1/payments/${p.id}`)).json()) as { action: { frame?: boolean } };
    assert.equal(status.action.frame, false);
  });

  test('a way left at the default is framed, and its page may be', async () => {
    const p = await pay('CRD');
    assert.equal(p.action.frame, true);
    const page = await t.request(new URL(p.action.url).pathname);
    assert.doesNotMatch(page.headers.get('content-security-policy') ?? '', /frame-ancestors/);
    assert.equal(page.headers.get('x-frame-options'), null);
  });
});
