/**
 * The cabinet's one message table: a file per language, each with exactly ru's keys. The page
 * renders `page` into the shell and hands `script` to the browser script in `data-strings`.
 */
import type { Language } from '../../../protocol/languages.ts';
import { be } from './be.ts';
import { de } from './de.ts';
import { en } from './en.ts';
import { kk } from './kk.ts';
import { ru, type CabinetMessages } from './ru.ts';
import { uk } from './uk.ts';
import { uz } from './uz.ts';

export type { CabinetMessages } from './ru.ts';

/** Every language the cabinet speaks, by its code. */
export const CABINET_MESSAGES: Record<Language, CabinetMessages> = { ru, en, uk, kk, be, uz, de };
export type CabinetLanguage = Language;
