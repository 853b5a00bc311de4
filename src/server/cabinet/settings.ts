/**
 * The merchant's settings in the cabinet (issue 14 §7): API URL, API type and method, notifications
 * on or off, allowed origins, notify style and what duplicates of a paid order get — every change audited with what it was and what it
 * became — and the two rotations: the cabinet key (a new key shown once; the old one and every
 * other page session stop at once) and K (the new K signs at once; the previous one is still
 * accepted in verifying the merchant's answers for the grace period chosen, see secret-grace.ts).
 *
 * @example await updateSettings(deps, merchant, { apiUrl: 'https://shop.example/onpay' }, 'Анна');
 */
import { randomBytes } from 'node:crypto';
import { hashApiKey } from '../token.ts';
import { GatewayError } from '../errors.ts';
import type { MerchantAuditEntry, MerchantSettingsPatch } from '../storage/cabinet-storage.ts';
import type { Storage } from '../storage/storage.ts';
import type { DuplicatePolicy, Merchant, NotifyStyle } from '../types.ts';
import type { ReceiptSettings } from '../../protocol/receipt.ts';
import type { MerchantText } from '../../protocol/languages.ts';

export interface SettingsDeps {
  storage: Storage;
  now: () => number;
  /** Random bytes (injected for tests). */
  random?: (n: number) => Buffer;
}

export interface SettingsView {
  login: string;
  /** As configured: one string, or `{"ru": …, "kk": …}`. */
  name: MerchantText;
  notifications: boolean;
  apiUrl: string | null;
  apiType: 1 | 2;
  apiMethod: 'POST' | 'GET';
  notifyStyle: NotifyStyle;
  origins: string[];
  checkLinkMd5: boolean;
  /** What a duplicate payment of a paid order gets: `flag` (the default) or `refund`. */
  duplicates: DuplicatePolicy;
  /** The fiscal receipts' settings (issue 24), or null when off. */
  receipts: ReceiptSettings | null;
  /** Until when the previous K is still accepted in verifying answers; null when no grace runs. */
  previousSecretUntil: string | null;
  audit: { at: string; actor: string; action: string; details: Record<string, unknown> }[];
}

/** The longest grace period of a K rotation. */
export const MAX_GRACE_HOURS = 720;
const AUDIT_SHOWN = 50;

const actorOf = (m: Merchant, actor: string | undefined): string => (actor ? `${m.login} (${actor})` : m.login);

export async function settingsView(deps: SettingsDeps, m: Merchant): Promise<SettingsView> {
  const audit: MerchantAuditEntry[] = await deps.storage.merchantAuditOf(m.login, AUDIT_SHOWN);
  const grace = m.previousSecret && m.previousSecret.until > deps.now() ? m.previousSecret.until : null;
  return {
    login: m.login, name: m.name, notifications: m.notifications, apiUrl: m.apiUrl, apiType: m.apiType, apiMethod: m.apiMethod,
    notifyStyle: m.notifyStyle, origins: m.origins, checkLinkMd5: m.checkLinkMd5, duplicates: m.duplicates ?? 'flag', receipts: m.receipts ?? null,
    previousSecretUntil: grace === null ? null : new Date(grace).toISOString(),
    audit: audit.map((a) => ({ ...a, at: new Date(a.at).toISOString() })),
  };
}

/** Applies a settings change and answers the settings as they are now. */
export async function changeSettings(deps: SettingsDeps, m: Merchant, patch: MerchantSettingsPatch, actor?: string): Promise<SettingsView> {
  await updateSettings(deps, m, patch, actor);
  return settingsView(deps, (await deps.storage.getMerchant(m.login)) ?? m);
}

/** Applies a settings change; the audit line holds each changed field's old and new value. */
export async function updateSettings(deps: SettingsDeps, m: Merchant, patch: MerchantSettingsPatch, actor?: string): Promise<void> {
  if (patch.notifications === true && (patch.apiUrl === null || (patch.apiUrl === undefined && !m.apiUrl))) {
    throw new GatewayError(400, 'invalid_body', 'apiUrl: notifications need an API URL', 'apiUrl');
  }
  const before: Record<string, unknown> = { notifications: m.notifications, apiUrl: m.apiUrl, apiType: m.apiType, apiMethod: m.apiMethod, notifyStyle: m.notifyStyle, origins: m.origins, duplicates: m.duplicates ?? 'flag', receipts: m.receipts ?? null };
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const [k, v] of Object.entries(patch)) {
    if (v !== undefined && JSON.stringify(before[k]) !== JSON.stringify(v)) changes[k] = { from: before[k], to: v };
  }
  if (Object.keys(changes).length === 0) return;
  await deps.storage.updateMerchantSettings(m.login, patch, { at: deps.now(), actor: actorOf(m, actor), action: 'settings', details: changes });
}

const random = (deps: SettingsDeps, n: number): Buffer => (deps.random ?? randomBytes)(n);

/** A new cabinet key, returned this once; only its hash is kept. Other page sessions end. */
export async function rotateCabinetKey(deps: SettingsDeps, m: Merchant, opts: { actor?: string | undefined; keepSession?: string | undefined }): Promise<{ apiKey: string }> {
  const apiKey = `ck_${random(deps, 32).toString('base64url')}`;
  await deps.storage.rotateMerchantApiKey(m.login, hashApiKey(apiKey), { at: deps.now(), actor: actorOf(m, opts.actor), action: 'rotate_cabinet_key', details: {} }, opts.keepSession);
  return { apiKey };
}

/** A new K, returned this once; the previous K verifies answers for `graceHours` more. */
export async function rotateSecret(deps: SettingsDeps, m: Merchant, opts: { graceHours: number; actor?: string | undefined }): Promise<{ secret: string; previousSecretUntil: string | null }> {
  if (!Number.isInteger(opts.graceHours) || opts.graceHours < 0 || opts.graceHours > MAX_GRACE_HOURS) {
    throw new GatewayError(400, 'invalid_body', `graceHours: must be a whole number from 0 to ${MAX_GRACE_HOURS}`, 'graceHours');
  }
  const secret = random(deps, 24).toString('base64url');
  const now = deps.now();
  const until = now + opts.graceHours * 3_600_000;
  await deps.storage.rotateMerchantSecret(m.login, secret, until, { at: now, actor: actorOf(m, opts.actor), action: 'rotate_secret', details: { graceHours: opts.graceHours } });
  return { secret, previousSecretUntil: opts.graceHours === 0 ? null : new Date(until).toISOString() };
}
