/**
 * Which IP addresses are not public hosts: the ranges of the IANA special-purpose address
 * registries, classified with `ipaddr.js`. Used by the guarded merchant client (no CHECK or PAY to
 * loopback, private, link-local, documentation, translation … addresses) and nothing else.
 *
 * Sources, as of 2025:
 * - IANA IPv4 Special-Purpose Address Registry,
 *   https://www.iana.org/assignments/iana-ipv4-special-registry/ (RFC 6890 and later), plus
 *   224.0.0.0/4 multicast (RFC 5771) which sits in the multicast registry instead;
 * - IANA IPv6 Special-Purpose Address Registry,
 *   https://www.iana.org/assignments/iana-ipv6-special-registry/ (RFC 6890 and later), plus
 *   ff00::/8 multicast and the deprecated forms of RFC 4291 (IPv4-compatible `::/96`, site-local
 *   `fec0::/10`) and RFC 6145 (IPv4-translated `::ffff:0:0:0/96`).
 *
 * Every range is refused, including the few the registry marks "globally reachable" (anycast
 * relays, AS112, AMT): a shop's API URL never legitimately lives there. Beyond the table, an IPv6
 * address outside 2000::/3 (the only global-unicast space IANA allocates) is refused, and an
 * IPv4-mapped address (`::ffff:a.b.c.d`) is judged by its IPv4 address.
 */
import ipaddr from 'ipaddr.js';
import { isIP } from 'node:net';

/** A special range: CIDR, what it is, where it is defined. */
export interface SpecialRange {
  cidr: string;
  name: string;
  rfc: string;
}

export const IPV4_SPECIAL: readonly SpecialRange[] = [
  { cidr: '0.0.0.0/8', name: 'this network', rfc: 'RFC 791' },
  { cidr: '10.0.0.0/8', name: 'private use', rfc: 'RFC 1918' },
  { cidr: '100.64.0.0/10', name: 'shared address space (CGN)', rfc: 'RFC 6598' },
  { cidr: '127.0.0.0/8', name: 'loopback', rfc: 'RFC 1122' },
  { cidr: '169.254.0.0/16', name: 'link local', rfc: 'RFC 3927' },
  { cidr: '172.16.0.0/12', name: 'private use', rfc: 'RFC 1918' },
  { cidr: '192.0.0.0/24', name: 'IETF protocol assignments (DS-Lite, PCP/TURN anycast, NAT64 discovery …)', rfc: 'RFC 6890' },
  { cidr: '192.0.2.0/24', name: 'documentation (TEST-NET-1)', rfc: 'RFC 5737' },
  { cidr: '192.31.196.0/24', name: 'AS112-v4', rfc: 'RFC 7535' },
  { cidr: '192.52.193.0/24', name: 'AMT', rfc: 'RFC 7450' },
  { cidr: '192.88.99.0/24', name: 'deprecated 6to4 relay anycast', rfc: 'RFC 7526' },
  { cidr: '192.168.0.0/16', name: 'private use', rfc: 'RFC 1918' },
  { cidr: '192.175.48.0/24', name: 'direct delegation AS112 service', rfc: 'RFC 7534' },
  { cidr: '198.18.0.0/15', name: 'benchmarking', rfc: 'RFC 2544' },
  { cidr: '198.51.100.0/24', name: 'documentation (TEST-NET-2)', rfc: 'RFC 5737' },
  { cidr: '203.0.113.0/24', name: 'documentation (TEST-NET-3)', rfc: 'RFC 5737' },
  { cidr: '224.0.0.0/4', name: 'multicast', rfc: 'RFC 5771' },
  { cidr: '240.0.0.0/4', name: 'reserved', rfc: 'RFC 1112' },
  { cidr: '255.255.255.255/32', name: 'limited broadcast', rfc: 'RFC 919' },
];

export const IPV6_SPECIAL: readonly SpecialRange[] = [
  { cidr: '::/96', name: 'IPv4-compatible (deprecated), unspecified and loopback', rfc: 'RFC 4291' },
  { cidr: '::ffff:0:0:0/96', name: 'IPv4-translated', rfc: 'RFC 6145' },
  { cidr: '64:ff9b::/96', name: 'IPv4-IPv6 translation (NAT64)', rfc: 'RFC 6052' },
  { cidr: '64:ff9b:1::/48', name: 'local-use IPv4-IPv6 translation', rfc: 'RFC 8215' },
  { cidr: '100::/64', name: 'discard-only', rfc: 'RFC 6666' },
  { cidr: '100:0:0:1::/64', name: 'dummy IPv6 prefix', rfc: 'RFC 9780' },
  { cidr: '2001::/23', name: 'IETF protocol assignments (TEREDO, PCP/TURN anycast, benchmarking, AMT, AS112, ORCHID …)', rfc: 'RFC 2928' },
  { cidr: '2001::/32', name: 'TEREDO', rfc: 'RFC 4380' },
  { cidr: '2001:2::/48', name: 'benchmarking', rfc: 'RFC 5180' },
  { cidr: '2001:3::/32', name: 'AMT', rfc: 'RFC 7450' },
  { cidr: '2001:4:112::/48', name: 'AS112-v6', rfc: 'RFC 7535' },
  { cidr: '2001:10::/28', name: 'deprecated ORCHID', rfc: 'RFC 4843' },
  { cidr: '2001:20::/28', name: 'ORCHIDv2', rfc: 'RFC 7343' },
  { cidr: '2001:30::/28', name: 'drone remote ID protocol entity tags', rfc: 'RFC 9374' },
  { cidr: '2001:db8::/32', name: 'documentation', rfc: 'RFC 3849' },
  { cidr: '2002::/16', name: '6to4', rfc: 'RFC 3056' },
  { cidr: '2620:4f:8000::/48', name: 'direct delegation AS112 service', rfc: 'RFC 7534' },
  { cidr: '3fff::/20', name: 'documentation', rfc: 'RFC 9637' },
  { cidr: '5f00::/16', name: 'segment routing (SRv6) SIDs', rfc: 'RFC 9602' },
  { cidr: 'fc00::/7', name: 'unique local', rfc: 'RFC 4193' },
  { cidr: 'fe80::/10', name: 'link-local unicast', rfc: 'RFC 4291' },
  { cidr: 'fec0::/10', name: 'site-local (deprecated)', rfc: 'RFC 3879' },
  { cidr: 'ff00::/8', name: 'multicast', rfc: 'RFC 4291' },
];

const parsed4 = IPV4_SPECIAL.map((r) => ipaddr.IPv4.parseCIDR(r.cidr));
const parsed6 = IPV6_SPECIAL.map((r) => ipaddr.IPv6.parseCIDR(r.cidr));
const GLOBAL_UNICAST_6 = ipaddr.IPv6.parseCIDR('2000::/3');

function ipv4IsSpecial(a: ipaddr.IPv4): boolean {
  // ipaddr.js's own classification first (everything but 'unicast' is special), then the table,
  // which also holds the ranges the library does not name.
  return a.range() !== 'unicast' || parsed4.some((r) => a.match(r));
}

/**
 * An IPv6 text with its trailing dotted IPv4 part (`::127.0.0.1`) written as two hex groups
 * (`::7f00:1`): ipaddr.js reads `::a.b.c.d` as the IPv4-*mapped* `::ffff:a.b.c.d`, which would judge
 * the deprecated IPv4-compatible form by its IPv4 address.
 */
function withoutDottedQuad(address: string): string {
  const m = /^(.*:)(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(address);
  if (!m) return address;
  const [b0, b1, b2, b3] = [m[2], m[3], m[4], m[5]].map(Number) as [number, number, number, number];
  return `${m[1]}${((b0 << 8) | b1).toString(16)}:${((b2 << 8) | b3).toString(16)}`;
}

/**
 * Whether an IP address is loopback, private, link-local, documentation, translation or otherwise
 * not a public unicast host. Anything that is not a plain IP address (a name, an empty string, an
 * IPv4 form with fewer than four parts) counts as private.
 * @example isPrivateAddress('::127.0.0.1') // true: IPv4-compatible
 */
export function isPrivateAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 0) return true;
  if (family === 4) return ipv4IsSpecial(ipaddr.IPv4.parse(address));
  const a = ipaddr.IPv6.parse(withoutDottedQuad(address));
  if (a.isIPv4MappedAddress()) return ipv4IsSpecial(a.toIPv4Address());
  if (!a.match(GLOBAL_UNICAST_6)) return true;
  return a.range() !== 'unicast' || parsed6.some((r) => a.match(r));
}
