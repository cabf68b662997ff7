/**
 * The key material message (draft-sharabayko-srt-01 §3.2.2): salt and wrapped SEKs, sent as the
 * KMREQ/KMRSP handshake extension and later in user-defined control packets (key refresh). Its
 * bytes are in network order on the wire (libsrt pre-swaps them so its per-word swap cancels).
 */
import { KK_BOTH, KK_EVEN, KK_ODD, MAX_SALT_BYTES, srtError } from "./constants.ts";
import { copyBytes, readU16, readU32, writeU16, writeU32 } from "./packet.ts";

/** S=0, V=1, PT=2 (KMmsg). */
const KM_VERSION = 1;
const KM_PT = 2;
/** 'HAI' as a PnP vendor id. */
export const KM_SIGN = 0x2029;
export const KM_CIPHER_CTR = 2;
export const KM_SE_SRT = 2;
const FIXED_SIZE = 16;
/** RFC 3394: a wrap adds one 64-bit integrity block. */
export const WRAP_OVERHEAD = 8;

export function isValidKeyLength(n: number): boolean {
  return n === 16 || n === 24 || n === 32;
}

export class KeyMaterial {
  /** Which SEKs are wrapped: KK_EVEN, KK_ODD or KK_BOTH (even first). */
  kk: number;
  keki: number;
  cipher: number;
  auth: number;
  se: number;
  salt: Uint8Array;
  /** Bytes of one SEK: 16, 24 or 32. */
  keyLength: number;
  /** 8 + keyLength × (1 or 2) bytes. */
  wrapped: Uint8Array;

  constructor() {
    this.kk = KK_EVEN;
    this.keki = 0;
    this.cipher = KM_CIPHER_CTR;
    this.auth = 0;
    this.se = KM_SE_SRT;
    this.salt = new Uint8Array(16);
    this.keyLength = 16;
    this.wrapped = new Uint8Array(WRAP_OVERHEAD + 16);
  }

  keyCount(): number {
    return this.kk === KK_BOTH ? 2 : 1;
  }

  encodedSize(): number {
    return FIXED_SIZE + this.salt.length + this.wrapped.length;
  }

  encodeTo(buf: Uint8Array, off: number): number {
    buf[off] = (KM_VERSION << 4) | KM_PT;
    writeU16(buf, off + 1, KM_SIGN);
    buf[off + 3] = this.kk & 3;
    writeU32(buf, off + 4, this.keki);
    buf[off + 8] = this.cipher;
    buf[off + 9] = this.auth;
    buf[off + 10] = this.se;
    buf[off + 11] = 0;
    writeU16(buf, off + 12, 0);
    buf[off + 14] = this.salt.length >> 2;
    buf[off + 15] = this.keyLength >> 2;
    buf.set(this.salt, off + FIXED_SIZE);
    buf.set(this.wrapped, off + FIXED_SIZE + this.salt.length);
    return this.encodedSize();
  }
}

/** Decodes a KM message occupying [off, end); salt and wrapped keys are copied out. */
export function decodeKeyMaterial(buf: Uint8Array, off: number, end: number, km: KeyMaterial): number {
  if (end - off < FIXED_SIZE) throw srtError("km-size", `key material ${end - off} bytes < ${FIXED_SIZE}`);
  const b0 = buf[off]!;
  if (b0 >> 7 !== 0 || ((b0 >> 4) & 7) !== KM_VERSION || (b0 & 15) !== KM_PT) {
    throw srtError("km-header", `key material version/type byte 0x${b0.toString(16)} != 0x12`);
  }
  const sign = readU16(buf, off + 1);
  if (sign !== KM_SIGN) throw srtError("km-sign", `key material signature 0x${sign.toString(16)} != 0x2029`);
  const kk = buf[off + 3]! & 3;
  if (kk !== KK_EVEN && kk !== KK_ODD && kk !== KK_BOTH) throw srtError("km-kk", "key material carries no key (KK=0)");
  const saltLength = buf[off + 14]! * 4;
  const keyLength = buf[off + 15]! * 4;
  if (saltLength > MAX_SALT_BYTES) throw srtError("km-salt", `salt ${saltLength} bytes > max ${MAX_SALT_BYTES}`);
  if (!isValidKeyLength(keyLength)) throw srtError("km-key-length", `key length ${keyLength} not 16, 24 or 32`);
  const wrapLength = WRAP_OVERHEAD + keyLength * (kk === KK_BOTH ? 2 : 1);
  const total = FIXED_SIZE + saltLength + wrapLength;
  if (end - off < total) throw srtError("km-size", `key material ${end - off} bytes < ${total}`);
  km.kk = kk;
  km.keki = readU32(buf, off + 4);
  km.cipher = buf[off + 8]!;
  km.auth = buf[off + 9]!;
  km.se = buf[off + 10]!;
  km.keyLength = keyLength;
  km.salt = copyBytes(buf, off + FIXED_SIZE, off + FIXED_SIZE + saltLength);
  km.wrapped = copyBytes(buf, off + FIXED_SIZE + saltLength, off + total);
  return total;
}
