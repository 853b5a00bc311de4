/**
 * The one rule for a buyer's e-mail (`user_email` in links and forms, `userEmail` in the JSON API
 * and the cabinet's link builder), so that every path accepts and refuses the same addresses.
 *
 * The rule is the WHATWG "valid e-mail address" of `<input type="email">` (HTML Living Standard
 * §4.10.5.1.5; zod publishes the same pattern as `z.regexes.html5Email`): what the hosted page's and
 * the element's own e-mail fields already accept in the browser. A domain in another script
 * (`почта.рф`) is checked in its ASCII (punycode) form, as browsers send it, and kept as given. The
 * length limit is the protocol's 40 characters (PROTOCOL.md, link parameters). Control characters
 * (NUL, BEL, ESC, CR, LF…) and bidirectional controls (RLO and the like) are named in the refusal,
 * since they are what a hostile buyer sends; nothing in the pattern can backtrack (bounded labels).
 *
 * Browser-safe: no Node modules (the element shares `src/protocol`).
 *
 * @example emailProblem('a\u0000b@x.ru') // 'control characters are not allowed'
 */
import { z } from 'zod';

/** The longest buyer e-mail accepted (PROTOCOL.md: `user_email` ≤ 40). */
export const MAX_BUYER_EMAIL = 40;

/** WHATWG `<input type="email">`: local part of atext and dots, domain of LDH labels of ≤ 63. */
const HTML5_EMAIL = /^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;
// eslint-disable-next-line no-control-regex -- the point: control characters are refused
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/** Bidirectional formatting (LRM, RLM, ALM, LRE…RLO, LRI…PDI) and other invisible format marks. */
const BIDI = /[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]/;
const ASCII_DOMAIN_CHARS = /^[a-zA-Z0-9.-]*$/;

/** The domain in its ASCII form (punycode for other scripts), or `undefined` if it is not a host name. */
function asciiDomain(domain: string): string | undefined {
  if (ASCII_DOMAIN_CHARS.test(domain)) return domain;
  // Characters that a URL would read as something other than the host: never part of a domain.
  if (/[\s/?#:@[\]\\%]/.test(domain)) return undefined;
  try {
    return new URL(`http://${domain}/`).hostname;
  } catch {
    return undefined;
  }
}

/**
 * What is wrong with a buyer's e-mail, or `undefined` when it is acceptable. The empty string is
 * acceptable (the field is optional everywhere).
 */
export function emailProblem(value: string): string | undefined {
  if (value === '') return undefined;
  if (value.length > MAX_BUYER_EMAIL) return `at most ${MAX_BUYER_EMAIL} characters`;
  if (CONTROL.test(value)) return 'control characters are not allowed';
  if (BIDI.test(value)) return 'bidirectional or invisible formatting characters are not allowed';
  const at = value.lastIndexOf('@');
  const domain = at > 0 ? asciiDomain(value.slice(at + 1)) : undefined;
  // A dot in the domain as well: a buyer's address has a top-level domain (`a@localhost` is not one).
  if (domain === undefined || !domain.includes('.') || !HTML5_EMAIL.test(`${value.slice(0, at)}@${domain}`)) return 'must be an e-mail address';
  return undefined;
}

/** The zod schema of an optional buyer e-mail: a string, refused with `emailProblem`'s words. */
export const buyerEmail = () => z.string().superRefine((value, ctx) => {
  const problem = emailProblem(value);
  if (problem) ctx.addIssue({ code: 'custom', message: problem });
});

/** Whether a buyer's e-mail is acceptable (`emailProblem` finds nothing). */
export const isBuyerEmail = (value: string): boolean => emailProblem(value) === undefined;
