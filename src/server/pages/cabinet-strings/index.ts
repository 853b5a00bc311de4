/**
 * The cabinet's one message table: a file per language, each with exactly ru's keys. The page
 * renders `page` into the shell and hands `script` to the browser script in `data-strings`.
 */
import { en } from './en.ts';
import { ru, type CabinetMessages } from './ru.ts';

export type { CabinetMessages } from './ru.ts';

/** Every language the cabinet speaks, by its code. */
export const CABINET_MESSAGES = { ru, en } satisfies Record<string, CabinetMessages>;
export type CabinetLanguage = keyof typeof CABINET_MESSAGES;
