/**
 * The client's address, for rate limits. Without `trustProxy` it is the connection's peer address;
 * behind a reverse proxy every request would then come from the proxy, so the operator lists the
 * proxies' addresses or CIDR ranges in `trustProxy`. When the peer is one of them, the address is
 * the rightmost hop of `X-Forwarded-For` that is not itself a trusted proxy (the hops to the left of
 * it were written by the client and prove nothing). A malformed hop stops the walk: the last trusted
 * hop before it counts as the client. An IPv4-mapped IPv6 address counts as its IPv4 address, and an
 * IPv6 client as its /64 network (one host usually holds a whole /64).
 */
import ipaddr from 'ipaddr.js';

export type TrustedProxies = (address: string) => boolean;

/**
 * @example const trusted = trustedProxies(['10.0.0.0/8', '::1']); trusted('10.1.2.3') // true
 */
export function trustedProxies(list: readonly string[]): TrustedProxies {
  const ranges = list.map((entry) => (entry.includes('/') ? ipaddr.parseCIDR(entry) : ((a) => [a, a.kind() === 'ipv4' ? 32 : 128] as [ipaddr.IPv4 | ipaddr.IPv6, number])(ipaddr.parse(entry))));
  return (address) => {
    const a = parse(address);
    if (!a) return false;
    return ranges.some(([net, bits]) => net.kind() === a.kind() && a.match(net as never, bits));
  };
}

/** Whether a configured `trustProxy` entry is an IP address or a CIDR range. */
export const isProxyEntry = (entry: string): boolean => (entry.includes('/') ? ipaddr.isValidCIDR(entry) : ipaddr.isValid(entry));

function parse(address: string): ipaddr.IPv4 | ipaddr.IPv6 | null {
  if (!ipaddr.isValid(address)) return null;
  const a = ipaddr.parse(address);
  return a.kind() === 'ipv6' && (a as ipaddr.IPv6).isIPv4MappedAddress() ? (a as ipaddr.IPv6).toIPv4Address() : a;
}

/** The key a client address is counted under: IPv4 as is, IPv6 by its /64. */
function keyOf(a: ipaddr.IPv4 | ipaddr.IPv6): string {
  if (a.kind() === 'ipv4') return a.toString();
  const parts = (a as ipaddr.IPv6).parts.slice(0, 4).map((p) => p.toString(16));
  return `${parts.join(':')}::/64`;
}

/**
 * The client's address for a request whose connection comes from `peer` (undefined when the
 * request did not come over a connection): the peer, or behind trusted proxies the rightmost
 * untrusted `X-Forwarded-For` hop; IPv4-mapped addresses as IPv4.
 * @example clientIp('10.0.0.5', '198.51.100.7, 10.0.0.9', trustedProxies(['10.0.0.0/8'])) // '198.51.100.7'
 */
export function clientIp(peer: string | undefined, forwardedFor: string | undefined, trusted: TrustedProxies): string | undefined {
  if (peer === undefined) return undefined;
  const p = parse(peer);
  if (!p) return peer;
  let client = p;
  if (trusted(p.toString()) && forwardedFor) {
    const hops = forwardedFor.split(',').map((h) => h.trim()).filter((h) => h !== '');
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = parse(hops[i]!.replace(/^\[(.*)\]$/, '$1'));
      if (!hop) break;
      client = hop;
      if (!trusted(hop.toString())) break;
    }
  }
  return client.toString();
}

/**
 * The key rate limits count a client under: its address (`clientIp`), an IPv6 one by its /64.
 * @example clientAddress('10.0.0.5', '198.51.100.7, 10.0.0.9', trustedProxies(['10.0.0.0/8'])) // '198.51.100.7'
 */
export function clientAddress(peer: string | undefined, forwardedFor: string | undefined, trusted: TrustedProxies): string | undefined {
  const ip = clientIp(peer, forwardedFor, trusted);
  if (ip === undefined) return undefined;
  const a = parse(ip);
  return a ? keyOf(a) : ip;
}

/** A request's client: its address (`clientIp`) and the key rate limits count it under (`clientAddress`). */
export interface Client {
  ip: string | undefined;
  key: string | undefined;
}

/**
 * `clientIp` and `clientAddress` for a peer and `X-Forwarded-For`, parsed once per pair: parsing
 * them on every request was ≈ 5 % of a form payload. The pairs are kept in a map emptied when full;
 * a pair longer than 256 characters (a forged header) is not kept.
 * @example const clientOf = clientResolver(trustedProxies([])); clientOf('10.0.0.5', undefined).key // '10.0.0.5'
 */
export function clientResolver(trusted: TrustedProxies): (peer: string | undefined, forwardedFor: string | undefined) => Client {
  const known = new Map<string, Client>();
  return (peer, forwardedFor) => {
    const k = `${peer ?? ''}\n${forwardedFor ?? ''}`;
    let found = known.get(k);
    if (!found) {
      const ip = clientIp(peer, forwardedFor, trusted);
      found = { ip, key: ip === undefined ? undefined : clientAddress(ip, undefined, trusted) };
      if (known.size >= 10_000) known.clear();
      if (k.length <= 256) known.set(k, found);
    }
    return found;
  };
}
