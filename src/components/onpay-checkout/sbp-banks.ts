/**
 * The SBP bank chooser (issue 27), a chunk of its own that the instructions view loads for an NSPK
 * QR code: a searchable list of the banks that take SBP payments, each a link that opens that bank's
 * app at the payment's NSPK link, the buyer's last bank first. It builds plain DOM into a box the
 * instructions view keeps across its renders (that view redraws every second for the countdown, and
 * the list's search, scroll and focus must survive it), and imports nothing, so the classic script
 * can load it too.
 *
 * How a bank's app is opened, as NSPK's dictionary and the providers' SDKs do it: on iOS the bank's
 * own scheme in place of `https` (`bank100000000111://qr.nspk.ru/…`); on Android the NSPK link
 * itself handed to the bank's package (an `intent:` URL naming `package_name`, NSPK's page as the
 * fallback when the app is missing). Logos are not loaded (no third-party images on a shop's page):
 * each bank has a lettered badge.
 */
import type { SbpBank } from '../../protocol/checkout-api.ts';

export interface SbpChooserOptions {
  /** The payment's NSPK link (`https://qr.nspk.ru/…`). */
  link: string;
  /** The provider's own list for this payment; absent, the gateway's (`url`). */
  banks?: readonly SbpBank[] | undefined;
  /** The element's shadow root: where its host says which gateway, and where the chooser's rules go. */
  root: DocumentFragment;
  android: boolean;
  t: { banks: string; bankSearch: string; banksFound: string };
  format(message: string, values: Record<string, string | number>): string;
  announce(text: string): void;
}

/** Where the buyer's last bank (its scheme) is kept on the device. */
export const LAST_BANK_KEY = 'onpay-sbp-bank';
/** A scheme from the dictionary: NSPK's are all `bank` and the member id; nothing else becomes a link. */
const SCHEME = /^bank\w+$/i;
const ANDROID_PACKAGE = /^[A-Za-z]\w*(\.[A-Za-z_]\w*)+$/;
const NSPK_LINK = /^https:\/\/qr\.nspk\.ru\//;

/**
 * The link that opens `bank`'s app at the payment, or the NSPK link itself when the bank gives no
 * way to name its app on this platform.
 * @example bankLink({ schema: 'bank100000000111', … }, 'https://qr.nspk.ru/AS1…', false) // 'bank100000000111://qr.nspk.ru/AS1…'
 */
export function bankLink(bank: SbpBank, link: string, android: boolean): string {
  const rest = link.replace(NSPK_LINK, '');
  if (android) {
    // An intent's fields follow the `#`: a link carrying one of its own could not be framed in it.
    return bank.package_name && ANDROID_PACKAGE.test(bank.package_name) && !rest.includes('#')
      ? `intent://qr.nspk.ru/${rest}#Intent;scheme=https;package=${bank.package_name};S.browser_fallback_url=${encodeURIComponent(link)};end`
      : link;
  }
  return `${bank.schema}://qr.nspk.ru/${rest}`;
}

const LATIN: Record<string, string> = {
  а: 'a', б: 'b', в: 'v', г: 'g', д: 'd', е: 'e', ж: 'zh', з: 'z', и: 'i', й: 'i', к: 'k', л: 'l', м: 'm', н: 'n', о: 'o', п: 'p', р: 'r',
  с: 's', т: 't', у: 'u', ф: 'f', х: 'h', ц: 'ts', ч: 'ch', ш: 'sh', щ: 'sch', ъ: '', ы: 'y', ь: '', э: 'e', ю: 'yu', я: 'ya',
};
/** Lower case, `ё` as `е`, letters and digits only: «Альфа-Банк» and «альфа банк» are one. */
const norm = (s: string): string => s.toLowerCase().replace(/ё/g, 'е').replace(/[^\p{L}\p{N}]+/gu, '');

/**
 * What a query is matched against: the name, the name in Latin letters («Тинькофф» as `tinkoff`)
 * and the Android package (`ru.raiffeisennews` for «Райффайзен»).
 */
export function searchText(bank: SbpBank): string {
  const name = norm(bank.bankName);
  return `${name} ${name.replace(/[а-я]/g, (c) => LATIN[c] ?? c)} ${norm(bank.package_name ?? '')}`;
}

/** Whether `bank` answers `query` (part of its name, in Russian or Latin letters). */
export const matchesBank = (bank: SbpBank, query: string): boolean => searchText(bank).includes(norm(query));

/** A few dark colours for the badges, each with white text above 4.5:1. */
const BADGE = ['#0057b8', '#6a1b9a', '#0a6b3d', '#a3320b', '#5c4400', '#1f4e79', '#8b1a4a'];

const STYLE = `.banks ul{list-style:none;margin:.5rem 0;padding:0;max-block-size:19rem;overflow:auto;border:1px solid var(--_border);border-radius:.5rem}
.banks li+li{border-block-start:1px solid var(--_border)}
.banks a{display:flex;gap:.75rem;align-items:center;min-block-size:2.75rem;padding:.4rem .8rem;color:inherit;text-decoration:none}
.banks a:focus-visible{outline:2px solid var(--_accent);outline-offset:-2px}
.banks .logo{flex:none;display:inline-grid;place-items:center;inline-size:2rem;block-size:2rem;border-radius:50%;color:#fff;font-weight:600}
.fold summary{cursor:pointer;padding:.5rem 0;color:var(--_accent)}
.fold summary:focus-visible{outline:2px solid var(--_accent)}
.fold .banks>p:first-child{display:none}`;

/**
 * The gateway's `/sbp/banks.json`, found as the element finds its gateway: the `gateway` attribute,
 * else the origin of `href`, else where this script came from (the gateway's CDN), else the page's.
 */
export function banksUrl(root: DocumentFragment): string {
  const host = (root as ShadowRoot).host as Element | undefined;
  const href = host?.getAttribute('href');
  const own = (import.meta as { url?: string }).url ?? '';
  const gateway = host?.getAttribute('gateway') ?? (href ? new URL(href, location.href).origin : new URL(/^https?:/.test(own) ? own : location.href).origin);
  return `${gateway.replace(/\/+$/, '')}/sbp/banks.json`;
}

let sheet: CSSStyleSheet | undefined;
/** The chooser's rules, adopted into the element's shadow root once (no inline style: strict CSP holds). */
function adoptStyle(root: Node): void {
  if (!(root instanceof ShadowRoot) || typeof CSSStyleSheet !== 'function') return;
  if (!sheet) {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(STYLE);
  }
  if (!root.adoptedStyleSheets.includes(sheet)) root.adoptedStyleSheets = [...root.adoptedStyleSheets, sheet];
}

const lists = new Map<string, Promise<SbpBank[]>>();
/** The gateway's list, fetched once per page (and cached by the browser for its max-age). */
function gatewayBanks(url: string): Promise<SbpBank[]> {
  let list = lists.get(url);
  if (!list) {
    list = fetch(url).then(async (r) => {
      if (!r.ok) throw new Error(`${r.status}`);
      return ((await r.json()) as { dictionary: SbpBank[] }).dictionary;
    });
    list.catch(() => lists.delete(url));
    lists.set(url, list);
  }
  return list;
}

function lastBank(): string | null {
  try {
    return localStorage.getItem(LAST_BANK_KEY);
  } catch {
    // Storage off (a sandboxed frame, a private mode): nothing remembered.
    return null;
  }
}

function remember(schema: string): void {
  try {
    localStorage.setItem(LAST_BANK_KEY, schema);
  } catch {
    // As above: the chooser works, only without memory.
  }
}

const el = <K extends keyof HTMLElementTagNameMap>(tag: K, props: Partial<HTMLElementTagNameMap[K]> = {}, ...children: Node[]): HTMLElementTagNameMap[K] => {
  const e = Object.assign(document.createElement(tag), props);
  e.append(...children);
  return e;
};

/** The usable banks of a list, the buyer's last one first (the others keep the list's order). */
export function orderBanks(banks: readonly SbpBank[], last: string | null): SbpBank[] {
  const usable = banks.filter((b) => typeof b?.bankName === 'string' && b.bankName.trim() && typeof b.schema === 'string' && SCHEME.test(b.schema));
  const i = usable.findIndex((b) => b.schema === last);
  return i > 0 ? [usable[i]!, ...usable.slice(0, i), ...usable.slice(i + 1)] : usable;
}

/**
 * Fills `box` with the chooser: a search field over the list of banks, each a link to its app. A
 * link that is not NSPK's, or no list to be had, hides the box (the QR code and NSPK's own link stay).
 */
export default async function fillChooser(box: HTMLElement, o: SbpChooserOptions): Promise<void> {
  // Hidden with the desktop's fold around it, which would otherwise open on nothing.
  const hide = () => {
    box.hidden = true;
    const fold = box.closest('details');
    if (fold) fold.hidden = true;
  };
  if (!NSPK_LINK.test(o.link)) {
    hide();
    return;
  }
  let banks: SbpBank[];
  try {
    banks = orderBanks(o.banks?.length ? o.banks : await gatewayBanks(banksUrl(o.root)), lastBank());
  } catch {
    banks = [];
  }
  if (!banks.length) {
    hide();
    return;
  }
  adoptStyle(o.root);
  const items = banks.map((bank) => {
    const a = el('a', { href: bankLink(bank, o.link, o.android) },
      el('span', { className: 'logo', textContent: bank.bankName.trim()[0]!.toUpperCase() }),
      el('span', { textContent: bank.bankName }));
    a.setAttribute('part', 'bank');
    a.dataset.schema = bank.schema;
    a.firstElementChild!.setAttribute('aria-hidden', 'true');
    let h = 0;
    for (const c of bank.schema) h = (h * 31 + c.charCodeAt(0)) | 0;
    // Through the CSSOM, which a strict style-src allows (a style attribute it would refuse).
    (a.firstElementChild as HTMLElement).style.background = BADGE[Math.abs(h) % BADGE.length]!;
    a.addEventListener('click', () => remember(bank.schema));
    return { bank, li: el('li', {}, a), text: searchText(bank) };
  });
  const list = el('ul', { id: 'sbp-banks' }, ...items.map((i) => i.li));
  list.setAttribute('aria-labelledby', 'sbp-banks-title');
  list.setAttribute('part', 'bank-list');
  const none = el('p', { className: 'muted', hidden: true, textContent: o.format(o.t.banksFound, { count: 0 }) });
  const search = el('input', { id: 'sbp-search', type: 'search', autocomplete: 'off' });
  search.setAttribute('aria-controls', 'sbp-banks');
  search.addEventListener('input', () => {
    const q = norm(search.value);
    let count = 0;
    for (const i of items) {
      i.li.hidden = !i.text.includes(q);
      if (!i.li.hidden) count++;
    }
    none.hidden = count > 0;
    o.announce(o.format(o.t.banksFound, { count }));
  });
  box.replaceChildren(
    el('p', { id: 'sbp-banks-title' }, el('strong', { textContent: o.t.banks })),
    el('label', { htmlFor: 'sbp-search', textContent: o.t.bankSearch }), search, list, none,
  );
}
