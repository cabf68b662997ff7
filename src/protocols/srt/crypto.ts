/**
 * SRT payload encryption (draft-sharabayko-srt-01 §6): the KEK from the passphrase by PBKDF2
 * (§6.1.4), SEKs wrapped with RFC 3394 AES key wrap (§6.1.5), and AES-CTR over the payload with a
 * per-packet counter built from the salt and the sequence number (§6.1.2), as libsrt's haicrypt
 * does it. node:crypto does the AES; this file only arranges the bytes.
 */
import { createCipheriv, createDecipheriv, pbkdf2Sync, type Cipheriv, type Decipheriv } from "node:crypto";
import { KK_BOTH, KK_EVEN, KK_ODD, SEQ_MASK } from "./wire/constants.ts";
import { isValidKeyLength, KeyMaterial, WRAP_OVERHEAD } from "./wire/key-material.ts";
import { copyBytes } from "./wire/packet.ts";

/** §6.1.4: HMAC-SHA1, 2048 iterations, over the last 64 bits of the salt. */
export const PBKDF2_ITERATIONS = 2048;
export const PBKDF2_SALT_BYTES = 8;
export const SALT_BYTES = 16;
/** libsrt SRTO_PASSPHRASE: 10 to 79 characters. */
export const MIN_PASSPHRASE_LENGTH = 10;
export const MAX_PASSPHRASE_LENGTH = 79;

export function deriveKek(passphrase: string, salt: Uint8Array, keyLength: number): Uint8Array {
  const tail = salt.subarray(Math.max(0, salt.length - PBKDF2_SALT_BYTES));
  return new Uint8Array(pbkdf2Sync(passphrase, tail, PBKDF2_ITERATIONS, keyLength, "sha1"));
}

/** RFC 3394 §2.2.3.1: the default initial value, checked on unwrap. */
const WRAP_IV = Uint8Array.of(0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6, 0xa6);

function ecb(key: Uint8Array, decrypt: boolean): Cipheriv | Decipheriv {
  const algo = `aes-${key.length * 8}-ecb`;
  const c = decrypt ? createDecipheriv(algo, key, null) : createCipheriv(algo, key, null);
  c.setAutoPadding(false);
  return c;
}

function xorCounter(a: Uint8Array, t: number): void {
  for (let k = 7; k >= 0 && t > 0; k--) {
    a[k] = a[k]! ^ (t & 0xff);
    t = Math.floor(t / 256);
  }
}

/** RFC 3394 §2.2.1: wraps `plain` (a multiple of 8 bytes) with the KEK. */
export function wrapKey(kek: Uint8Array, plain: Uint8Array): Uint8Array {
  const n = plain.length >> 3;
  const aes = ecb(kek, false);
  const out = new Uint8Array(plain.length + 8);
  out.set(WRAP_IV, 0);
  out.set(plain, 8);
  const block = new Uint8Array(16);
  for (let j = 0; j < 6; j++) {
    for (let i = 1; i <= n; i++) {
      block.set(out.subarray(0, 8), 0);
      block.set(out.subarray(i * 8, i * 8 + 8), 8);
      const b = aes.update(block);
      out.set(b.subarray(0, 8), 0);
      xorCounter(out, n * j + i);
      out.set(b.subarray(8, 16), i * 8);
    }
  }
  return out;
}

/** RFC 3394 §2.2.2: null when the integrity check fails (wrong KEK, i.e. a wrong passphrase). */
export function unwrapKey(kek: Uint8Array, wrapped: Uint8Array): Uint8Array | null {
  const n = (wrapped.length >> 3) - 1;
  if (n < 1 || wrapped.length % 8 !== 0) return null;
  const aes = ecb(kek, true);
  const a = copyBytes(wrapped, 0, 8);
  const r = copyBytes(wrapped, 8, wrapped.length);
  const block = new Uint8Array(16);
  for (let j = 5; j >= 0; j--) {
    for (let i = n; i >= 1; i--) {
      xorCounter(a, n * j + i);
      block.set(a, 0);
      block.set(r.subarray((i - 1) * 8, i * 8), 8);
      const b = aes.update(block);
      a.set(b.subarray(0, 8));
      r.set(b.subarray(8, 16), (i - 1) * 8);
    }
  }
  let diff = 0;
  for (let k = 0; k < 8; k++) diff |= a[k]! ^ WRAP_IV[k]!;
  return diff === 0 ? r : null;
}

/** The SEKs in play: index 0 even, 1 odd (KK - 1). */
export interface StreamKeys {
  salt: Uint8Array;
  keyLength: number;
  even: Uint8Array | null;
  odd: Uint8Array | null;
}

/** Wraps the keys present in `keys` (both when both are set: even first) into a KM message. */
export function buildKeyMaterial(passphrase: string, keys: StreamKeys): KeyMaterial {
  const km = new KeyMaterial();
  const both = keys.even !== null && keys.odd !== null;
  km.kk = both ? KK_BOTH : keys.even ? KK_EVEN : KK_ODD;
  km.keyLength = keys.keyLength;
  km.salt = keys.salt.slice();
  const plain = new Uint8Array(keys.keyLength * (both ? 2 : 1));
  if (keys.even) plain.set(keys.even, 0);
  if (keys.odd) plain.set(keys.odd, both ? keys.keyLength : 0);
  km.wrapped = wrapKey(deriveKek(passphrase, keys.salt, keys.keyLength), plain);
  return km;
}

/** Unwraps a KM message; null on a wrong passphrase or malformed material. */
export function openKeyMaterial(passphrase: string, km: KeyMaterial): StreamKeys | null {
  if (!isValidKeyLength(km.keyLength) || km.salt.length !== SALT_BYTES) return null;
  if (km.wrapped.length !== WRAP_OVERHEAD + km.keyLength * km.keyCount()) return null;
  const plain = unwrapKey(deriveKek(passphrase, km.salt, km.keyLength), km.wrapped);
  if (!plain) return null;
  const first = plain.slice(0, km.keyLength);
  return {
    salt: km.salt.slice(),
    keyLength: km.keyLength,
    even: km.kk & KK_EVEN ? first : null,
    odd: km.kk === KK_BOTH ? plain.slice(km.keyLength) : km.kk === KK_ODD ? first : null,
  };
}

/**
 * AES-CTR over payloads (§6.1.2). The counter block is: 80 zero bits, the 32-bit packet index
 * (sequence number), a 16-bit block counter; its first 112 bits are XORed with the salt's.
 */
export class PayloadCipher {
  private readonly iv: Uint8Array;
  private salt: Uint8Array;
  private even: Uint8Array | null;
  private odd: Uint8Array | null;
  private algo: string;

  constructor() {
    this.iv = new Uint8Array(16);
    this.salt = new Uint8Array(SALT_BYTES);
    this.even = null;
    this.odd = null;
    this.algo = "aes-128-ctr";
  }

  setKeys(keys: StreamKeys): void {
    this.salt = keys.salt.slice();
    this.algo = `aes-${keys.keyLength * 8}-ctr`;
    if (keys.even) this.even = keys.even.slice();
    if (keys.odd) this.odd = keys.odd.slice();
  }

  hasKey(kk: number): boolean {
    return (kk === KK_EVEN ? this.even : kk === KK_ODD ? this.odd : null) !== null;
  }

  /** En- or decrypts buf[off, off+len) in place; false when the key KK names is missing. */
  crypt(kk: number, seq: number, buf: Uint8Array, off: number, len: number): boolean {
    const key = kk === KK_EVEN ? this.even : kk === KK_ODD ? this.odd : null;
    if (!key) return false;
    const iv = this.iv;
    iv.fill(0);
    const pki = seq & SEQ_MASK;
    iv[10] = pki >>> 24;
    iv[11] = pki >>> 16;
    iv[12] = pki >>> 8;
    iv[13] = pki;
    for (let i = 0; i < 14; i++) iv[i] = iv[i]! ^ this.salt[i]!;
    const out = createCipheriv(this.algo, key, iv).update(buf.subarray(off, off + len));
    buf.set(out, off);
    return true;
  }
}
