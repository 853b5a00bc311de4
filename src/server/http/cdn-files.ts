/**
 * The element's CDN files as the build leaves them and the asset routes serve them.
 *
 * The build (vite.config.ts, after both builds) gives each entry script a copy under a name with its
 * content's hash (`onpay-checkout.3fa81c09d2.js`), served with `immutable` caching, and writes
 * `manifest.json` from each entry's plain name to its hashed one. Every script gets its brotli
 * (quality 11) and gzip (level 9) bytes beside it (`.br`, `.gz`), made once here instead of per
 * request. The plain names keep working for shops that embed them, short-cached with an `ETag`.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

/** The plain name → hashed name map the build writes beside the scripts. */
export const CDN_MANIFEST = 'manifest.json';
/** The scripts pages and shops load by name (the language chunks are imported by them). */
export const CDN_ENTRIES = ['onpay-checkout.js', 'onpay-checkout.iife.js'] as const;
/** A hashed copy's name: the plain name with ten hex digits before `.js`. */
export const HASHED_NAME = /\.[0-9a-f]{10}\.js$/;

/** The first ten hex digits of the SHA-256 of `bytes`: the hashed names' part and the ETag's. */
export const contentHash = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex').slice(0, 10);

/** `onpay-checkout.js` → `onpay-checkout.<hash>.js`. */
export const hashedName = (name: string, bytes: Uint8Array): string => name.replace(/\.js$/, `.${contentHash(bytes)}.js`);

/**
 * After the build: the entries' hashed copies, `.br` and `.gz` of every script, the manifest.
 * Returns the manifest.
 */
export function finishCdnBuild(dir: string): Record<string, string> {
  const manifest: Record<string, string> = {};
  for (const entry of CDN_ENTRIES) {
    const path = join(dir, entry);
    if (!existsSync(path)) continue;
    const bytes = readFileSync(path);
    manifest[entry] = hashedName(entry, bytes);
    writeFileSync(join(dir, manifest[entry]), bytes);
  }
  for (const name of readdirSync(dir)) {
    if (!name.endsWith('.js')) continue;
    const bytes = readFileSync(join(dir, name));
    writeFileSync(join(dir, `${name}.br`), brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length } }));
    writeFileSync(join(dir, `${name}.gz`), gzipSync(bytes, { level: 9 }));
  }
  writeFileSync(join(dir, CDN_MANIFEST), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** The manifest of a build, or `{}` when there is none (an older build, or none yet). */
export function readCdnManifest(dir: string): Record<string, string> {
  try {
    const parsed = JSON.parse(readFileSync(join(dir, CDN_MANIFEST), 'utf8')) as unknown;
    if (!parsed || typeof parsed !== 'object') return {};
    return Object.fromEntries(Object.entries(parsed).filter(([k, v]) => typeof v === 'string' && HASHED_NAME.test(v) && (CDN_ENTRIES as readonly string[]).includes(k))) as Record<string, string>;
  } catch {
    return {};
  }
}
