/**
 * The handshake CIF (draft-sharabayko-srt-01 §3.2.1) and its HSv5 extensions: HSREQ/HSRSP
 * (§3.2.1.1), KMREQ/KMRSP (§3.2.1.2), stream id (§3.2.1.3) and the congestion/filter/group
 * extensions we only recognise (to refuse them). Strings travel the way libsrt sends them: copied
 * into 32-bit words that are then byte-swapped, so "publish:live/x" is "lbup:hsievil\0\0x/" on the
 * wire (the draft: "stored as 32-bit little endian words").
 */
import {
  EXT_CONGESTION, EXT_FILTER, EXT_GROUP, EXT_HSREQ, EXT_HSRSP, EXT_KMREQ, EXT_KMRSP, EXT_SID, MAX_EXTENSION_BYTES,
  MAX_EXTENSIONS, MAX_STREAM_ID_BYTES, SEQ_MASK, srtError,
} from "./constants.ts";
import { decodeKeyMaterial, KeyMaterial } from "./key-material.ts";
import { copyBytes, readU16, readU32, writeU16, writeU32 } from "./packet.ts";

/** The fixed part: 12 words. */
export const HANDSHAKE_CIF_SIZE = 48;
/** HSREQ/HSRSP contents: version, flags, delays. */
const HS_EXT_WORDS = 3;

/** §3.2.1.1: HSREQ (caller) or HSRSP (listener). */
export class SrtHsExtension {
  /** EXT_HSREQ or EXT_HSRSP. */
  cmd: number;
  srtVersion: number;
  flags: number;
  /** TSBPD delay of the sender of this handshake as a receiver. */
  receiverDelayMs: number;
  /** TSBPD delay it asks its peer to use as a receiver. */
  senderDelayMs: number;

  constructor(cmd: number, srtVersion: number, flags: number, receiverDelayMs: number, senderDelayMs: number) {
    this.cmd = cmd;
    this.srtVersion = srtVersion;
    this.flags = flags;
    this.receiverDelayMs = receiverDelayMs;
    this.senderDelayMs = senderDelayMs;
  }
}

export class Handshake {
  version: number;
  /** 0, or the key length / 8 (2, 3, 4). */
  encryption: number;
  /** Induction: UDT_DGRAM or SRT_MAGIC_CODE; conclusion: HS_EXT_* flags. */
  extension: number;
  initialSeq: number;
  mtu: number;
  flowWindow: number;
  /** HS_* handshake type, or HS_REJECT_BASE + reason. */
  type: number;
  socketId: number;
  cookie: number;
  /** 16 bytes exactly as on the wire (libsrt puts an IPv4 address byte-swapped in word 0). */
  peerIp: Uint8Array;
  hs: SrtHsExtension | null;
  /** 0, EXT_KMREQ or EXT_KMRSP. */
  kmCmd: number;
  km: KeyMaterial | null;
  /** A KMRSP of one word reports a KM_S_* state instead of key material; -1 otherwise. */
  kmState: number;
  streamId: string | null;
  congestion: string | null;
  filter: string | null;
  group: boolean;

  constructor() {
    this.version = 5;
    this.encryption = 0;
    this.extension = 0;
    this.initialSeq = 0;
    this.mtu = 1500;
    this.flowWindow = 8192;
    this.type = 0;
    this.socketId = 0;
    this.cookie = 0;
    this.peerIp = new Uint8Array(16);
    this.hs = null;
    this.kmCmd = 0;
    this.km = null;
    this.kmState = -1;
    this.streamId = null;
    this.congestion = null;
    this.filter = null;
    this.group = false;
  }

  encodedSize(): number {
    let n = HANDSHAKE_CIF_SIZE;
    if (this.hs) n += 4 + HS_EXT_WORDS * 4;
    if (this.streamId !== null) n += 4 + stringWords(this.streamId) * 4;
    if (this.congestion !== null) n += 4 + stringWords(this.congestion) * 4;
    if (this.kmCmd) n += 4 + (this.km ? this.km.encodedSize() : 4);
    return n;
  }

  encodeTo(buf: Uint8Array, off: number): number {
    writeU32(buf, off, this.version);
    writeU16(buf, off + 4, this.encryption);
    writeU16(buf, off + 6, this.extension);
    writeU32(buf, off + 8, this.initialSeq & SEQ_MASK);
    writeU32(buf, off + 12, this.mtu);
    writeU32(buf, off + 16, this.flowWindow);
    writeU32(buf, off + 20, this.type >>> 0);
    writeU32(buf, off + 24, this.socketId >>> 0);
    writeU32(buf, off + 28, this.cookie >>> 0);
    buf.set(this.peerIp.subarray(0, 16), off + 32);
    let at = off + HANDSHAKE_CIF_SIZE;
    if (this.hs) {
      at = extHeader(buf, at, this.hs.cmd, HS_EXT_WORDS);
      writeU32(buf, at, this.hs.srtVersion);
      writeU32(buf, at + 4, this.hs.flags);
      writeU16(buf, at + 8, this.hs.receiverDelayMs);
      writeU16(buf, at + 10, this.hs.senderDelayMs);
      at += 12;
    }
    if (this.streamId !== null) at = encodeStringExt(buf, at, EXT_SID, this.streamId);
    if (this.congestion !== null) at = encodeStringExt(buf, at, EXT_CONGESTION, this.congestion);
    if (this.kmCmd) {
      if (this.km) {
        at = extHeader(buf, at, this.kmCmd, this.km.encodedSize() >> 2);
        at += this.km.encodeTo(buf, at);
      } else {
        at = extHeader(buf, at, this.kmCmd, 1);
        writeU32(buf, at, this.kmState >>> 0);
        at += 4;
      }
    }
    return at - off;
  }
}

function extHeader(buf: Uint8Array, at: number, type: number, words: number): number {
  writeU16(buf, at, type);
  writeU16(buf, at + 2, words);
  return at + 4;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

function stringWords(s: string): number {
  return (encoder.encode(s).length + 3) >> 2;
}

function encodeStringExt(buf: Uint8Array, at: number, type: number, s: string): number {
  const bytes = encoder.encode(s);
  const words = (bytes.length + 3) >> 2;
  at = extHeader(buf, at, type, words);
  for (let w = 0; w < words; w++) {
    for (let i = 0; i < 4; i++) buf[at + w * 4 + 3 - i] = bytes[w * 4 + i] ?? 0;
  }
  return at + words * 4;
}

/** Undoes libsrt's per-word swap; trailing NULs are padding. */
function decodeStringExt(buf: Uint8Array, off: number, words: number, what: string): string {
  const bytes = new Uint8Array(words * 4);
  for (let w = 0; w < words; w++) {
    for (let i = 0; i < 4; i++) bytes[w * 4 + i] = buf[off + w * 4 + 3 - i]!;
  }
  let len = bytes.length;
  while (len > 0 && bytes[len - 1] === 0) len--;
  try {
    return decoder.decode(bytes.subarray(0, len));
  } catch {
    throw srtError("bad-string", `${what} is not UTF-8`);
  }
}

/** Decodes the CIF in [off, end) into `hs` (extensions it does not carry are reset). */
export function decodeHandshake(buf: Uint8Array, off: number, end: number, hs: Handshake): number {
  if (end - off < HANDSHAKE_CIF_SIZE) throw srtError("handshake-size", `handshake ${end - off} bytes < ${HANDSHAKE_CIF_SIZE}`);
  hs.version = readU32(buf, off);
  hs.encryption = readU16(buf, off + 4);
  hs.extension = readU16(buf, off + 6);
  hs.initialSeq = readU32(buf, off + 8) & SEQ_MASK;
  hs.mtu = readU32(buf, off + 12);
  hs.flowWindow = readU32(buf, off + 16);
  hs.type = readU32(buf, off + 20);
  hs.socketId = readU32(buf, off + 24);
  hs.cookie = readU32(buf, off + 28);
  hs.peerIp = copyBytes(buf, off + 32, off + 48);
  hs.hs = null;
  hs.kmCmd = 0;
  hs.km = null;
  hs.kmState = -1;
  hs.streamId = null;
  hs.congestion = null;
  hs.filter = null;
  hs.group = false;
  let at = off + HANDSHAKE_CIF_SIZE;
  let count = 0;
  while (end - at >= 4) {
    if (++count > MAX_EXTENSIONS) throw srtError("extensions", `more than ${MAX_EXTENSIONS} handshake extensions`);
    const type = readU16(buf, at);
    const words = readU16(buf, at + 2);
    const bytes = words * 4;
    if (bytes > MAX_EXTENSION_BYTES) throw srtError("extension-size", `extension ${type} of ${bytes} bytes > max ${MAX_EXTENSION_BYTES}`);
    at += 4;
    if (bytes > end - at) throw srtError("extension-size", `extension ${type} of ${bytes} bytes > ${end - at} left`);
    decodeExtension(buf, at, type, words, hs);
    at += bytes;
  }
  return at - off;
}

function decodeExtension(buf: Uint8Array, at: number, type: number, words: number, hs: Handshake): void {
  switch (type) {
    case EXT_HSREQ:
    case EXT_HSRSP:
      if (words < HS_EXT_WORDS) throw srtError("hs-ext-size", `HSREQ/HSRSP of ${words} words < ${HS_EXT_WORDS}`);
      hs.hs = new SrtHsExtension(type, readU32(buf, at), readU32(buf, at + 4), readU16(buf, at + 8), readU16(buf, at + 10));
      return;
    case EXT_KMREQ:
    case EXT_KMRSP:
      hs.kmCmd = type;
      if (type === EXT_KMRSP && words === 1) {
        hs.kmState = readU32(buf, at);
        hs.km = null;
      } else {
        hs.km = new KeyMaterial();
        decodeKeyMaterial(buf, at, at + words * 4, hs.km);
      }
      return;
    case EXT_SID:
      if (words * 4 > MAX_STREAM_ID_BYTES) throw srtError("stream-id-size", `stream id ${words * 4} bytes > max ${MAX_STREAM_ID_BYTES}`);
      hs.streamId = decodeStringExt(buf, at, words, "stream id");
      return;
    case EXT_CONGESTION:
      hs.congestion = decodeStringExt(buf, at, words, "congestion type");
      return;
    case EXT_FILTER:
      hs.filter = decodeStringExt(buf, at, words, "packet filter");
      return;
    case EXT_GROUP:
      hs.group = true;
      return;
    default:
      return; // unknown extensions are skipped, as libsrt does
  }
}
