/**
 * IP addresses as text (what Bun's UDP socket reports) to bytes and back, for XOR-MAPPED-ADDRESS
 * (RFC 8489 §14.2). Parsing writes into a caller buffer: no allocation. An IPv4-mapped IPv6
 * address ("::ffff:192.0.2.1", what a dual-stack socket reports for an IPv4 peer) is IPv4.
 */

/** RFC 8489 §14.1: address family values. */
export const FAMILY_IPV4 = 0x01;
export const FAMILY_IPV6 = 0x02;

const GROUPS = new Uint16Array(8);
const QUAD = new Uint8Array(4);

function hexDigit(c: number): number {
  if (c >= 48 && c <= 57) return c - 48;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Dotted quad at text[start, end) into out[at..at+4); false when it is not one. */
function parseIpv4(text: string, start: number, end: number, out: Uint8Array, at: number): boolean {
  let part = 0;
  let value = -1;
  for (let i = start; i <= end; i++) {
    const c = i === end ? 46 : text.charCodeAt(i);
    if (c === 46) {
      if (value < 0 || part > 3) return false;
      out[at + part++] = value;
      value = -1;
    } else if (c >= 48 && c <= 57) {
      value = value < 0 ? c - 48 : value * 10 + c - 48;
      if (value > 255) return false;
    } else return false;
  }
  return part === 4;
}

/**
 * Writes the address's bytes to out[0..4) or out[0..16) and returns FAMILY_IPV4 or FAMILY_IPV6;
 * 0 when the text is not an address. A zone ("fe80::1%eth0") is ignored.
 */
export function parseIp(text: string, out: Uint8Array): number {
  const pct = text.indexOf("%");
  const end = pct < 0 ? text.length : pct;
  if (text.indexOf(":") < 0) return parseIpv4(text, 0, end, out, 0) ? FAMILY_IPV4 : 0;
  // IPv6 (RFC 4291 §2.2): up to 8 groups, one "::", an optional dotted quad at the end.
  const groups = GROUPS;
  let n = 0;
  let gap = -1;
  let i = 0;
  if (text.startsWith("::")) {
    gap = 0;
    i = 2;
  }
  while (i < end) {
    let j = i;
    let v = 0;
    while (j < end && j - i < 5) {
      const d = hexDigit(text.charCodeAt(j));
      if (d < 0) break;
      v = (v << 4) | d;
      j++;
    }
    if (j < end && text.charCodeAt(j) === 46) {
      // Embedded IPv4 in the last 32 bits.
      if (n > 6) return 0;
      const quad = QUAD;
      if (!parseIpv4(text, i, end, quad, 0)) return 0;
      groups[n++] = (quad[0]! << 8) | quad[1]!;
      groups[n++] = (quad[2]! << 8) | quad[3]!;
      i = end;
      break;
    }
    if (j === i || j - i > 4 || n === 8) return 0;
    groups[n++] = v;
    if (j === end) {
      i = end;
      break;
    }
    if (text.charCodeAt(j) !== 58) return 0;
    if (j + 1 < end && text.charCodeAt(j + 1) === 58) {
      if (gap >= 0) return 0;
      gap = n;
      i = j + 2;
    } else {
      if (j + 1 === end) return 0;
      i = j + 1;
    }
  }
  if (gap < 0 ? n !== 8 : n > 7) return 0;
  const zeros = 8 - n;
  for (let g = 0, k = 0; g < 8; g++) {
    const v = gap >= 0 && g >= gap && g < gap + zeros ? 0 : groups[k++]!;
    out[2 * g] = v >>> 8;
    out[2 * g + 1] = v & 0xff;
  }
  // ::ffff:a.b.c.d is an IPv4 peer seen through a dual-stack socket (RFC 4291 §2.5.5.2).
  let mapped = out[10] === 0xff && out[11] === 0xff;
  for (let k = 0; k < 10 && mapped; k++) mapped = out[k] === 0;
  if (mapped) {
    out.copyWithin(0, 12, 16);
    return FAMILY_IPV4;
  }
  return FAMILY_IPV6;
}

/** Text form of 4 (IPv4) or 16 (IPv6) bytes at buf[off]: dotted quad, or RFC 5952 compressed hex. */
export function formatIp(family: number, buf: Uint8Array, off: number): string {
  if (family === FAMILY_IPV4) return `${buf[off]}.${buf[off + 1]}.${buf[off + 2]}.${buf[off + 3]}`;
  const g: number[] = [];
  for (let k = 0; k < 8; k++) g.push((buf[off + 2 * k]! << 8) | buf[off + 2 * k + 1]!);
  // RFC 5952 §4.2: the longest run of two or more zero groups becomes "::".
  let bestAt = -1;
  let bestLen = 1;
  for (let k = 0; k < 8; ) {
    if (g[k] !== 0) {
      k++;
      continue;
    }
    let e = k;
    while (e < 8 && g[e] === 0) e++;
    if (e - k > bestLen) {
      bestAt = k;
      bestLen = e - k;
    }
    k = e;
  }
  const hex = (from: number, to: number) => g.slice(from, to).map((v) => v.toString(16)).join(":");
  return bestAt < 0 ? hex(0, 8) : `${hex(0, bestAt)}::${hex(bestAt + bestLen, 8)}`;
}
