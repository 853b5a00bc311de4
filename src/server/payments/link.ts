/**
 * The payment link at the gateway's edge: the wire's parser (`src/protocol/link.ts`) with its
 * issues turned into the gateway's 400 naming the parameter. The md5 check is the wire's own
 * (`linkMd5Matches` in `src/protocol/link.ts`).
 */
import { parseLink as parseWire, type ParsedLink } from '../../protocol/link.ts';
import { GatewayError } from '../errors.ts';

/**
 * Parses a payment link's parameters (first value of each name); a bad one is a 400 naming it.
 * @example parseLink(new URLSearchParams('price=100&pay_for=42')).link.price // '100.0'
 */
export function parseLink(params: URLSearchParams): ParsedLink {
  const r = parseWire(params);
  if (r.ok) return r.value;
  const { field, message } = r.issues[0]!;
  throw field
    ? new GatewayError(400, 'invalid_param', `${field}: ${message}`, field)
    : new GatewayError(400, 'invalid_param', message);
}
