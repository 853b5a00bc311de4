/**
 * The element's CDN size against its budget: 14 KB gzipped for the module, Lit included.
 * Run after `npm run build`: `npm run bench:size`. Exits 1 when over budget (npm test runs it).
 */
import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';

const BUDGET_GZIP_BYTES = 14 * 1024;
let over = false;
for (const file of ['dist/cdn/onpay-checkout.js', 'dist/cdn/onpay-checkout.iife.js']) {
  let raw: Buffer;
  try {
    raw = readFileSync(file);
  } catch {
    console.error(`size: ${file} is missing; run npm run build first`);
    process.exit(1);
  }
  const gz = gzipSync(raw, { level: 9 }).length;
  const ratio = gz / BUDGET_GZIP_BYTES;
  console.log(`${file}: ${raw.length} bytes, ${gz} bytes gzipped = ${(ratio * 100).toFixed(1)} % of the ${BUDGET_GZIP_BYTES}-byte budget ${ratio <= 1 ? 'PASS' : 'OVER'}`);
  if (ratio > 1) over = true;
}
process.exit(over ? 1 : 0);
