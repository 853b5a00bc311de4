/**
 * The banks that take SBP payments: NSPK's published C2B members dictionary
 * (`https://qr.nspk.ru/proxyapp/c2bmembers.json`: `version`, `dictionary[]` of `bankName`, `logoURL`,
 * `schema`, `package_name`), as the repository carries it in a dated snapshot (`c2bmembers.json`
 * beside this file) and as `npm run sbp-banks -- update` refreshes it where the network allows.
 * The gateway serves it at `GET /sbp/banks.json` for the element's bank chooser.
 */
import { createHash } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** Where NSPK publishes the dictionary. */
export const NSPK_C2B_MEMBERS_URL = 'https://qr.nspk.ru/proxyapp/c2bmembers.json';
/** The committed snapshot the gateway serves. */
export const SBP_BANKS_SNAPSHOT = fileURLToPath(new URL('./c2bmembers.json', import.meta.url));
/** How long `update` waits for NSPK before giving up. */
export const SBP_BANKS_FETCH_TIMEOUT_MS = 15_000;

/** An Android application id: dotted Java identifiers. */
const ANDROID_PACKAGE = /^[A-Za-z]\w*(\.[A-Za-z_]\w*)+$/;

/**
 * One bank of the dictionary. `schema` is the bank app's URL scheme (iOS opens
 * `{schema}://qr.nspk.ru/…`); `package_name` its Android package (an intent for the NSPK link
 * names it). Fields NSPK adds that the chooser does not read are not kept.
 */
export const sbpBankSchema = z.object({
  bankName: z.string().trim().min(1).max(200),
  logoURL: z.url({ protocol: /^https$/ }).optional(),
  // NSPK's own entries carry `_` (`bank100000000030_new`), which RFC 3986 leaves out of schemes.
  schema: z.string().regex(/^[a-z][\w+.-]{0,63}$/i, 'a URL scheme'),
  // A few published entries carry a path after the package (`ru.avangard.packages/sbpent`): such a
  // one is not an Android package and could not name one in an intent, so the bank keeps no package.
  package_name: z.string().max(200).optional().transform((v) => (v && ANDROID_PACKAGE.test(v) ? v : undefined)),
});
export type SbpBank = z.infer<typeof sbpBankSchema>;

/** NSPK's dictionary as published. */
export const c2bMembersSchema = z.object({
  version: z.string().min(1).max(40),
  dictionary: z.array(sbpBankSchema).min(1).max(2000),
});
export type C2bMembers = z.infer<typeof c2bMembersSchema>;

/** The snapshot as committed: NSPK's dictionary with where and when it was taken. */
export const sbpBanksSnapshotSchema = c2bMembersSchema.extend({
  source: z.url(),
  /** The day the dictionary was taken (`YYYY-MM-DD`). */
  retrieved: z.iso.date(),
  /** How it was taken, when not straight from `source`. */
  via: z.string().optional(),
});
export type SbpBanksSnapshot = z.infer<typeof sbpBanksSnapshotSchema>;

/** A dictionary or snapshot that is not one, naming where. */
export class SbpBanksError extends Error {
  override name = 'SbpBanksError';
}

const describe = (e: z.ZodError): string => {
  const issue = e.issues[0]!;
  return `${issue.path.join('.') || 'body'}: ${issue.message}`;
};

/**
 * Checks NSPK's dictionary, dropping a bank listed twice under one scheme (the first stays).
 * @throws SbpBanksError naming the first bad field (`dictionary.3.schema: a URL scheme`)
 */
export function parseC2bMembers(json: unknown): C2bMembers {
  const r = c2bMembersSchema.safeParse(json);
  if (!r.success) throw new SbpBanksError(`not NSPK's C2B members dictionary: ${describe(r.error)}`);
  const seen = new Set<string>();
  return { version: r.data.version, dictionary: r.data.dictionary.filter((b) => !seen.has(b.schema) && !!seen.add(b.schema)) };
}

/** Reads and checks a snapshot file (the committed one by default). */
export function readSbpBanksSnapshot(path = SBP_BANKS_SNAPSHOT): SbpBanksSnapshot {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new SbpBanksError(`${path}: ${e instanceof Error ? e.message : String(e)}`);
  }
  const r = sbpBanksSnapshotSchema.safeParse(json);
  if (!r.success) throw new SbpBanksError(`${path}: ${describe(r.error)}`);
  return r.data;
}

/** `/sbp/banks.json` as served: the snapshot's bytes and their validator. */
export interface SbpBanksAsset {
  body: string;
  etag: string;
}

/**
 * The answer's bytes, made once: the snapshot as NSPK's shape with its date and source, and a
 * strong `ETag` over exactly those bytes.
 */
export function sbpBanksAsset(snapshot: SbpBanksSnapshot): SbpBanksAsset {
  const { version, dictionary, source, retrieved } = snapshot;
  const body = JSON.stringify({ version, retrieved, source, dictionary });
  return { body, etag: `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"` };
}

export interface UpdateDeps {
  fetch: typeof fetch;
  /** Today, for the snapshot's date. */
  now: () => number;
  url?: string;
  path?: string;
  timeoutMs?: number;
}

/**
 * Fetches NSPK's dictionary, checks it and writes it over the snapshot (a temporary file renamed
 * over it, so a crash leaves the old one whole). Nothing is written unless the new one checks.
 * @throws SbpBanksError when NSPK cannot be reached or answers something else
 * @example await updateSbpBanks({ fetch, now: Date.now }) // { version: '1.0', banks: 183, path }
 */
export async function updateSbpBanks(deps: UpdateDeps): Promise<{ version: string; banks: number; path: string }> {
  const url = deps.url ?? NSPK_C2B_MEMBERS_URL;
  const path = deps.path ?? SBP_BANKS_SNAPSHOT;
  let res: Response;
  try {
    res = await deps.fetch(url, { signal: AbortSignal.timeout(deps.timeoutMs ?? SBP_BANKS_FETCH_TIMEOUT_MS), headers: { accept: 'application/json' } });
  } catch (e) {
    const cause = e instanceof Error ? (e.cause instanceof Error ? e.cause.message : e.message) : String(e);
    throw new SbpBanksError(`cannot reach ${url}: ${cause}`);
  }
  if (!res.ok) throw new SbpBanksError(`${url} answered ${res.status}`);
  let json: unknown;
  try {
    json = await res.json();
  } catch {
    throw new SbpBanksError(`${url} did not answer JSON`);
  }
  const members = parseC2bMembers(json);
  const snapshot: SbpBanksSnapshot = { source: url, retrieved: new Date(deps.now()).toISOString().slice(0, 10), ...members };
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(snapshot, null, 1)}\n`);
  renameSync(tmp, path);
  return { version: members.version, banks: members.dictionary.length, path };
}
