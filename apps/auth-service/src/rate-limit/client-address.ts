import { isIPv4, isIPv6 } from 'node:net';

/**
 * The per-IP rate-limit bucket of a client address: an IPv4 address as it is; an IPv4-mapped
 * IPv6 address (`::ffff:192.0.2.7`) as its IPv4 address; any other IPv6 address as its /64,
 * since one subscriber is usually given a whole /64 and would otherwise have 2^64 buckets.
 * Anything else (no address, or junk forwarded through a misconfigured proxy) shares one bucket.
 */
export function addressBucket(ip: string | undefined): string {
  if (ip === undefined) return 'unknown';
  if (isIPv4(ip)) return ip;
  const groups = ipv6Groups(ip);
  if (!groups) return 'unknown';
  const [, , , , , mapped, high = 0, low = 0] = groups;
  if (mapped === 0xffff && groups.slice(0, 5).every((group) => group === 0)) {
    return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
  }
  return `${groups
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address (its zone dropped), or undefined. */
function ipv6Groups(ip: string): number[] | undefined {
  let text = ip.replace(/%.*$/s, '');
  if (!isIPv6(text)) return undefined;
  // A trailing dotted quad is the last two groups.
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [a = 0, b = 0, c = 0, d = 0] = quad.slice(1).map(Number);
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const parse = (part: string | undefined): number[] =>
    part ? part.split(':').map((group) => parseInt(group, 16)) : [];
  const [head, tail, ...rest] = text.split('::');
  if (rest.length > 0) return undefined;
  const groups =
    tail === undefined
      ? parse(head)
      : [
          ...parse(head),
          ...Array<number>(8 - parse(head).length - parse(tail).length).fill(0),
          ...parse(tail),
        ];
  return groups.length === 8 && groups.every((g) => g >= 0 && g <= 0xffff) ? groups : undefined;
}
