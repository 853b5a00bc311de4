/**
 * A lazy view's own rules, added to the element's shadow root when the view first draws: the main
 * module's stylesheet carries only what the picker needs. A constructed sheet, as Lit's own, so a
 * strict CSP's `style-src` does not apply to it. Imports nothing of the main module (the chunks that
 * use it are loaded by the classic script too).
 */
const sheets = new Map<string, CSSStyleSheet>();

/** Adopts `css` (a plain CSS text) into `root` once. */
export function adoptStyles(root: DocumentFragment, css: string): void {
  const shadow = root as ShadowRoot;
  if (!shadow.adoptedStyleSheets) return;
  let sheet = sheets.get(css);
  if (!sheet) {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    sheets.set(css, sheet);
  }
  if (!shadow.adoptedStyleSheets.includes(sheet)) shadow.adoptedStyleSheets = [...shadow.adoptedStyleSheets, sheet];
}
