/**
 * The layers of docs/ARCHITECTURE.md, checked on the source: every relative import of every file
 * under src/ (tests aside) is read and held to the rules between folders, so an arrow that runs back
 * up fails here with the file and the import named. Import circles are madge's to find (see
 * docs/ARCHITECTURE.md); this test is about direction.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { test } from 'node:test';

const ROOT = normalize(join(dirname(new URL(import.meta.url).pathname), '..'));
const SPEC = /(?:\bfrom|\bimport)\s*\(?\s*['"](\.{1,2}\/[^'"]+)['"]/g;

function sourceFiles(dir: string, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) sourceFiles(path, out);
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

/** Every `from` → `to` import between files under src/, as paths relative to src/. */
const IMPORTS: { from: string; to: string }[] = sourceFiles(join(ROOT, 'src')).flatMap((file) => {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(SPEC)].map((m) => ({
    from: relative(join(ROOT, 'src'), file),
    to: relative(join(ROOT, 'src'), normalize(join(dirname(file), m[1]!))),
  }));
});

/** The imports of files under `from` that reach a file under `to` (folders end with `/`). */
const arrows = (from: string, to: readonly string[]) => IMPORTS
  .filter((i) => i.from.startsWith(from) && to.some((t) => (t.endsWith('/') ? i.to.startsWith(t) : i.to === t)))
  .map((i) => `${i.from} → ${i.to}`);

test('the source is read: imports are found in every layer', () => {
  for (const folder of ['protocol/', 'server/payments/', 'server/routes/', 'server/storage/', 'server/providers/']) {
    assert.ok(IMPORTS.some((i) => i.from.startsWith(folder)), `no imports read under src/${folder}`);
  }
});

test('the wire (src/protocol) imports nothing of the gateway, the kit or the element', () => {
  assert.deepEqual(arrows('protocol/', ['server/', 'merchant/', 'components/', 'cli/']), []);
});

test('the element and the merchant kit import only the wire', () => {
  assert.deepEqual(arrows('components/', ['server/', 'merchant/', 'cli/']), []);
  assert.deepEqual(arrows('merchant/', ['server/', 'components/', 'cli/']), []);
});

test('storage imports only the kernel (types, states, errors) and the wire', () => {
  const domainAndUp = ['server/payments/', 'server/cabinet/', 'server/refunds/', 'server/dispatcher/', 'server/merchants/', 'server/providers/',
    'server/routes/', 'server/pages/', 'server/http/', 'server/app.ts', 'server/bootstrap.ts', 'server/config.ts'];
  assert.deepEqual(arrows('server/storage/', domainAndUp), []);
});

test('routes never see storage, not even its type; nothing but the composition imports routes', () => {
  assert.deepEqual(arrows('server/routes/', ['server/storage/']), []);
  const importers = IMPORTS.filter((i) => i.to.startsWith('server/routes/') && !i.from.startsWith('server/routes/')).map((i) => i.from);
  assert.deepEqual([...new Set(importers)].filter((f) => f !== 'server/app.ts'), []);
});

test('the domain never imports routes, pages or the composition root', () => {
  for (const folder of ['server/payments/', 'server/cabinet/', 'server/refunds/', 'server/dispatcher/', 'server/merchants/', 'server/providers/']) {
    assert.deepEqual(arrows(folder, ['server/routes/', 'server/pages/', 'server/app.ts', 'server/bootstrap.ts']), [], folder);
  }
});

test('the connectors take their way and configuration shapes from providers/contract.ts, not the configuration', () => {
  assert.deepEqual(arrows('server/providers/', ['server/config.ts', 'server/payments/', 'server/cabinet/', 'server/refunds/', 'server/dispatcher/']), []);
});

test('the payment wing reads its settings, not the configuration', () => {
  assert.deepEqual(arrows('server/payments/', ['server/config.ts']), []);
});
