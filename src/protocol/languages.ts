/**
 * The languages the gateway and the element speak, and the rule for any other `ln`: the element,
 * the hosted page, the HTML snippet and the sandbox pages all resolve `ln` with `resolveLanguage`.
 *
 * The rule (written down in docs/ELEMENT.md): `ln` is read as a BCP 47 tag, case-insensitive, and
 * only its language part counts (`uk-UA` is `uk`). A language we speak is used as is. A language
 * of the former Soviet Union we do not speak (Armenian, Azerbaijani, Georgian, Kyrgyz, Tajik,
 * Turkmen, Romanian of Moldova as `mo`, the Baltic ones, and Russia's own: Tatar, Bashkir, Chuvash,
 * Yakut, Ossetian, Chechen, Abkhaz) falls back to Russian, which their speakers read far more often
 * than English. Anything else falls back to English. No `ln` at all is Russian, as in Onpay.
 */
export const LANGUAGES = ['ru', 'en', 'uk', 'kk', 'be', 'uz', 'de'] as const;
export type Language = (typeof LANGUAGES)[number];

const RUSSIAN_FALLBACK = ['hy', 'az', 'ka', 'ky', 'tg', 'tk', 'mo', 'lv', 'lt', 'et', 'tt', 'ba', 'cv', 'sah', 'os', 'ce', 'ab'];

/**
 * For what the gateway's configuration writes in Russian and English only (payment-system titles,
 * the sandbox's labels): English for `en` and `de`, Russian for the others.
 */
export const baseLanguage = (ln: Language): 'ru' | 'en' => (ln === 'en' || ln === 'de' ? 'en' : 'ru');

export function resolveLanguage(ln: string | null | undefined): Language {
  if (!ln) return 'ru';
  const base = ln.trim().toLowerCase().split(/[-_]/)[0] ?? '';
  if ((LANGUAGES as readonly string[]).includes(base)) return base as Language;
  return RUSSIAN_FALLBACK.includes(base) ? 'ru' : 'en';
}

/** A text the configuration or the merchant gives in some of the languages: `{"ru": …, "kk": …}`. */
export type LocalizedText = Partial<Record<Language, string>>;

/**
 * The text of a way's title (or any merchant text given per language) for a buyer's language. The
 * rule, written down in docs/CONFIGURATION.md: the language itself; else the language its readers
 * read best as `resolveLanguage` and `baseLanguage` reason (Russian for uk, kk, be and uz, English
 * for en and de); else the other of the two (English, then Russian); else any text given.
 * @example wayTitle({ ru: 'Карта', kk: 'Карта (kk)' }, 'kk') // 'Карта (kk)'
 * @example wayTitle({ ru: 'Карта', en: 'Card' }, 'uz') // 'Карта'
 */
export function wayTitle(text: LocalizedText, ln: Language): string {
  const base = baseLanguage(ln);
  return text[ln] ?? text[base] ?? text[base === 'ru' ? 'en' : 'ru'] ?? Object.values(text).find(Boolean) ?? '';
}

/**
 * A text the merchant writes for its buyers (its `name`): one string for every language, as in
 * Onpay, or `{"ru": …, "kk": …}` in any supported languages.
 */
export type MerchantText = string | LocalizedText;

/**
 * A merchant's text for a buyer's language: a plain string as is, per-language texts by `wayTitle`'s
 * rule (documented in docs/CONFIGURATION.md).
 * @example merchantText({ ru: 'Магазин', kk: 'Дүкен' }, 'kk') // 'Дүкен'
 */
export const merchantText = (text: MerchantText, ln: Language): string => (typeof text === 'string' ? text : wayTitle(text, ln));
