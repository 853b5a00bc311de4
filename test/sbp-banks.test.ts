/**
 * The SBP bank list: the committed NSPK snapshot, its checks, `GET /sbp/banks.json` through the
 * gateway (ETag, a long max-age, 304, CORS, compressed), and `npm run sbp-banks -- update` as a real
 * process against a loopback stand-in for NSPK, and offline (it fails cleanly, nothing written).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseC2bMembers, readSbpBanksSnapshot, SbpBanksError, SBP_BANKS_SNAPSHOT, sbpBanksAsset, updateSbpBanks } from '../src/server/sbp/banks.ts';
import { SBP_BANKS_CACHE } from '../src/server/routes/sbp.ts';
import { startTestGateway, type TestGateway } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'onpay-sbp-banks-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const SBER = { bankName: 'Сбербанк', logoURL: 'https://qr.nspk.ru/proxyapp/logo/bank100000000111.png', schema: 'bank100000000111', package_name: 'ru.sberbankmobile' };
const DICTIONARY = { version: '1.1', dictionary: [SBER, { bankName: 'ВТБ', schema: 'bank100000000005', package_name: 'ru.vtb24.mobilebanking.android' }] };

describe('the committed snapshot', () => {
  test('is NSPK\'s dictionary, dated, with its source, and the biggest banks in it', () => {
    const s = readSbpBanksSnapshot();
    assert.equal(s.source, 'https://qr.nspk.ru/proxyapp/c2bmembers.json');
    assert.match(s.retrieved, /^\d{4}-\d{2}-\d{2}$/);
    assert.ok(s.dictionary.length > 150, `${s.dictionary.length} banks`);
    assert.deepEqual(s.dictionary.find((b) => b.schema === 'bank100000000111'), SBER);
    assert.equal(s.dictionary.find((b) => b.schema === 'bank100000000004')?.package_name, 'com.idamob.tinkoff.android');
    assert.equal(new Set(s.dictionary.map((b) => b.schema)).size, s.dictionary.length, 'one entry per scheme');
  });

  test('a published package name with a path after it is not kept (it could not name an app in an intent)', () => {
    const raw = (JSON.parse(readFileSync(SBP_BANKS_SNAPSHOT, 'utf8')) as { dictionary: { package_name?: string }[] }).dictionary;
    assert.ok(raw.some((b) => b.package_name?.includes('/')), 'the snapshot carries such an entry as NSPK published it');
    assert.ok(readSbpBanksSnapshot().dictionary.every((b) => b.package_name === undefined || /^[A-Za-z]\w*(\.[A-Za-z_]\w*)+$/.test(b.package_name)));
  });
});

describe('parseC2bMembers', () => {
  test('refuses what is not the dictionary, naming the field', () => {
    assert.throws(() => parseC2bMembers({ version: '1' }), (e: Error) => e instanceof SbpBanksError && /dictionary/.test(e.message));
    assert.throws(() => parseC2bMembers({ version: '1', dictionary: [{ ...SBER, schema: 'javascript:alert(1)//' }] }),
      (e: Error) => e instanceof SbpBanksError && /dictionary\.0\.schema/.test(e.message));
    assert.throws(() => parseC2bMembers({ version: '1', dictionary: [{ ...SBER, bankName: ' ' }] }), /dictionary\.0\.bankName/);
    assert.throws(() => parseC2bMembers({ version: '1', dictionary: [{ ...SBER, logoURL: 'http://qr.nspk.ru/x.png' }] }), /dictionary\.0\.logoURL/);
  });

  test('keeps the first of a bank listed twice under one scheme', () => {
    const r = parseC2bMembers({ version: '1', dictionary: [SBER, { ...SBER, bankName: 'Сбер again' }] });
    assert.deepEqual(r.dictionary.map((b) => b.bankName), ['Сбербанк']);
  });
});

describe('GET /sbp/banks.json', () => {
  let t: TestGateway;
  before(async () => { t = await startTestGateway(); });
  after(async () => { await t.close(); });

  test('answers the snapshot with a strong ETag and a long max-age, to any origin', async () => {
    const res = await t.request('/sbp/banks.json', { headers: { origin: 'https://shop.example' } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type')!, /^application\/json/);
    assert.equal(res.headers.get('cache-control'), SBP_BANKS_CACHE);
    assert.match(SBP_BANKS_CACHE, /max-age=(\d{6,})/);
    assert.equal(res.headers.get('access-control-allow-origin'), '*');
    const body = (await res.json()) as { version: string; retrieved: string; source: string; dictionary: { schema: string }[] };
    const s = readSbpBanksSnapshot();
    assert.deepEqual({ version: body.version, retrieved: body.retrieved, banks: body.dictionary.length }, { version: s.version, retrieved: s.retrieved, banks: s.dictionary.length });
    assert.equal(res.headers.get('etag'), sbpBanksAsset(s).etag);
  });

  test('a matching If-None-Match (weak too) answers 304 with no body; another one the list', async () => {
    const { etag } = sbpBanksAsset(readSbpBanksSnapshot());
    for (const tag of [etag, `W/${etag}`, `"other", ${etag}`]) {
      const res = await t.request('/sbp/banks.json', { headers: { 'if-none-match': tag } });
      assert.equal(res.status, 304, tag);
      assert.equal(await res.text(), '');
      assert.equal(res.headers.get('cache-control'), SBP_BANKS_CACHE);
    }
    assert.equal((await t.request('/sbp/banks.json', { headers: { 'if-none-match': '"stale"' } })).status, 200);
  });

  test('goes out compressed to a client that takes it, its validator then weak', async () => {
    const res = await t.request('/sbp/banks.json', { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(res.headers.get('content-encoding'), 'gzip');
    assert.match(res.headers.get('etag')!, /^W\/"/);
    const again = await t.request('/sbp/banks.json', { headers: { 'accept-encoding': 'gzip', 'if-none-match': res.headers.get('etag')! } });
    assert.equal(again.status, 304);
  });
});

/** A loopback stand-in for qr.nspk.ru: answers `body` with `status`. */
async function nspk(status: number, body: string): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((_req, res) => { res.writeHead(status, { 'content-type': 'application/json' }).end(body); });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/proxyapp/c2bmembers.json`;
  return { url, close: () => new Promise((r) => server.close(() => r())) };
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

describe('updateSbpBanks', () => {
  test('writes a checked dictionary with today\'s date and its source', async () => {
    const n = await nspk(200, JSON.stringify(DICTIONARY));
    const path = join(dir, 'fresh.json');
    const r = await updateSbpBanks({ fetch, now: () => Date.UTC(2026, 11, 8, 3), url: n.url, path });
    await n.close();
    assert.deepEqual(r, { version: '1.1', banks: 2, path });
    const s = readSbpBanksSnapshot(path);
    assert.deepEqual({ retrieved: s.retrieved, source: s.source, banks: s.dictionary.map((b) => b.schema) }, { retrieved: '2026-12-08', source: n.url, banks: ['bank100000000111', 'bank100000000005'] });
  });

  test('an answer that is not the dictionary, an error status or no answer at all leave the snapshot as it was', async () => {
    const path = join(dir, 'kept.json');
    writeFileSync(path, 'the old snapshot');
    for (const [status, body, why] of [[200, '{"version":"1"}', /dictionary/], [200, '<html>', /did not answer JSON/], [503, '{}', /answered 503/]] as const) {
      const n = await nspk(status, body);
      await assert.rejects(updateSbpBanks({ fetch, now: Date.now, url: n.url, path }), (e: Error) => e instanceof SbpBanksError && why.test(e.message));
      await n.close();
    }
    await assert.rejects(updateSbpBanks({ fetch, now: Date.now, url: `http://127.0.0.1:${await closedPort()}/c2bmembers.json`, path }), /cannot reach/);
    assert.equal(readFileSync(path, 'utf8'), 'the old snapshot');
  });
});

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/sbp-banks.ts', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('npm run sbp-banks', () => {
  test('update: NSPK out of reach fails with exit 1 and says so; the snapshot stays', async () => {
    const out = join(dir, 'cli-kept.json');
    writeFileSync(out, 'unchanged');
    const r = await run(['update', '--url', `http://127.0.0.1:${await closedPort()}/c2bmembers.json`, '--out', out]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^sbp-banks: cannot reach http:\/\/127\.0\.0\.1:\d+\/c2bmembers\.json: .+; the snapshot is unchanged\n$/);
    assert.equal(readFileSync(out, 'utf8'), 'unchanged');
  });

  test('update writes the dictionary; show reads it back; a bad command line is exit 2', async () => {
    const n = await nspk(200, JSON.stringify(DICTIONARY));
    const out = join(dir, 'cli-fresh.json');
    const r = await run(['update', '--url', n.url, '--out', out]);
    await n.close();
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /2 banks \(dictionary 1\.1\) written to/);
    const shown = await run(['show', '--out', out]);
    assert.match(shown.stdout, /^NSPK C2B members 1\.1, 2 banks, taken \d{4}-\d{2}-\d{2} from http:\/\/127\.0\.0\.1/);
    assert.equal((await run(['fetch'])).code, 2);
    assert.equal((await run(['update', '--url'])).code, 2);
  });
});
