/**
 * The three primitives SRTP needs, over (buffer, offset) pairs so the hot path allocates nothing:
 * AES-128-GCM seal/open (RFC 7714), AES-128 counter-mode XOR (RFC 3711 §4.1.1) and HMAC-SHA1
 * (RFC 3711 §4.2.1). Two backends implement them: libcrypto through bun:ffi (libcrypto.ts: one
 * cipher context per key, reused for every packet, output written straight into the caller's
 * buffer) and node:crypto (here: a cipher object per packet, ~3 µs and a few objects; the fallback
 * when libcrypto.so.3 cannot be opened). Both pass the same suite (crypto.test.ts).
 */
import { createCipheriv, createDecipheriv, createHmac } from "node:crypto";

export const GCM_TAG_BYTES = 16;
export const GCM_IV_BYTES = 12;
export const HMAC_SHA1_BYTES = 20;

export interface GcmCipher {
  /** Encrypts src[srcOff, +len) into dst[dstOff, +len) and writes the 16-byte tag right after it. The IV is iv[0, 12). */
  seal(iv: Uint8Array, aad: Uint8Array, aadOff: number, aadLen: number, src: Uint8Array, srcOff: number, len: number, dst: Uint8Array, dstOff: number): void;
  /** Decrypts src[srcOff, +len) (the tag follows it) into dst[dstOff, +len); false when the tag does not verify, and then dst's bytes are unspecified. */
  open(iv: Uint8Array, aad: Uint8Array, aadOff: number, aadLen: number, src: Uint8Array, srcOff: number, len: number, dst: Uint8Array, dstOff: number): boolean;
  free(): void;
}

export interface CtrCipher {
  /** dst[dstOff, +len) = src[srcOff, +len) XOR the AES-CTR keystream from the 16-byte counter block `iv`. */
  xor(iv: Uint8Array, src: Uint8Array, srcOff: number, len: number, dst: Uint8Array, dstOff: number): void;
  free(): void;
}

export interface HmacSha1 {
  /** HMAC(buf[off, +len) || tail[0, tailLen)), its first `tagLen` bytes written at dst[dstOff]. */
  sign(buf: Uint8Array, off: number, len: number, tail: Uint8Array, tailLen: number, tagLen: number, dst: Uint8Array, dstOff: number): void;
  free(): void;
}

export interface SrtpCrypto {
  readonly name: "libcrypto" | "node";
  gcm(key: Uint8Array): GcmCipher;
  ctr(key: Uint8Array): CtrCipher;
  hmacSha1(key: Uint8Array): HmacSha1;
}

/** Constant-time comparison of a[aOff, +n) and b[bOff, +n). */
export function tagsEqual(a: Uint8Array, aOff: number, b: Uint8Array, bOff: number, n: number): boolean {
  let diff = 0;
  for (let i = 0; i < n; i++) diff |= a[aOff + i]! ^ b[bOff + i]!;
  return diff === 0;
}

class NodeGcm implements GcmCipher {
  constructor(private readonly key: Uint8Array) {}

  seal(iv: Uint8Array, aad: Uint8Array, aadOff: number, aadLen: number, src: Uint8Array, srcOff: number, len: number, dst: Uint8Array, dstOff: number): void {
    const c = createCipheriv("aes-128-gcm", this.key, iv.subarray(0, GCM_IV_BYTES));
    c.setAAD(aad.subarray(aadOff, aadOff + aadLen));
    dst.set(c.update(src.subarray(srcOff, srcOff + len)), dstOff);
    c.final();
    dst.set(c.getAuthTag(), dstOff + len);
  }

  open(iv: Uint8Array, aad: Uint8Array, aadOff: number, aadLen: number, src: Uint8Array, srcOff: number, len: number, dst: Uint8Array, dstOff: number): boolean {
    const d = createDecipheriv("aes-128-gcm", this.key, iv.subarray(0, GCM_IV_BYTES));
    d.setAAD(aad.subarray(aadOff, aadOff + aadLen));
    d.setAuthTag(src.subarray(srcOff + len, srcOff + len + GCM_TAG_BYTES));
    const plain = d.update(src.subarray(srcOff, srcOff + len));
    try {
      d.final();
    } catch {
      return false;
    }
    dst.set(plain, dstOff);
    return true;
  }

  free(): void {}
}

class NodeCtr implements CtrCipher {
  constructor(private readonly key: Uint8Array) {}

  xor(iv: Uint8Array, src: Uint8Array, srcOff: number, len: number, dst: Uint8Array, dstOff: number): void {
    const c = createCipheriv("aes-128-ctr", this.key, iv);
    dst.set(c.update(src.subarray(srcOff, srcOff + len)), dstOff);
  }

  free(): void {}
}

class NodeHmacSha1 implements HmacSha1 {
  constructor(private readonly key: Uint8Array) {}

  sign(buf: Uint8Array, off: number, len: number, tail: Uint8Array, tailLen: number, tagLen: number, dst: Uint8Array, dstOff: number): void {
    const h = createHmac("sha1", this.key);
    h.update(buf.subarray(off, off + len));
    if (tailLen > 0) h.update(tail.subarray(0, tailLen));
    dst.set(h.digest().subarray(0, tagLen), dstOff);
  }

  free(): void {}
}

export const nodeCrypto: SrtpCrypto = {
  name: "node",
  gcm: (key) => new NodeGcm(key.slice()),
  ctr: (key) => new NodeCtr(key.slice()),
  hmacSha1: (key) => new NodeHmacSha1(key.slice()),
};

