import { isIP, isIPv4, isIPv6 } from 'node:net';

/**
 * The address part of a gRPC peer string. grpc-js writes `${remoteAddress}:${remotePort}` without
 * brackets (`127.0.0.1:5000`, `::1:5000`); other stacks write `[::1]:5000` or prefix
 * `ipv4:`/`ipv6:`. Anything unrecognised is returned whole, so it still names one peer.
 */
export function peerHost(peer: string): string {
  const text = peer.replace(/^ipv[46]:/, '');
  const bracketed = /^\[([^\]]+)\](?::\d+)?$/.exec(text);
  if (bracketed) return stripZone(bracketed[1]);
  // Port first: `::1:5000` is also a valid IPv6 address, but grpc-js always appends the port.
  const withPort = /^(.*):\d{1,5}$/.exec(text);
  if (withPort && isIP(stripZone(withPort[1]))) return stripZone(withPort[1]);
  return isIP(stripZone(text)) ? stripZone(text) : text;
}

/**
 * The unit a peer is throttled by: an IPv4 address, or the /64 network of an IPv6 address. One
 * host usually owns a whole IPv6 /64, so per-address buckets would give it 2^64 fresh ones.
 */
export function throttleKeyOf(peer: string): string {
  const host = peerHost(peer);
  if (isIPv4(host)) return host;
  if (!isIPv6(host)) return host;
  const groups = ipv6Groups(host);
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return [groups[6] >> 8, groups[6] & 0xff, groups[7] >> 8, groups[7] & 0xff].join('.');
  }
  return `${groups
    .slice(0, 4)
    .map((g) => g.toString(16))
    .join(':')}::/64`;
}

function stripZone(address: string): string {
  const percent = address.indexOf('%');
  return percent >= 0 && isIPv6(address.slice(0, percent)) ? address.slice(0, percent) : address;
}

/** The eight 16-bit groups of a valid IPv6 address (checked by the caller with isIPv6). */
function ipv6Groups(address: string): number[] {
  let text = address;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number);
    text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const front = head ? head.split(':') : [];
  const back = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : new Array<string>(8 - front.length - back.length).fill('0');
  return [...front, ...zeros, ...back].map((g) => parseInt(g, 16));
}
