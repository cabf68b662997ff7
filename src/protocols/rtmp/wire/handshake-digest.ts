/**
 * The digest ("complex", Flash Player 9) handshake that Flash, librtmp and ffmpeg clients use on top
 * of RTMP 1.0 §5.2. The spec describes only random bytes; in practice C1 and S1 hide an
 * HMAC-SHA256 of themselves at an offset derived from four of their own bytes, and S2/C2 end with an
 * HMAC keyed by the peer's digest. Described by librtmp (handshake.h), nginx-rtmp
 * (ngx_rtmp_handshake.c) and SRS; implemented here from those descriptions.
 */
import { createHmac } from "node:crypto";

export const HANDSHAKE_SIZE = 1536;
export const DIGEST_SIZE = 32;

const CONSTANT = [
  0xf0, 0xee, 0xc2, 0x4a, 0x80, 0x68, 0xbe, 0xe8, 0x2e, 0x00, 0xd0, 0xd1, 0x02, 0x9e, 0x7e, 0x57, 0x6e, 0xec, 0x5d,
  0x2d, 0x29, 0x80, 0x6f, 0xab, 0x93, 0xb8, 0xe6, 0x36, 0xcf, 0xeb, 0x31, 0xae,
];
const ascii = (s: string) => [...s].map((c) => c.charCodeAt(0));

/** Client key: the 30 text bytes sign C1; all 62 key the C2 signature. */
export const PLAYER_KEY = new Uint8Array([...ascii("Genuine Adobe Flash Player 001"), ...CONSTANT]);
export const PLAYER_KEY_TEXT = 30;
/** Server key: the 36 text bytes sign S1; all 68 key the S2 signature. */
export const SERVER_KEY = new Uint8Array([...ascii("Genuine Adobe Flash Media Server 001"), ...CONSTANT]);
export const SERVER_KEY_TEXT = 36;

/**
 * The two places a digest can sit: scheme 0 derives its offset from bytes 8..11 (ffmpeg, librtmp,
 * Flash before 10), scheme 1 from bytes 772..775.
 */
export type DigestScheme = 0 | 1;

export function digestOffset(block: Uint8Array, scheme: DigestScheme): number {
  const base = scheme === 0 ? 8 : 772;
  const sum = block[base]! + block[base + 1]! + block[base + 2]! + block[base + 3]!;
  return (sum % 728) + base + 4;
}

export function hmacSha256(key: Uint8Array, ...parts: Uint8Array[]): Uint8Array {
  const h = createHmac("sha256", key);
  for (const p of parts) h.update(p);
  return new Uint8Array(h.digest());
}

/** HMAC of the block without the 32 digest bytes at `offset`. */
function blockDigest(block: Uint8Array, offset: number, key: Uint8Array): Uint8Array {
  return hmacSha256(key, block.subarray(0, offset), block.subarray(offset + DIGEST_SIZE, HANDSHAKE_SIZE));
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}

/** Finds a valid digest in a C1 or S1 (`key` the 30- or 36-byte text key); null when there is none. */
export function findDigest(block: Uint8Array, key: Uint8Array): { scheme: DigestScheme; digest: Uint8Array } | null {
  for (const scheme of [0, 1] as const) {
    const offset = digestOffset(block, scheme);
    const digest = block.subarray(offset, offset + DIGEST_SIZE);
    if (equal(blockDigest(block, offset, key), digest)) return { scheme, digest };
  }
  return null;
}

/** Writes a digest into a C1 or S1 whose other bytes are final; returns the digest (a view). */
export function writeDigest(block: Uint8Array, scheme: DigestScheme, key: Uint8Array): Uint8Array {
  const offset = digestOffset(block, scheme);
  block.set(blockDigest(block, offset, key), offset);
  return block.subarray(offset, offset + DIGEST_SIZE);
}

/** S2/C2: the last 32 bytes sign the rest, keyed by HMAC(full key, the peer's digest). */
export function signResponse(block: Uint8Array, fullKey: Uint8Array, peerDigest: Uint8Array): void {
  const end = HANDSHAKE_SIZE - DIGEST_SIZE;
  block.set(hmacSha256(hmacSha256(fullKey, peerDigest), block.subarray(0, end)), end);
}

export function verifyResponse(block: Uint8Array, fullKey: Uint8Array, ownDigest: Uint8Array): boolean {
  const end = HANDSHAKE_SIZE - DIGEST_SIZE;
  return equal(hmacSha256(hmacSha256(fullKey, ownDigest), block.subarray(0, end)), block.subarray(end, HANDSHAKE_SIZE));
}
