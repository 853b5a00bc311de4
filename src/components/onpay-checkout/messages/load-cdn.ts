/**
 * The CDN builds' loader: the language chunks sit beside the script (`onpay-checkout.uk.js`), so
 * the classic script imports them (and the instructions view's chunk) from where it came from.
 */
import type { Language } from '../../../protocol/languages.ts';
import type { Messages } from './format.ts';

const BASE = (document.currentScript as HTMLScriptElement | null)?.src || (import.meta as { url?: string }).url || location.href;

const load = async <T>(name: string): Promise<T> => ((await import(/* @vite-ignore */ new URL(`onpay-checkout.${name}.js`, BASE).href)) as { default: T }).default;

export const loadMessages = (ln: Exclude<Language, 'ru'>): Promise<Messages> => load(ln);
export const loadOrderItems = (): Promise<typeof import('../order-items.ts').default> => load('order-items');
export const loadInstructions = (): Promise<typeof import('../instructions.ts').default> => load('instructions');
export const loadFailure = (): Promise<typeof import('../failure.ts').default> => load('failure');
export const loadPopup = (): Promise<typeof import('../popup.ts').default> => load('popup');
export const loadFollow = (): Promise<typeof import('../follow.ts').default> => load('follow');
export const loadHeld = (): Promise<typeof import('../held.ts').default> => load('held');
