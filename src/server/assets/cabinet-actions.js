// Small things around the cabinet's actions (issue 28 item 5): a confirmation dialog before a refund,
// a manual status change and a key rotation; copy buttons with a visible and announced "copied";
// the payment link's QR code, drawn as SVG from the QR library's matrix (no markup from strings).
import { encode } from '/assets/vendor/uqr.js';

const $ = (id) => document.getElementById(id);

/**
 * Asks `text` in the page's modal dialog; resolves true only for the confirm button. Esc and the
 * cancel button resolve false; focus goes back to what had it.
 */
export function confirmAction(text) {
  const dialog = $('confirm');
  const back = document.activeElement;
  $('confirm-text').textContent = text;
  dialog.returnValue = '';
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      if (back instanceof HTMLElement) back.focus();
      resolve(dialog.returnValue === 'ok');
    }, { once: true });
    dialog.showModal();
    // The safe choice first: Enter on a dialog opened by mistake cancels.
    $('confirm-cancel').focus();
  });
}

/** Copy buttons: `data-copy` names the field whose text is copied; `say` announces the outcome. */
export function wireCopyButtons(root, S, say, complain) {
  for (const button of root.querySelectorAll('button[data-copy]')) {
    const label = button.textContent;
    button.addEventListener('click', async () => {
      const field = $(button.dataset.copy);
      try {
        await navigator.clipboard.writeText(field.value);
      } catch {
        field.select();
        complain(S.copyFailed);
        return;
      }
      // Visible on the button for a moment, and said in the live region.
      button.textContent = `✓ ${S.copied}`;
      button.classList.add('done');
      say(S.copied);
      setTimeout(() => {
        button.textContent = label;
        button.classList.remove('done');
      }, 2000);
    });
  }
}

const SVG = 'http://www.w3.org/2000/svg';

/** `text` as a QR code: one SVG path of dark modules with a quiet zone, scaled by CSS. */
export function qrSvg(text) {
  const { data, size } = encode(text, { ecc: 'M', border: 4 });
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', `0 0 ${size} ${size}`);
  svg.setAttribute('shape-rendering', 'crispEdges');
  svg.setAttribute('aria-hidden', 'true');
  const bg = document.createElementNS(SVG, 'rect');
  bg.setAttribute('width', String(size));
  bg.setAttribute('height', String(size));
  bg.setAttribute('fill', '#fff');
  let d = '';
  data.forEach((row, y) => row.forEach((dark, x) => {
    if (dark) d += `M${x} ${y}h1v1h-1z`;
  }));
  const path = document.createElementNS(SVG, 'path');
  path.setAttribute('d', d);
  path.setAttribute('fill', '#000');
  svg.append(bg, path);
  return svg;
}
