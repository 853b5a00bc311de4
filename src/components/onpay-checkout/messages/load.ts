/**
 * The languages other than Russian, each its own chunk, loaded only when asked for, and the
 * instructions view's chunk. (The CDN's
 * classic script cannot split: vite.config.ts swaps this file for load-cdn.ts there.)
 */
import type { Language } from '../../../protocol/languages.ts';
import type { Messages } from './format.ts';

const LOADERS: Record<Exclude<Language, 'ru'>, () => Promise<{ default: Messages }>> = {
  en: () => import('./en.ts'),
  uk: () => import('./uk.ts'),
  kk: () => import('./kk.ts'),
  be: () => import('./be.ts'),
  uz: () => import('./uz.ts'),
  de: () => import('./de.ts'),
};

export const loadMessages = async (ln: Exclude<Language, 'ru'>): Promise<Messages> => (await LOADERS[ln]()).default;

/** The order's lines («Состав заказа»), a chunk of their own. */
export const loadOrderItems = async (): Promise<typeof import('../order-items.ts').default> => (await import('../order-items.ts')).default;

/** The instructions view's chunk. */
export const loadInstructions = async (): Promise<typeof import('../instructions.ts').default> => (await import('../instructions.ts')).default;

/** The failure view's chunk. */
export const loadFailure = async (): Promise<typeof import('../failure.ts').default> => (await import('../failure.ts')).default;

/** The payment system's page (the overlay, the popup's actions): loaded once the picker is on show. */
export const loadPopup = async (): Promise<typeof import('../popup.ts').default> => (await import('../popup.ts')).default;

/** Following a payment's status live: asked for once the picker is on show. */
export const loadFollow = async (): Promise<typeof import('../follow.ts').default> => (await import('../follow.ts')).default;

/** The hold's message in every language (issue 25), a chunk of its own. */
export const loadHeld = async (): Promise<typeof import('../held.ts').default> => (await import('../held.ts')).default;
