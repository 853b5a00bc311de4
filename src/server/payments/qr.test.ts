import assert from 'node:assert/strict';
import { test } from 'node:test';
import { qrModules } from './qr.ts';

/** A finder pattern: the 7×7 square in each of three corners of every QR code. */
function hasFinder(q: { size: number; modules: string }, row: number, col: number): boolean {
  const at = (r: number, c: number) => q.modules[(row + r) * q.size + col + c] === '1';
  for (let i = 0; i < 7; i++) {
    if (!at(0, i) || !at(6, i) || !at(i, 0) || !at(i, 6)) return false;
  }
  return !at(1, 1) && at(2, 2) && at(3, 3) && at(4, 4) && !at(5, 5);
}

test('a payload becomes size × size modules with the three finder patterns and no quiet zone', () => {
  const q = qrModules('https://qr.nspk.ru/AS10003P3RH0LJ2A9ROO038L6NT5RU1M?type=02&bank=100000000004&sum=12250&cur=RUB&crc=C08B');
  assert.equal(q.modules.length, q.size * q.size);
  assert.match(q.modules, /^[01]+$/);
  assert.equal((q.size - 17) % 4, 0, 'a QR size is 17 + 4 × version');
  assert.ok(hasFinder(q, 0, 0) && hasFinder(q, 0, q.size - 7) && hasFinder(q, q.size - 7, 0));
  assert.ok(!hasFinder(q, q.size - 7, q.size - 7), 'the fourth corner has none');
});

test('longer payloads need larger codes, the same payload the same code', () => {
  const short = qrModules('https://qr.nspk.ru/A');
  const long = qrModules(`https://qr.nspk.ru/${'A'.repeat(300)}`);
  assert.ok(long.size > short.size);
  assert.deepEqual(qrModules('https://qr.nspk.ru/A'), short);
});
