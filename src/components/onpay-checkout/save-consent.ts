/**
 * The consent to save the card (issue 26), drawn in the order-items chunk (no bytes in the main
 * module): an unticked box «Сохранить карту для следующих оплат», or, for `save_method=required`,
 * the condition stated (its box ticked and fixed, so that the buyer sees what the payment does).
 * Shown only while the chosen way can save. The consent is kept on the payload object as `save`
 * (true or absent), which the element sends as `saveMethod` (costing the main module a few bytes).
 */
import type { TemplateResult, html as litHtml } from 'lit';
import type { FormPayload } from '../../protocol/checkout-api.ts';
import { SAVE_CONSENT_WORDS, savedCardLabel } from '../../protocol/save-consent.ts';

/**
 * What the chunk keeps on the payload object: the consent (`save`, sent as `saveMethod`), and the
 * saved card chosen (`use`, its way and id, laid over the request's body by the main module).
 */
type Kept = FormPayload & { save?: true; saveTicked?: boolean; use?: { way: string; savedMethod: string }; other?: boolean; seen?: string };

export interface SaveConsentProps {
  form: FormPayload;
  selected: string;
  html: typeof litHtml;
}

/** The box (or the stated condition) for the selected way, or '' when nothing is asked. */
export function saveConsent(p: SaveConsentProps): TemplateResult | '' {
  const { form, html } = p;
  const kept = form as Kept;
  const mode = form.saveMethod;
  if (!mode || !form.ways.find((w) => w.code === p.selected)?.canSave) {
    // Another way chosen: nothing is consented for it.
    delete kept.save;
    return '';
  }
  const words = SAVE_CONSENT_WORDS[form.ln] ?? SAVE_CONSENT_WORDS.ru;
  // A saved card chosen (savedChoice): the box is for a new card, kept but hidden, nothing consented.
  const hidden = !!kept.use;
  if (mode === 'required') {
    if (hidden) delete kept.save;
    else kept.save = true;
    return html`<p part="save" class="muted" ?hidden=${hidden}><label><input type="checkbox" name="save" checked disabled> ${words.required}</label></p>`;
  }
  if (kept.saveTicked && !hidden) kept.save = true;
  else delete kept.save;
  const change = (e: Event) => {
    kept.saveTicked = (e.target as HTMLInputElement).checked;
    if (kept.saveTicked) kept.save = true;
    else delete kept.save;
  };
  return html`<p part="save" ?hidden=${hidden}><label><input type="checkbox" name="save" .checked=${kept.saveTicked === true} @change=${change}> ${words.optional}</label></p>`;
}

/**
 * A returning customer's saved cards (issue 26), offered before the ways: «Карта •••• 4242» first and
 * chosen, and «Другой картой или способом» for the ways below. Native radios in a fieldset (keyboard
 * and screen readers for free). Choosing changes only the payload object and the consent's `hidden`
 * (the consent is for a new card), so the main module renders nothing for it.
 */
export function savedChoice(p: SaveConsentProps): TemplateResult | '' {
  const { form, html } = p;
  const kept = form as Kept;
  const list = form.savedMethods;
  if (!list?.length) return '';
  const words = SAVE_CONSENT_WORDS[form.ln] ?? SAVE_CONSENT_WORDS.ru;
  // A way chosen in the list below after the first render is the buyer choosing another way.
  if (kept.seen !== undefined && kept.seen !== p.selected) kept.other = true;
  kept.seen = p.selected;
  if (kept.other) delete kept.use;
  else kept.use ??= { way: list[0]!.way, savedMethod: list[0]!.id };
  const choose = (e: Event, m?: (typeof list)[number]) => {
    kept.other = !m;
    if (m) kept.use = { way: m.way, savedMethod: m.id };
    else delete kept.use;
    // The consent's box is for a new card: hidden while a saved one is chosen, as it was otherwise.
    const box = (e.target as Element).closest('form')?.querySelector<HTMLElement>('[part=save]');
    if (box) box.hidden = !!m;
    if (m) delete kept.save;
    else if (box && (form.saveMethod === 'required' || kept.saveTicked)) kept.save = true;
  };
  return html`<fieldset part="saved"><legend>${words.saved}</legend>${list.map((m) => html`<label><input type="radio" name="saved"
    .checked=${kept.use?.savedMethod === m.id} @change=${(e: Event) => choose(e, m)}> ${savedCardLabel(form.ln, m.last4 ?? '····')}</label><br>`)}<label><input
    type="radio" name="saved" .checked=${!kept.use} @change=${(e: Event) => choose(e)}> ${words.other}</label></fieldset>`;
}
