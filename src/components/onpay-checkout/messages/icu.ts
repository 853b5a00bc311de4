/** ICU-style messages, for the lazy views that fill placeholders (the picker has none to fill). */

/**
 * Formats an ICU-style message: `{name}` is replaced by the value, and
 * `{count, plural, =0 {…} one {…} few {…} other {…}}` picks the form `Intl.PluralRules` chooses for
 * the language (an exact `=n` first), `#` standing for the number in the language's digits.
 */
export function format(message: string, ln: string, values: Record<string, string | number> = {}): string {
  return message
    .replace(/\{(\w+), plural,((?:[^{}]|\{[^{}]*\})*)\}/g, (_m, key: string, body: string) => {
      const n = Number(values[key]);
      const forms: Record<string, string> = {};
      body.replace(/(=?\w+)\s*\{([^{}]*)\}/g, (_f, form: string, text: string) => (forms[form] = text));
      return (forms[`=${n}`] ?? forms[new Intl.PluralRules(ln).select(n)] ?? forms.other ?? '').replace(/#/g, new Intl.NumberFormat(ln).format(n));
    })
    .replace(/\{(\w+)\}/g, (m, key: string) => (key in values ? String(values[key]) : m));
}
