/**
 * QR codes for SBP and similar payloads, as plain modules the element draws as inline SVG: the
 * element ships no QR encoder of its own (bundle budget), and inline SVG is DOM, so a strict CSP
 * page shows it. Encoding is uqr's; this only flattens its matrix.
 */
import { encode } from 'uqr';

/** A QR code's dark modules: row-major `'1'`/`'0'`, `size × size`, with no quiet zone (the element adds it). */
export interface QrModules {
  size: number;
  modules: string;
}

/**
 * @example qrModules('https://qr.nspk.ru/AS1000…') // { size: 33, modules: '1111111010…' }
 */
export function qrModules(payload: string): QrModules {
  // Medium error correction: phone cameras read it off a screen at a glance, and an SBP link
  // (≈ 100 characters) still fits a small version.
  const { size, data } = encode(payload, { ecc: 'M', border: 0 });
  let modules = '';
  for (const row of data) for (const dark of row) modules += dark ? '1' : '0';
  return { size, modules };
}
