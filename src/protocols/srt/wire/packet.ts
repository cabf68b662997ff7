/**
 * The SRT packet header (draft-sharabayko-srt-01 §3): data packets (§3.1) and the common part of
 * control packets (§3.2). Decoders fill a caller-owned object (the session reuses one per kind, so
 * the hot path allocates nothing) and return the bytes they consumed, 0 when the datagram is too
 * short to hold a header.
 */
import { HEADER_SIZE, MAX_PACKET_SIZE, MSGNO_MASK, PP_SOLO, SEQ_MASK, srtError } from "./constants.ts";

/**
 * A copy of buf[start, end). Not `buf.slice`: on a Node Buffer (what Bun's UDP socket hands out)
 * slice is a view, and what we keep must not alias the datagram.
 */
export function copyBytes(buf: Uint8Array, start: number, end: number): Uint8Array {
  return new Uint8Array(buf.subarray(start, end));
}

export function readU32(b: Uint8Array, off: number): number {
  return ((b[off]! << 24) | (b[off + 1]! << 16) | (b[off + 2]! << 8) | b[off + 3]!) >>> 0;
}

export function readU16(b: Uint8Array, off: number): number {
  return (b[off]! << 8) | b[off + 1]!;
}

export function writeU32(b: Uint8Array, off: number, v: number): void {
  b[off] = v >>> 24;
  b[off + 1] = v >>> 16;
  b[off + 2] = v >>> 8;
  b[off + 3] = v;
}

export function writeU16(b: Uint8Array, off: number, v: number): void {
  b[off] = v >>> 8;
  b[off + 1] = v;
}

/** §3: the F bit. */
export function isControlPacket(buf: Uint8Array): boolean {
  return buf.length > 0 && (buf[0]! & 0x80) !== 0;
}

/** §3.1: the fields of a data packet header. */
export class DataHeader {
  /** 31 bits. */
  seq: number;
  /** PP: PP_FIRST, PP_MIDDLE, PP_LAST or PP_SOLO. */
  position: number;
  inOrder: boolean;
  /** KK: KK_NONE, KK_EVEN or KK_ODD. */
  keyFlag: number;
  retransmitted: boolean;
  /** 26 bits. */
  msgNo: number;
  /** Microseconds since the sender's connection start, wrapping at 2^32. */
  timestamp: number;
  destSocketId: number;

  constructor() {
    this.seq = 0;
    this.position = PP_SOLO;
    this.inOrder = false;
    this.keyFlag = 0;
    this.retransmitted = false;
    this.msgNo = 0;
    this.timestamp = 0;
    this.destSocketId = 0;
  }
}

/** Reads a data packet header; throws on a control packet. */
export function decodeDataHeader(buf: Uint8Array, h: DataHeader): number {
  if (buf.length < HEADER_SIZE) return 0;
  if (buf.length > MAX_PACKET_SIZE) throw srtError("packet-size", `datagram ${buf.length} bytes > max ${MAX_PACKET_SIZE}`);
  const w0 = readU32(buf, 0);
  if (w0 & 0x80000000) throw srtError("not-data", "control packet where a data packet was expected");
  const w1 = readU32(buf, 4);
  h.seq = w0;
  h.position = w1 >>> 30;
  h.inOrder = ((w1 >>> 29) & 1) === 1;
  h.keyFlag = (w1 >>> 27) & 3;
  h.retransmitted = ((w1 >>> 26) & 1) === 1;
  h.msgNo = w1 & MSGNO_MASK;
  h.timestamp = readU32(buf, 8);
  h.destSocketId = readU32(buf, 12);
  return HEADER_SIZE;
}

export function encodeDataHeader(h: DataHeader, buf: Uint8Array, off: number): number {
  writeU32(buf, off, h.seq & SEQ_MASK);
  const w1 =
    ((h.position & 3) << 30) | ((h.inOrder ? 1 : 0) << 29) | ((h.keyFlag & 3) << 27) | ((h.retransmitted ? 1 : 0) << 26) | (h.msgNo & MSGNO_MASK);
  writeU32(buf, off + 4, w1 >>> 0);
  writeU32(buf, off + 8, h.timestamp >>> 0);
  writeU32(buf, off + 12, h.destSocketId >>> 0);
  return HEADER_SIZE;
}

/** Byte 4 bit 2: the R flag, set in place when a stored packet is sent again. */
export const RETRANSMIT_BIT_BYTE = 4;
export const RETRANSMIT_BIT = 0x04;

/** A whole data packet; `payload` is a view into the decoded datagram. */
export class DataPacket extends DataHeader {
  payload: Uint8Array;

  constructor(payload: Uint8Array = new Uint8Array(0)) {
    super();
    this.payload = payload;
  }

  encodedSize(): number {
    return HEADER_SIZE + this.payload.length;
  }

  encodeTo(buf: Uint8Array, off: number): number {
    encodeDataHeader(this, buf, off);
    buf.set(this.payload, off + HEADER_SIZE);
    return HEADER_SIZE + this.payload.length;
  }
}

/** A datagram is one packet: consumes all of it. */
export function decodeDataPacket(buf: Uint8Array, p: DataPacket): number {
  if (decodeDataHeader(buf, p) === 0) return 0;
  p.payload = buf.subarray(HEADER_SIZE);
  return buf.length;
}

/** §3.2: the fields of a control packet header. */
export class ControlHeader {
  /** 15 bits. */
  type: number;
  subtype: number;
  /** Type-specific information (ACK number, message number, error code). */
  info: number;
  timestamp: number;
  destSocketId: number;

  constructor() {
    this.type = 0;
    this.subtype = 0;
    this.info = 0;
    this.timestamp = 0;
    this.destSocketId = 0;
  }
}

export function decodeControlHeader(buf: Uint8Array, h: ControlHeader): number {
  if (buf.length < HEADER_SIZE) return 0;
  if (buf.length > MAX_PACKET_SIZE) throw srtError("packet-size", `datagram ${buf.length} bytes > max ${MAX_PACKET_SIZE}`);
  const w0 = readU32(buf, 0);
  if (!(w0 & 0x80000000)) throw srtError("not-control", "data packet where a control packet was expected");
  h.type = (w0 >>> 16) & 0x7fff;
  h.subtype = w0 & 0xffff;
  h.info = readU32(buf, 4);
  h.timestamp = readU32(buf, 8);
  h.destSocketId = readU32(buf, 12);
  return HEADER_SIZE;
}

export function encodeControlHeader(
  buf: Uint8Array,
  off: number,
  type: number,
  subtype: number,
  info: number,
  timestamp: number,
  destSocketId: number,
): number {
  writeU32(buf, off, (0x80000000 | ((type & 0x7fff) << 16) | (subtype & 0xffff)) >>> 0);
  writeU32(buf, off + 4, info >>> 0);
  writeU32(buf, off + 8, timestamp >>> 0);
  writeU32(buf, off + 12, destSocketId >>> 0);
  return HEADER_SIZE;
}

/** A control packet with its control information field (CIF) as raw bytes. */
export class ControlPacket extends ControlHeader {
  body: Uint8Array;

  constructor(body: Uint8Array = new Uint8Array(0)) {
    super();
    this.body = body;
  }

  encodedSize(): number {
    return HEADER_SIZE + this.body.length;
  }

  encodeTo(buf: Uint8Array, off: number): number {
    encodeControlHeader(buf, off, this.type, this.subtype, this.info, this.timestamp, this.destSocketId);
    buf.set(this.body, off + HEADER_SIZE);
    return HEADER_SIZE + this.body.length;
  }
}

export function decodeControlPacket(buf: Uint8Array, p: ControlPacket): number {
  if (decodeControlHeader(buf, p) === 0) return 0;
  p.body = buf.subarray(HEADER_SIZE);
  return buf.length;
}
