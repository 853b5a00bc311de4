import { css } from 'lit';

// (Logical properties only, inline / block rather than left / right: a dir="rtl" page gets the mirror.
// overflow-wrap on the host: a long order id or URL in a merchant string must not widen the form
// past a 320 px screen. No comments inside the css block: it ships as written.)
export const styles = css`
  :host {
    --_accent: var(--onpay-accent, #0057b8);
    --_bg: var(--onpay-background, #fff);
    --_fg: var(--onpay-color, #1b1b1f);
    --_muted: var(--onpay-muted, #5c5f66);
    --_border: var(--onpay-border, #c9ccd3);
    --_danger: var(--onpay-danger, #b00020);
    --_ok: var(--onpay-success, #0a7d32);
    display: block;
    box-sizing: border-box;
    min-width: 280px;
    max-width: var(--onpay-max-width, 32rem);
    min-height: var(--onpay-min-height, 18rem);
    padding: 1rem;
    border: 1px solid var(--_border);
    border-radius: var(--onpay-radius, 0.75rem);
    background: var(--_bg);
    color: var(--_fg);
    font: var(--onpay-font, 1rem/1.45 system-ui, sans-serif);
    overflow-wrap: anywhere;
  }
  @media (prefers-color-scheme: dark) {
    :host(:not([theme='light'])) {
      --_bg: var(--onpay-background, #1d1f24);
      --_fg: var(--onpay-color, #eceef2);
      --_muted: var(--onpay-muted, #aeb2bb);
      --_border: var(--onpay-border, #454a54);
      --_accent: var(--onpay-accent, #6aa8ff);
      --_danger: var(--onpay-danger, #ff8a8a);
      --_ok: var(--onpay-success, #6fdc8c);
      --_on-accent: #10131a;
    }
  }
  :host([theme='dark']) {
    --_bg: var(--onpay-background, #1d1f24);
    --_fg: var(--onpay-color, #eceef2);
    --_muted: var(--onpay-muted, #aeb2bb);
    --_border: var(--onpay-border, #454a54);
    --_accent: var(--onpay-accent, #6aa8ff);
    --_danger: var(--onpay-danger, #ff8a8a);
    --_ok: var(--onpay-success, #6fdc8c);
    --_on-accent: #10131a;
  }
  *, *::before, *::after { box-sizing: inherit; }
  h2 { font-size: 1.15rem; margin: 0 0 0.75rem; }
  h2:focus { outline: none; }
  p { margin: 0.5rem 0; }
  .muted { color: var(--_muted); }
  .error, [role='alert'] { color: var(--_danger); }
  .ok { color: var(--_ok); }
  [role='radiogroup'] { display: grid; gap: 0.5rem; margin: 0.75rem 0; }
  [role='radio'] {
    display: flex; justify-content: space-between; gap: 1rem; align-items: center;
    padding: 0.65rem 0.8rem; border: 1px solid var(--_border); border-radius: 0.5rem; cursor: pointer;
  }
  [role='radio']::before { content: ''; flex: none; inline-size: 1rem; block-size: 1rem; border: 2px solid var(--_border); border-radius: 50%; }
  [role='radio'][aria-checked='true'] { border-color: var(--_accent); box-shadow: inset 0 0 0 2px var(--_accent); background: color-mix(in srgb, var(--_accent) 10%, transparent); font-weight: 600; }
  [role='radio'][aria-checked='true']::before { border: 5px solid var(--_accent); }
  .title { flex: 1; }
  small { display: block; font-weight: 400; font-size: 0.85rem; }
  [role='radio']:focus-visible, button:focus-visible, input:focus-visible { outline: 2px solid var(--_accent); outline-offset: 2px; }
  .amount { font-weight: 600; white-space: nowrap; }
  label { display: block; margin: 0.5rem 0 0.25rem; }
  input { font: inherit; width: 100%; padding: 0.5rem; border: 1px solid var(--_border); border-radius: 0.4rem; background: transparent; color: inherit; }
  button {
    font: inherit; cursor: pointer; padding: 0.6rem 1.2rem; border-radius: 0.5rem;
    border: 1px solid var(--_accent); background: var(--_accent); color: var(--_on-accent, #fff);
  }
  button.secondary { background: transparent; color: inherit; border-color: var(--_border); }
  button[disabled] { opacity: 0.6; cursor: progress; }
  .actions { display: flex; flex-wrap: wrap; gap: 0.5rem; margin-block-start: 1rem; }
  .badge { display: inline-block; margin: 0 0 0.5rem; padding: 0.1rem 0.5rem; border-radius: 0.4rem; background: #ffe08a; color: #3d2e00; font-size: 0.85rem; }
  .sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;
