import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LANGUAGES } from './languages.ts';
import { consentText, SAVE_CONSENT_WORDS, savedCardLabel } from './save-consent.ts';

test('the consent\'s words are in every language, translated, the card label with its digits', () => {
  for (const ln of LANGUAGES) {
    const w = SAVE_CONSENT_WORDS[ln];
    for (const key of ['optional', 'required', 'card', 'saved', 'other'] as const) {
      assert.ok(w[key].trim().length > 0, `${ln}.${key}`);
      if (ln !== 'en') assert.notEqual(w[key], SAVE_CONSENT_WORDS.en[key], `${ln}.${key} is not English copied`);
    }
    assert.notEqual(w.optional, w.required, ln);
    assert.match(savedCardLabel(ln, '4242'), /•••• 4242$/, ln);
  }
  assert.equal(consentText('ru', 'optional'), 'Сохранить карту для следующих оплат');
  assert.equal(savedCardLabel('ru', '4242'), 'Карта •••• 4242');
});
