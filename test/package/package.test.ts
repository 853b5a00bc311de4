/**
 * What ships is what is tested: `npm pack` of this project, installed with npm into a fresh folder
 * outside the repository (so nothing resolves from the project's own node_modules), then used there:
 * imported in Node as an SSR framework does, type-checked as a shop's TypeScript would be, the
 * React, Vue and plain-HTML examples of docs/ELEMENT.md built with Vite from the installed package,
 * and its bundlers example built with webpack 5 and Rollup 4 installed there too. The pages land in
 * test/browser/fixtures/package/ for test/browser/frameworks.test.ts and bundlers-*.test.ts (Chromium).
 *
 * Run: `npm run test:package` (npm test runs it before the browser tests). About 40 s: the pack
 * builds the element (vite, tsc), and npm installs the package's dependencies (from its cache
 * after the first run).
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { before, test } from 'node:test';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const OUT = join(ROOT, 'test/browser/fixtures/package');
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
const dev = (name: string) => `${name}@${pkg.devDependencies[name]}`;

let app = '';
const run = (cmd: string, args: string[], cwd: string) => execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const write = (path: string, text: string) => {
  mkdirSync(dirname(join(app, path)), { recursive: true });
  writeFileSync(join(app, path), text);
};

/** The code blocks of docs/ELEMENT.md marked `<!-- example: path -->`, by path. */
function docExamples(): Map<string, string> {
  const doc = readFileSync(join(ROOT, 'docs/ELEMENT.md'), 'utf8');
  const out = new Map<string, string>();
  for (const m of doc.matchAll(/<!-- example: (\S+) -->\n```\w*\n([\s\S]*?)\n```/g)) out.set(m[1]!, `${m[2]!}\n`);
  return out;
}

before(async () => {
  app = mkdtempSync(join(tmpdir(), 'onpay-package-'));
  const tgz = run('npm', ['pack', '--silent', '--pack-destination', app], ROOT).trim().split('\n').pop()!;
  write('package.json', JSON.stringify({ name: 'shop', private: true, type: 'module' }));
  run('npm', ['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error', join(app, tgz),
    dev('react'), dev('react-dom'), dev('vue'), dev('@types/react'), dev('@types/react-dom'),
    dev('webpack'), dev('rollup'), dev('@rollup/plugin-node-resolve')], app);
  for (const [path, code] of docExamples()) write(path, code);
});

test('the package ships compiled ES modules with declarations, not TypeScript sources', () => {
  const dir = join(app, 'node_modules/onpay-checkout');
  const files: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d)) {
      if (statSync(join(d, n)).isDirectory()) walk(join(d, n));
      else files.push(join(d, n).slice(dir.length + 1));
    }
  };
  walk(dir);
  assert.deepEqual(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')), []);
  for (const f of ['dist/lib/components/onpay-checkout/index.js', 'dist/lib/components/onpay-checkout/index.d.ts', 'dist/lib/merchant/index.js',
    'dist/lib/merchant/index.d.ts', 'dist/cdn/onpay-checkout.js', 'dist/cdn/onpay-checkout.en.js', 'custom-elements.json']) {
    assert.ok(files.includes(f), `${f} is in the package`);
  }
  assert.equal(files.some((f) => f.includes('.test.')), false, 'no tests in the package');
});

test('importing onpay-checkout/element in Node (as Next.js and Nuxt render) neither throws nor defines anything', () => {
  const out = run(process.execPath, ['--input-type=module', '-e', `
    const element = await import('onpay-checkout/element');
    const merchant = await import('onpay-checkout/merchant');
    console.log(JSON.stringify({
      cls: typeof element.OnpayCheckout, sign: typeof merchant.signPaymentLink, ln: element.resolveLanguage('hy'),
      defined: typeof customElements === 'undefined' ? 'no registry' : String(customElements.get('onpay-checkout')),
    }));`], app);
  const seen = JSON.parse(out) as { defined: string };
  // Lit's Node build may bring its DOM shim's registry: then it must hold no onpay-checkout.
  assert.ok(['no registry', 'undefined'].includes(seen.defined), `defined: ${seen.defined}`);
  assert.deepEqual({ ...seen, defined: 'nothing' }, { cls: 'function', sign: 'function', ln: 'ru', defined: 'nothing' });
});

test('the declarations type the tag for the DOM, React 19 JSX and Vue', () => {
  write('tsconfig.json', JSON.stringify({
    compilerOptions: { target: 'ES2022', module: 'ESNext', moduleResolution: 'Bundler', strict: true, noEmit: true, jsx: 'react-jsx', lib: ['ES2022', 'DOM'], skipLibCheck: false, types: [] },
    include: ['types'],
  }));
  write('types/dom.ts', `import { OnpayCheckout, type OnpayEventDetails } from 'onpay-checkout/element';
const el = document.querySelector('onpay-checkout');
const same: OnpayCheckout | null = el;
el?.addEventListener('onpay-success', (e) => { const id: string = e.detail.id; void id; });
const made: OnpayCheckout = document.createElement('onpay-checkout');
made.messages = { cont: 'Оплатить' };
// @ts-expect-error not a message key
made.messages = { nope: 'x' };
const d: OnpayEventDetails['onpay-fail'] = { id: '1', status: 'failed', reason: 'insufficient_funds', urlFail: '' };
// @ts-expect-error not a failure reason
const bad: OnpayEventDetails['onpay-fail'] = { id: '1', status: 'failed', reason: 'nope', urlFail: '' };
void same; void d; void bad;
`);
  write('types/react.tsx', `import 'onpay-checkout/element';
import type {} from 'onpay-checkout/react';
export const ok = <onpay-checkout merchant-login="shop" price="1.0" pay-for="1" ln="uk" onpay-ap-source="site"
  ononpay-success={(e) => { const id: string = e.detail.id; void id; e.preventDefault(); }}
  ononpay-fail={(e) => { const s: string = e.detail.status; void s; }} />;
// @ts-expect-error pay-mode is fix or free
export const bad = <onpay-checkout pay-mode="sometimes" />;
`);
  write('types/vue.ts', `import type { GlobalComponents } from 'vue';
import type {} from 'onpay-checkout/vue';
type Tag = GlobalComponents['onpay-checkout'];
type Props = InstanceType<Tag>['$props'];
export const props: Props = { 'merchant-login': 'shop', price: '1.0', ln: 'de' };
`);
  run(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', join(app, 'tsconfig.json')], app);
});

test('the examples build with Vite from the installed package; the React page renders to HTML in Node', async () => {
  write('entries/react.tsx', `import { createRoot, hydrateRoot } from 'react-dom/client';
import { Checkout } from '../react/Checkout.tsx';
export function mount(el: HTMLElement) { const root = createRoot(el); root.render(<Checkout />); return () => root.unmount(); }
export function hydrate(el: HTMLElement, errors: unknown[]) {
  const root = hydrateRoot(el, <Checkout />, { onRecoverableError: (e) => errors.push(e) });
  return () => root.unmount();
}
`);
  write('entries/vue.ts', `import { createApp } from 'vue';
import Checkout from '../vue/Checkout.vue';
export function mount(el: HTMLElement) { const app = createApp(Checkout); app.mount(el); return () => app.unmount(); }
`);
  write('entries/ssr.tsx', `import { renderToString } from 'react-dom/server';
import { Checkout } from '../react/Checkout.tsx';
export const render = () => renderToString(<Checkout />);
`);
  const { build } = await import('vite');
  const { default: vue } = await import('@vitejs/plugin-vue');
  const common = {
    root: app, configFile: false as const, logLevel: 'warn' as const, base: '/test/browser/fixtures/package/',
    oxc: { jsx: { runtime: 'automatic' as const, importSource: 'react' } },
    plugins: [vue({ template: { compilerOptions: { isCustomElement: (tag: string) => tag === 'onpay-checkout' } } })],
  };
  rmSync(OUT, { recursive: true, force: true });
  await build({
    ...common,
    build: {
      outDir: OUT, emptyOutDir: true, minify: false,
      rolldownOptions: { input: { react: join(app, 'entries/react.tsx'), vue: join(app, 'entries/vue.ts') }, preserveEntrySignatures: 'exports-only', output: { entryFileNames: '[name].js' } },
    },
  });
  // The server build keeps node_modules outside: Node imports the installed package itself.
  await build({ ...common, build: { ssr: join(app, 'entries/ssr.tsx'), outDir: join(app, 'ssr'), emptyOutDir: true, minify: false } });
  const html = run(process.execPath, ['--input-type=module', '-e', `const m = await import(${JSON.stringify(join(app, 'ssr/ssr.js'))}); process.stdout.write(m.render());`], app);
  assert.match(html, /<onpay-checkout merchant-login="myshop" price="100.0"/);
  assert.doesNotMatch(html, /ononpay/, 'event props are not rendered as attributes');
  writeFileSync(join(OUT, 'ssr.html'), html);
  writeFileSync(join(OUT, 'plain.html'), docExamples().get('plain.html')!);
  for (const f of ['react.js', 'vue.js', 'ssr.html', 'plain.html']) assert.ok(statSync(join(OUT, f)).size > 0, f);
});

// The bundler's own Node API and config, as installed in the shop's folder (not this repository's).
type WebpackStats = { hasErrors(): boolean; hasWarnings(): boolean; toString(o: object): string; compilation: { fileDependencies: Iterable<string> } };
type Webpack = (config: object) => { run(cb: (err: Error | null, stats?: WebpackStats) => void): void; close(cb: (err?: Error | null) => void): void };
type Rollup = (options: object) => Promise<{ watchFiles: string[]; write(o: object): Promise<unknown>; close(): Promise<void> }>;
const fromApp = async <T>(path: string) => (await import(pathToFileURL(join(app, path)).href)) as T;

/** What a bundle read and wrote: from the installed package, Lit's browser build, the element and chunks. */
function assertBundle(name: string, read: string[]) {
  const js = read.filter((f) => /\.[cm]?js$/.test(f));
  const installed = join(app, 'node_modules/onpay-checkout/dist/lib/components/onpay-checkout/');
  assert.ok(js.includes(join(installed, 'define.js')), `${name}: the installed package's element is bundled`);
  assert.ok(js.includes(join(installed, 'messages/de.js')), `${name}: with its languages`);
  assert.deepEqual(js.filter((f) => f.startsWith(ROOT)), [], `${name}: nothing from this repository`);
  assert.deepEqual(js.filter((f) => /ssr-dom-shim|\/lit[^/]*\/node\//.test(f)), [], `${name}: Lit's browser build, not its Node one`);
  const dir = join(OUT, name);
  const out = readdirSync(dir).filter((f) => f.endsWith('.js'));
  assert.ok(out.includes('shop.js'), `${name}: shop.js written`);
  assert.ok(out.length >= 7, `${name}: the languages and the instructions view are chunks of their own (${out.join(' ')})`);
  const shop = readFileSync(join(dir, 'shop.js'), 'utf8');
  assert.match(shop, /customElements\.define\(\s*["']onpay-checkout["']/, `${name}: the bundle defines <onpay-checkout>`);
  assert.ok(shop.length < 120_000, `${name}: ${shop.length} bytes, one Lit and one element`);
  return out.length;
}

test('the bundlers example builds with webpack 5 and Rollup 4 from the installed package', async () => {
  const examples = docExamples();
  for (const f of ['bundlers/shop.js', 'bundlers/webpack.config.js', 'bundlers/rollup.config.js']) assert.ok(examples.has(f), `docs/ELEMENT.md has ${f}`);
  // The page's entry: the doc's shop code, and the class its copy of the element registered.
  write('entries/bundled.js', `export { mount } from '../bundlers/shop.js';\nexport { OnpayCheckout } from 'onpay-checkout/element';\n`);
  write('entries/bundlers.js', `export { default as webpack } from 'webpack';\nexport { rollup } from 'rollup';\n`);
  const { webpack, rollup } = await fromApp<{ webpack: Webpack; rollup: Rollup }>('entries/bundlers.js');
  const entry = join(app, 'entries/bundled.js');

  // The doc's webpack config, entry and output path changed only.
  const wp = (await fromApp<{ default: { output: object } }>('bundlers/webpack.config.js')).default;
  const compiler = webpack({ ...wp, entry: { shop: entry }, output: { ...wp.output, path: join(OUT, 'webpack') } });
  const stats = await new Promise<WebpackStats>((resolve, reject) => compiler.run((err, st) => (err || !st ? reject(err ?? new Error('no stats')) : resolve(st))));
  await new Promise<void>((resolve, reject) => compiler.close((err) => (err ? reject(err) : resolve())));
  assert.equal(stats.hasErrors() || stats.hasWarnings(), false, stats.toString({ all: false, errors: true, warnings: true }));
  const webpackFiles = assertBundle('webpack', [...stats.compilation.fileDependencies]);

  // The doc's Rollup config likewise; any warning fails.
  const rc = (await fromApp<{ default: { output: object } }>('bundlers/rollup.config.js')).default;
  const warnings: string[] = [];
  const bundle = await rollup({ ...rc, input: { shop: entry }, onwarn: (w: { message: string }) => warnings.push(w.message) });
  await bundle.write({ ...rc.output, dir: join(OUT, 'rollup') });
  await bundle.close();
  assert.deepEqual(warnings, []);
  const rollupFiles = assertBundle('rollup', bundle.watchFiles);
  assert.ok(webpackFiles > 0 && rollupFiles > 0);
});
