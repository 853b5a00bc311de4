import { test } from 'node:test';
import assert from 'node:assert/strict';
import { wayTitle } from './languages.ts';

test('a way title falls back by the documented rule: the language, then ru (uk, kk, be, uz) or en (en, de), then the other, then any', () => {
  const table: [Parameters<typeof wayTitle>[0], Parameters<typeof wayTitle>[1], string][] = [
    [{ ru: 'Карта', kk: 'Карта (kk)' }, 'kk', 'Карта (kk)'],
    [{ ru: 'Карта', en: 'Card' }, 'kk', 'Карта'],
    [{ ru: 'Карта', en: 'Card' }, 'uz', 'Карта'],
    [{ ru: 'Карта', en: 'Card' }, 'de', 'Card'],
    [{ ru: 'Карта', en: 'Card', de: 'Karte' }, 'de', 'Karte'],
    [{ en: 'Card' }, 'be', 'Card'],
    [{ ru: 'Карта' }, 'en', 'Карта'],
    [{ uz: 'Karta' }, 'ru', 'Karta'],
    [{ kk: 'Карта (kk)', uz: 'Karta' }, 'de', 'Карта (kk)'],
  ];
  for (const [title, ln, want] of table) assert.equal(wayTitle(title, ln), want, `${JSON.stringify(title)} ${ln}`);
});
