import { BadRequestException } from '@nestjs/common';
import ipaddr from 'ipaddr.js';

/** Host names of cloud metadata services (GCP, AWS, Tencent Cloud), compared lower-case without a trailing dot. */
const METADATA_HOSTS = new Set([
  'metadata.google.internal',
  'metadata.goog',
  'metadata',
  'instance-data',
  'instance-data.ec2.internal',
  'metadata.tencentyun.com',
]);

/**
 * Metadata addresses outside the link-local ranges: AWS's IMDS over IPv6 (inside the private
 * fc00::/7), Azure's WireServer, Alibaba Cloud's metadata service (inside 100.64.0.0/10).
 */
const METADATA_ADDRESSES = new Set(['fd00:ec2::254', '168.63.129.16', '100.100.100.200']);

/**
 * The IPv4 address an IPv6 address carries, for the forms a host routes to that IPv4 address:
 * IPv4-mapped `::ffff:a.b.c.d` (RFC 4291), IPv4-translated `::ffff:0:a.b.c.d` (RFC 6145),
 * NAT64 `64:ff9b::a.b.c.d` (RFC 6052), IPv4-compatible `::a.b.c.d`, and 6to4 `2002:AABB:CCDD::` (RFC 3056).
 */
function embeddedIPv4(address: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const parts = address.parts;
  const fromWords = (high: number, low: number) => new ipaddr.IPv4([high >> 8, high & 0xff, low >> 8, low & 0xff]);
  const range = address.range();
  if (range === 'ipv4Mapped' || range === 'rfc6145' || range === 'rfc6052') return fromWords(parts[6], parts[7]);
  if (range === '6to4') return fromWords(parts[1], parts[2]);
  if (parts.slice(0, 6).every((p) => p === 0) && (parts[6] !== 0 || parts[7] > 1)) return fromWords(parts[6], parts[7]);
  return undefined;
}

/** Why an IP address may not be an upstream endpoint, or undefined when it may. */
function addressRefusal(address: ipaddr.IPv4 | ipaddr.IPv6): string | undefined {
  if (METADATA_ADDRESSES.has(address.toNormalizedString()) || METADATA_ADDRESSES.has(address.toString())) {
    return `is a cloud metadata address (${address.toString()})`;
  }
  if (address.range() === 'linkLocal') return `is a link-local address (${address.toString()}; 169.254.0.0/16 and fe80::/10 hold cloud metadata services)`;
  if (address.kind() === 'ipv6') {
    const inner = embeddedIPv4(address as ipaddr.IPv6);
    if (inner) return addressRefusal(inner);
  }
  return undefined;
}

/**
 * Why `endpoint` may not receive upstream keys, or undefined when it may. Parsed with the WHATWG
 * URL parser, so a literal IP is checked in its normalised form (`http://2852039166/`,
 * `http://0251.0376.0251.0376/` and `http://[::ffff:169.254.169.254]/` are all 169.254.169.254).
 * Refused: link-local addresses (169.254.0.0/16, fe80::/10, also inside IPv4-mapped, NAT64, 6to4
 * IPv6 forms), cloud metadata addresses and host names. Private ranges and loopback are allowed
 * (self-hosted models). A host name is not resolved here.
 */
export function endpointRefusal(endpoint: string): string | undefined {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    return 'must be a valid http(s) URL';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must be an http(s) URL';
  const host = url.hostname.replace(/^\[|\]$/g, '').replace(/\.+$/, '').toLowerCase();
  if (METADATA_HOSTS.has(host)) return `is a cloud metadata host (${host})`;
  if (!ipaddr.isValid(host)) return undefined;
  return addressRefusal(ipaddr.parse(host));
}

/**
 * The upstream endpoint rule, for every write of a key's endpoint (and the key pool's load).
 * @throws BadRequestException (400) `endpoint …` naming what is refused (see {@link endpointRefusal}).
 */
export function assertEndpointAllowed(endpoint: string): void {
  const refusal = endpointRefusal(endpoint);
  if (refusal) throw new BadRequestException(`endpoint ${refusal}`);
}
