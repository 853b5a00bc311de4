/**
 * The consent to save the card (issue 26), drawn in the order-items chunk (no bytes in the main
 * module): an unticked box «Сохранить карту для следующих оплат», or, for `save_method=required`,
 * the condition stated (its box ticked and fixed, so that the buyer sees what the payment does).
 * Shown only while the chosen way can save. The consent is kept on the payload object as `save`
 * (true or absent), which the element sends as `saveMethod` (costing the main module a few bytes).
 */
import type { TemplateResult, html as litHtml } from 'lit';
import type { FormPayload } from '../../protocol/checkout-api.ts';
import { SAVE_CONSENT_WORDS } from '../../protocol/save-consent.ts';

export interface SaveConsentProps {
  form: FormPayload;
  selected: string;
  html: typeof litHtml;
}

/** The box (or the stated condition) for the selected way, or '' when nothing is asked. */
export function saveConsent(p: SaveConsentProps): TemplateResult | '' {
  const { form, html } = p;
  const kept = form as FormPayload & { save?: true; saveTicked?: boolean };
  const mode = form.saveMethod;
  if (!mode || !form.ways.find((w) => w.code === p.selected)?.canSave) {
    // Another way chosen: nothing is consented for it.
    delete kept.save;
    return '';
  }
  const words = SAVE_CONSENT_WORDS[form.ln] ?? SAVE_CONSENT_WORDS.ru;
  if (mode === 'required') {
    kept.save = true;
    return html`<p part="save" class="muted"><label><input type="checkbox" name="save" checked disabled> ${words.required}</label></p>`;
  }
  if (kept.saveTicked) kept.save = true;
  else delete kept.save;
  const change = (e: Event) => {
    kept.saveTicked = (e.target as HTMLInputElement).checked;
    if (kept.saveTicked) kept.save = true;
    else delete kept.save;
  };
  return html`<p part="save"><label><input type="checkbox" name="save" .checked=${kept.saveTicked === true} @change=${change}> ${words.optional}</label></p>`;
}
