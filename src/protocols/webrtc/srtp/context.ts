/**
 * One direction of SRTP and SRTCP (RFC 3711) under one master key: a viewer's outgoing media is
 * one SrtpContext (protect), what it sends us is another (unprotect). Both profiles:
 * AEAD_AES_128_GCM (RFC 7714 §8, §9) and AES_CM_128_HMAC_SHA1_80 (RFC 3711 §4.1.1, §4.2.1).
 *
 * Hot path: `protect(src, len, out, outOff)` reads the RTP packet from `src` and writes the SRTP
 * packet into the caller's preallocated `out` (the header copied, the payload encrypted straight
 * from `src`), returning its length. Nothing is allocated per packet with the libcrypto backend.
 * Failures are returned, never thrown: a negative `SrtpStatus` the caller counts.
 *
 * `out` may be `src` at the same offset (in place); other overlaps are not allowed. When
 * unprotect fails, what it wrote is unspecified: decrypting in place, libcrypto's GCM has already
 * overwritten the payload by the time the tag is found wrong, so the packet is to be dropped.
 */
import { assert } from "../../../core/errors.ts";
import { srtpCrypto } from "./backend.ts";
import { GCM_IV_BYTES, tagsEqual, type CtrCipher, type GcmCipher, type HmacSha1, type SrtpCrypto } from "./crypto.ts";
import { deriveSrtpKeys, type SrtpKeys, type SrtpSessionKeys } from "./kdf.ts";
import { srtpProfile, type SrtpProfile } from "./profile.ts";
import { ReplayWindow } from "./replay-window.ts";
import { RolloverCounter } from "./rollover.ts";

export const SrtpStatus = {
  /** The tag did not verify (wrong key, corrupted, forged, or a wrong ROC guess). */
  AuthFailed: -1,
  /** Already received, or older than the replay window. */
  Replayed: -2,
  /** Too short for its header and tag, or not RTP/RTCP version 2. */
  Malformed: -3,
  /** `out` cannot hold the result. */
  NoRoom: -4,
  /** A new SSRC beyond MAX_SRTP_STREAMS. */
  TooManyStreams: -5,
} as const;
export type SrtpStatus = (typeof SrtpStatus)[keyof typeof SrtpStatus];

export function srtpStatusName(code: number): string {
  for (const [k, v] of Object.entries(SrtpStatus)) if (v === code) return k;
  return `ok(${code})`;
}

/** SSRCs one context tracks (a WebRTC session has a handful: audio, video, RTX, RTCP senders). */
export const MAX_SRTP_STREAMS = 64;
const RTP_HEADER_BYTES = 12;
const RTCP_HEADER_BYTES = 8;
/** RFC 3711 §3.4: the E flag and the 31-bit SRTCP index. */
const SRTCP_INDEX_BYTES = 4;
const SRTCP_E_FLAG = 0x8000_0000;
const SRTCP_INDEX_MASK = 0x7fff_ffff;

/** Per-SSRC state, plain numbers so a session can be handed to another process (DESIGN.md). */
export interface SrtpStreamRecord {
  ssrc: number;
  roc: number;
  highestSeq: number;
  started: boolean;
  replayMax: number;
  replayLo: number;
  replayHi: number;
}
export interface SrtcpStreamRecord {
  ssrc: number;
  /** Next index to send (protect). */
  nextIndex: number;
  replayMax: number;
  replayLo: number;
  replayHi: number;
}
/** Session keys as hex. */
export interface SrtpKeysRecord {
  key: string;
  salt: string;
  authKey: string;
}
export interface SrtpContextRecord {
  profile: number;
  rtpKeys: SrtpKeysRecord;
  rtcpKeys: SrtpKeysRecord;
  rtp: SrtpStreamRecord[];
  rtcp: SrtcpStreamRecord[];
}

class RtpStream {
  readonly rollover: RolloverCounter;
  readonly replay: ReplayWindow;
  constructor(rollover = new RolloverCounter(), replay = new ReplayWindow()) {
    this.rollover = rollover;
    this.replay = replay;
  }
}

class RtcpStream {
  nextIndex: number;
  readonly replay: ReplayWindow;
  /** libsrtp (so every browser) and werift send index 1 first; RFC 3711 §3.4 leaves it open. */
  constructor(nextIndex = 1, replay = new ReplayWindow()) {
    this.nextIndex = nextIndex;
    this.replay = replay;
  }
}

/** The ciphers of one kind of packet (RTP or RTCP). */
class SessionCiphers {
  readonly gcm: GcmCipher | null;
  readonly ctr: CtrCipher | null;
  readonly auth: HmacSha1 | null;
  readonly salt: Uint8Array;

  constructor(profile: SrtpProfile, crypto: SrtpCrypto, keys: SrtpSessionKeys) {
    assert(keys.key.length === profile.keyBytes && keys.salt.length === profile.saltBytes && keys.authKey.length === profile.authKeyBytes, `${profile.name} session keys of the wrong size`);
    this.salt = keys.salt.slice();
    this.gcm = profile.aead ? crypto.gcm(keys.key) : null;
    this.ctr = profile.aead ? null : crypto.ctr(keys.key);
    this.auth = profile.aead ? null : crypto.hmacSha1(keys.authKey);
  }

  free(): void {
    this.gcm?.free();
    this.ctr?.free();
    this.auth?.free();
  }
}

export class SrtpContext {
  readonly profile: SrtpProfile;
  private readonly keys: SrtpKeys;
  private readonly rtpKeys: SessionCiphers;
  private readonly rtcpKeys: SessionCiphers;
  private readonly rtpStreams: Map<number, RtpStream>;
  private readonly rtcpStreams: Map<number, RtcpStream>;
  /** The IV / counter block of the packet in hand. */
  private readonly iv: Uint8Array;
  /** ROC (SRTP) for HMAC, or SRTCP AAD (header + E|index) for GCM. */
  private readonly scratch: Uint8Array;
  /** The tag computed on unprotect, compared with the packet's. */
  private readonly tag: Uint8Array;

  /** From session keys; `SrtpContext.fromMasterKey` derives them (RFC 3711 §4.3). */
  constructor(profile: SrtpProfile, keys: SrtpKeys, crypto: SrtpCrypto = srtpCrypto()) {
    this.profile = profile;
    this.keys = keys;
    this.rtpKeys = new SessionCiphers(profile, crypto, keys.rtp);
    this.rtcpKeys = new SessionCiphers(profile, crypto, keys.rtcp);
    this.rtpStreams = new Map();
    this.rtcpStreams = new Map();
    this.iv = new Uint8Array(16);
    this.scratch = new Uint8Array(16);
    this.tag = new Uint8Array(20);
  }

  static fromMasterKey(profile: SrtpProfile, masterKey: Uint8Array, masterSalt: Uint8Array, crypto?: SrtpCrypto): SrtpContext {
    return new SrtpContext(profile, deriveSrtpKeys(profile, masterKey, masterSalt), crypto);
  }

  /** Bytes protect() adds to an RTP packet. */
  get rtpOverhead(): number {
    return this.profile.tagBytes;
  }

  /** Bytes protectRtcp() adds to an RTCP packet. */
  get rtcpOverhead(): number {
    return this.profile.tagBytes + SRTCP_INDEX_BYTES;
  }

  /** SRTP-protects the RTP packet src[srcOff, +len) into out[outOff]: its length, or a negative SrtpStatus. */
  protect(src: Uint8Array, len: number, out: Uint8Array, outOff: number, srcOff = 0): number {
    if (!inBounds(src, srcOff, len) || outOff < 0) return SrtpStatus.Malformed;
    const h = rtpHeaderLength(src, srcOff, len);
    if (h < 0) return SrtpStatus.Malformed;
    const tagBytes = this.profile.tagBytes;
    if (outOff + len + tagBytes > out.length) return SrtpStatus.NoRoom;
    const ssrc = readU32(src, srcOff + 8);
    const stream = this.rtpStream(ssrc);
    if (!stream) return SrtpStatus.TooManyStreams;
    const seq = (src[srcOff + 2]! << 8) | src[srcOff + 3]!;
    let index = stream.rollover.estimate(seq);
    // A sender never has a packet from before its first one; treat it as the first of ROC 0.
    if (index < 0) index = seq;
    stream.rollover.update(index);
    const roc = Math.floor(index / 0x1_0000);
    if (out !== src || outOff !== srcOff) for (let i = 0; i < h; i++) out[outOff + i] = src[srcOff + i]!;
    const k = this.rtpKeys;
    if (k.gcm) {
      this.gcmIv(k.salt, ssrc, roc, seq);
      k.gcm.seal(this.iv, out, outOff, h, src, srcOff + h, len - h, out, outOff + h);
    } else {
      this.ctrIv(k.salt, ssrc, index);
      k.ctr!.xor(this.iv, src, srcOff + h, len - h, out, outOff + h);
      writeU32(this.scratch, 0, roc);
      k.auth!.sign(out, outOff, len, this.scratch, 4, tagBytes, out, outOff + len);
    }
    return len + tagBytes;
  }

  /** Unprotects the SRTP packet src[srcOff, +len) into out[outOff]: the RTP packet's length, or a negative SrtpStatus. */
  unprotect(src: Uint8Array, len: number, out: Uint8Array, outOff: number, srcOff = 0): number {
    if (!inBounds(src, srcOff, len) || outOff < 0) return SrtpStatus.Malformed;
    const tagBytes = this.profile.tagBytes;
    const h = rtpHeaderLength(src, srcOff, len - tagBytes);
    if (h < 0) return SrtpStatus.Malformed;
    const plainLen = len - tagBytes;
    if (outOff + plainLen > out.length) return SrtpStatus.NoRoom;
    const ssrc = readU32(src, srcOff + 8);
    const seq = (src[srcOff + 2]! << 8) | src[srcOff + 3]!;
    const known = this.rtpStreams.get(ssrc);
    if (!known && this.rtpStreams.size >= MAX_SRTP_STREAMS) return SrtpStatus.TooManyStreams;
    const index = known ? known.rollover.estimate(seq) : seq;
    if (index < 0 || (known && !known.replay.check(index))) return SrtpStatus.Replayed;
    const roc = Math.floor(index / 0x1_0000);
    const k = this.rtpKeys;
    if (k.gcm) {
      this.gcmIv(k.salt, ssrc, roc, seq);
      // The header is AAD: read it from src before a copy into out could matter.
      if (!k.gcm.open(this.iv, src, srcOff, h, src, srcOff + h, plainLen - h, out, outOff + h)) return SrtpStatus.AuthFailed;
    } else {
      writeU32(this.scratch, 0, roc);
      k.auth!.sign(src, srcOff, plainLen, this.scratch, 4, tagBytes, this.tag, 0);
      if (!tagsEqual(this.tag, 0, src, srcOff + plainLen, tagBytes)) return SrtpStatus.AuthFailed;
      this.ctrIv(k.salt, ssrc, index);
      k.ctr!.xor(this.iv, src, srcOff + h, plainLen - h, out, outOff + h);
    }
    if (out !== src || outOff !== srcOff) for (let i = 0; i < h; i++) out[outOff + i] = src[srcOff + i]!;
    const stream = known ?? this.addRtpStream(ssrc);
    stream.rollover.update(index);
    stream.replay.accept(index);
    return plainLen;
  }

  /** SRTCP-protects (encrypted, E = 1) the RTCP packet src[srcOff, +len) into out[outOff]. */
  protectRtcp(src: Uint8Array, len: number, out: Uint8Array, outOff: number, srcOff = 0): number {
    if (!inBounds(src, srcOff, len) || outOff < 0) return SrtpStatus.Malformed;
    if (!isRtcp(src, srcOff, len)) return SrtpStatus.Malformed;
    const tagBytes = this.profile.tagBytes;
    if (outOff + len + tagBytes + SRTCP_INDEX_BYTES > out.length) return SrtpStatus.NoRoom;
    const ssrc = readU32(src, srcOff + 4);
    let stream = this.rtcpStreams.get(ssrc);
    if (!stream) {
      if (this.rtcpStreams.size >= MAX_SRTP_STREAMS) return SrtpStatus.TooManyStreams;
      stream = new RtcpStream();
      this.rtcpStreams.set(ssrc, stream);
    }
    const index = stream.nextIndex;
    stream.nextIndex = (index + 1) & SRTCP_INDEX_MASK;
    const word = (SRTCP_E_FLAG | index) >>> 0;
    if (out !== src || outOff !== srcOff) for (let i = 0; i < RTCP_HEADER_BYTES; i++) out[outOff + i] = src[srcOff + i]!;
    const k = this.rtcpKeys;
    const body = len - RTCP_HEADER_BYTES;
    if (k.gcm) {
      // RFC 7714 §9.1, §17: AAD = header and SSRC || E|index; the E|index word follows the tag.
      const aad = this.scratch;
      for (let i = 0; i < RTCP_HEADER_BYTES; i++) aad[i] = src[srcOff + i]!;
      writeU32(aad, RTCP_HEADER_BYTES, word);
      this.gcmRtcpIv(k.salt, ssrc, index);
      k.gcm.seal(this.iv, aad, 0, RTCP_HEADER_BYTES + SRTCP_INDEX_BYTES, src, srcOff + RTCP_HEADER_BYTES, body, out, outOff + RTCP_HEADER_BYTES);
      writeU32(out, outOff + len + tagBytes, word);
    } else {
      // RFC 3711 §3.4: ... encrypted portion | E|index | tag; the tag covers everything before it.
      this.ctrIv(k.salt, ssrc, index);
      k.ctr!.xor(this.iv, src, srcOff + RTCP_HEADER_BYTES, body, out, outOff + RTCP_HEADER_BYTES);
      writeU32(out, outOff + len, word);
      k.auth!.sign(out, outOff, len + SRTCP_INDEX_BYTES, this.scratch, 0, tagBytes, out, outOff + len + SRTCP_INDEX_BYTES);
    }
    return len + tagBytes + SRTCP_INDEX_BYTES;
  }

  /** Unprotects the SRTCP packet src[srcOff, +len) into out[outOff]: the RTCP packet's length, or a negative SrtpStatus. */
  unprotectRtcp(src: Uint8Array, len: number, out: Uint8Array, outOff: number, srcOff = 0): number {
    if (!inBounds(src, srcOff, len) || outOff < 0) return SrtpStatus.Malformed;
    const tagBytes = this.profile.tagBytes;
    const plainLen = len - tagBytes - SRTCP_INDEX_BYTES;
    if (!isRtcp(src, srcOff, plainLen)) return SrtpStatus.Malformed;
    if (outOff + plainLen > out.length) return SrtpStatus.NoRoom;
    const ssrc = readU32(src, srcOff + 4);
    const k = this.rtcpKeys;
    const wordAt = srcOff + (k.gcm ? len - SRTCP_INDEX_BYTES : plainLen);
    const word = readU32(src, wordAt);
    const encrypted = (word & SRTCP_E_FLAG) !== 0;
    const index = word & SRTCP_INDEX_MASK;
    const known = this.rtcpStreams.get(ssrc);
    if (!known && this.rtcpStreams.size >= MAX_SRTP_STREAMS) return SrtpStatus.TooManyStreams;
    if (known && !known.replay.check(index)) return SrtpStatus.Replayed;
    const body = plainLen - RTCP_HEADER_BYTES;
    if (k.gcm) {
      this.gcmRtcpIv(k.salt, ssrc, index);
      if (encrypted) {
        const aad = this.scratch;
        for (let i = 0; i < RTCP_HEADER_BYTES; i++) aad[i] = src[srcOff + i]!;
        writeU32(aad, RTCP_HEADER_BYTES, word);
        if (!k.gcm.open(this.iv, aad, 0, RTCP_HEADER_BYTES + SRTCP_INDEX_BYTES, src, srcOff + RTCP_HEADER_BYTES, body, out, outOff + RTCP_HEADER_BYTES)) return SrtpStatus.AuthFailed;
        if (out !== src || outOff !== srcOff) for (let i = 0; i < RTCP_HEADER_BYTES; i++) out[outOff + i] = src[srcOff + i]!;
      } else {
        // RFC 7714 §9.2 (E = 0): the whole packet and the E|index word are AAD, nothing is encrypted.
        // Rare (browsers always encrypt): the non-contiguous AAD is joined in a fresh buffer.
        const aad = new Uint8Array(plainLen + SRTCP_INDEX_BYTES);
        aad.set(src.subarray(srcOff, srcOff + plainLen), 0);
        writeU32(aad, plainLen, word);
        const tagAt = srcOff + plainLen;
        if (!k.gcm.open(this.iv, aad, 0, aad.length, src, tagAt, 0, out, outOff)) return SrtpStatus.AuthFailed;
        if (out !== src || outOff !== srcOff) out.set(src.subarray(srcOff, srcOff + plainLen), outOff);
      }
    } else {
      k.auth!.sign(src, srcOff, plainLen + SRTCP_INDEX_BYTES, this.scratch, 0, tagBytes, this.tag, 0);
      if (!tagsEqual(this.tag, 0, src, srcOff + plainLen + SRTCP_INDEX_BYTES, tagBytes)) return SrtpStatus.AuthFailed;
      if (encrypted) {
        this.ctrIv(k.salt, ssrc, index);
        k.ctr!.xor(this.iv, src, srcOff + RTCP_HEADER_BYTES, body, out, outOff + RTCP_HEADER_BYTES);
        if (out !== src || outOff !== srcOff) for (let i = 0; i < RTCP_HEADER_BYTES; i++) out[outOff + i] = src[srcOff + i]!;
      } else if (out !== src || outOff !== srcOff) {
        out.set(src.subarray(srcOff, srcOff + plainLen), outOff);
      }
    }
    let stream = known;
    if (!stream) {
      stream = new RtcpStream();
      this.rtcpStreams.set(ssrc, stream);
    }
    stream.replay.accept(index);
    return plainLen;
  }

  /** Frees the native cipher contexts; the context must not be used afterwards. */
  close(): void {
    this.rtpKeys.free();
    this.rtcpKeys.free();
  }

  /** Everything needed to continue this context in another process. */
  toRecord(): SrtpContextRecord {
    return {
      profile: this.profile.id,
      rtpKeys: keysToRecord(this.keys.rtp),
      rtcpKeys: keysToRecord(this.keys.rtcp),
      rtp: [...this.rtpStreams].map(([ssrc, s]) => ({
        ssrc,
        roc: s.rollover.roc,
        highestSeq: s.rollover.highestSeq,
        started: s.rollover.started,
        replayMax: s.replay.max,
        replayLo: s.replay.lo,
        replayHi: s.replay.hi,
      })),
      rtcp: [...this.rtcpStreams].map(([ssrc, s]) => ({ ssrc, nextIndex: s.nextIndex, replayMax: s.replay.max, replayLo: s.replay.lo, replayHi: s.replay.hi })),
    };
  }

  static fromRecord(r: SrtpContextRecord, crypto: SrtpCrypto = srtpCrypto()): SrtpContext {
    const profile = srtpProfile(r.profile);
    assert(profile, `SRTP record with profile ${r.profile}`);
    const ctx = new SrtpContext(profile, { rtp: keysFromRecord(r.rtpKeys), rtcp: keysFromRecord(r.rtcpKeys) }, crypto);
    for (const s of r.rtp) ctx.rtpStreams.set(s.ssrc, new RtpStream(new RolloverCounter(s.roc, s.highestSeq, s.started), new ReplayWindow(s.replayMax, s.replayLo, s.replayHi)));
    for (const s of r.rtcp) ctx.rtcpStreams.set(s.ssrc, new RtcpStream(s.nextIndex, new ReplayWindow(s.replayMax, s.replayLo, s.replayHi)));
    return ctx;
  }

  private rtpStream(ssrc: number): RtpStream | null {
    const s = this.rtpStreams.get(ssrc);
    if (s) return s;
    return this.rtpStreams.size >= MAX_SRTP_STREAMS ? null : this.addRtpStream(ssrc);
  }

  private addRtpStream(ssrc: number): RtpStream {
    const s = new RtpStream();
    this.rtpStreams.set(ssrc, s);
    return s;
  }

  /** RFC 7714 §8.1: 00 00 | SSRC | ROC | SEQ, XOR the 12-byte session salt. */
  private gcmIv(salt: Uint8Array, ssrc: number, roc: number, seq: number): void {
    const iv = this.iv;
    iv[0] = salt[0]!;
    iv[1] = salt[1]!;
    iv[2] = salt[2]! ^ (ssrc >>> 24);
    iv[3] = salt[3]! ^ ((ssrc >>> 16) & 0xff);
    iv[4] = salt[4]! ^ ((ssrc >>> 8) & 0xff);
    iv[5] = salt[5]! ^ (ssrc & 0xff);
    iv[6] = salt[6]! ^ (roc >>> 24);
    iv[7] = salt[7]! ^ ((roc >>> 16) & 0xff);
    iv[8] = salt[8]! ^ ((roc >>> 8) & 0xff);
    iv[9] = salt[9]! ^ (roc & 0xff);
    iv[10] = salt[10]! ^ (seq >>> 8);
    iv[11] = salt[11]! ^ (seq & 0xff);
  }

  /** RFC 7714 §9.1: 00 00 | SSRC | 00 00 | 0 + 31-bit SRTCP index, XOR the session salt. */
  private gcmRtcpIv(salt: Uint8Array, ssrc: number, index: number): void {
    this.gcmIv(salt, ssrc, 0, 0);
    const iv = this.iv;
    iv[8] = salt[8]! ^ (index >>> 24);
    iv[9] = salt[9]! ^ ((index >>> 16) & 0xff);
    iv[10] = salt[10]! ^ ((index >>> 8) & 0xff);
    iv[11] = salt[11]! ^ (index & 0xff);
    for (let i = GCM_IV_BYTES; i < 16; i++) iv[i] = 0;
  }

  /** RFC 3711 §4.1.1: IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16), i the 48-bit index. */
  private ctrIv(salt: Uint8Array, ssrc: number, index: number): void {
    const iv = this.iv;
    const hi = Math.floor(index / 0x1_0000_0000);
    const lo = index >>> 0;
    for (let i = 0; i < 4; i++) iv[i] = salt[i]!;
    iv[4] = salt[4]! ^ (ssrc >>> 24);
    iv[5] = salt[5]! ^ ((ssrc >>> 16) & 0xff);
    iv[6] = salt[6]! ^ ((ssrc >>> 8) & 0xff);
    iv[7] = salt[7]! ^ (ssrc & 0xff);
    iv[8] = salt[8]! ^ ((hi >>> 8) & 0xff);
    iv[9] = salt[9]! ^ (hi & 0xff);
    iv[10] = salt[10]! ^ (lo >>> 24);
    iv[11] = salt[11]! ^ ((lo >>> 16) & 0xff);
    iv[12] = salt[12]! ^ ((lo >>> 8) & 0xff);
    iv[13] = salt[13]! ^ (lo & 0xff);
    iv[14] = 0;
    iv[15] = 0;
  }
}

/** RFC 3550 §5.1: fixed header, CSRCs, extension; -1 when the packet is shorter or not version 2. */
export function rtpHeaderLength(buf: Uint8Array, off: number, len: number): number {
  if (len < RTP_HEADER_BYTES || off + len > buf.length) return -1;
  const b0 = buf[off]!;
  if (b0 >> 6 !== 2) return -1;
  let h = RTP_HEADER_BYTES + 4 * (b0 & 0x0f);
  if (b0 & 0x10) {
    if (h + 4 > len) return -1;
    h += 4 + 4 * ((buf[off + h + 2]! << 8) | buf[off + h + 3]!);
  }
  return h <= len ? h : -1;
}

function keysToRecord(k: SrtpSessionKeys): SrtpKeysRecord {
  const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
  return { key: hex(k.key), salt: hex(k.salt), authKey: hex(k.authKey) };
}

function keysFromRecord(r: SrtpKeysRecord): SrtpSessionKeys {
  const bytes = (s: string) => new Uint8Array(Buffer.from(s, "hex"));
  return { key: bytes(r.key), salt: bytes(r.salt), authKey: bytes(r.authKey) };
}

function inBounds(buf: Uint8Array, off: number, len: number): boolean {
  return off >= 0 && len >= 0 && off + len <= buf.length;
}

function isRtcp(buf: Uint8Array, off: number, len: number): boolean {
  return len >= RTCP_HEADER_BYTES && off + len <= buf.length && buf[off]! >> 6 === 2;
}

function readU32(b: Uint8Array, at: number): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

function writeU32(b: Uint8Array, at: number, v: number): void {
  b[at] = v >>> 24;
  b[at + 1] = (v >>> 16) & 0xff;
  b[at + 2] = (v >>> 8) & 0xff;
  b[at + 3] = v & 0xff;
}
