/**
 * The element's CDN size against its budget: 14 KB gzipped for the module, Lit included (and the
 * classic script likewise), with each language chunk printed beside them (loaded only for its `ln`).
 * Run after `npm run build`: `npm run bench:size`. Exits 1 when over budget (npm test runs it).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const BUDGET_GZIP_BYTES = 14 * 1024;
const DIR = 'dist/cdn';
const MAIN = ['onpay-checkout.js', 'onpay-checkout.iife.js'];
let over = false;
let chunks: string[];
try {
  // The entries' content-hashed copies are the same bytes as the entries (src/server/http/cdn-files.ts).
  chunks = readdirSync(DIR).filter((f) => f.endsWith('.js') && !MAIN.includes(f) && !/\.[0-9a-f]{10}\.js$/.test(f)).sort();
} catch {
  chunks = [];
}
for (const name of [...MAIN, ...chunks]) {
  const file = `${DIR}/${name}`;
  let raw: Buffer;
  try {
    raw = readFileSync(file);
  } catch {
    console.error(`size: ${file} is missing; run npm run build first`);
    process.exit(1);
  }
  const gz = gzipSync(raw, { level: 9 }).length;
  if (!MAIN.includes(name)) {
    console.log(`${file}: ${raw.length} bytes, ${gz} bytes gzipped (a chunk, loaded when asked for)`);
    continue;
  }
  const ratio = gz / BUDGET_GZIP_BYTES;
  console.log(`${file}: ${raw.length} bytes, ${gz} bytes gzipped = ${(ratio * 100).toFixed(1)} % of the ${BUDGET_GZIP_BYTES}-byte budget ${ratio <= 1 ? 'PASS' : 'OVER'}`);
  if (ratio > 1) over = true;
}
process.exit(over ? 1 : 0);
