/**
 * The RTP header extensions spate sends and reads (negotiated by a=extmap, RFC 8285): the BUNDLE
 * mid (RFC 8843 §15.2), abs-send-time (webrtc.org, 6.18 fixed-point seconds) and the transport-wide
 * sequence number (draft-holmer-rmcat-transport-wide-cc-extensions-01 §2). Sent in the one-byte
 * form (RFC 8285 §4.2); the offsets of the values are exposed so one packet encoded per stream can
 * be patched per viewer.
 */
import { assert } from "../../../core/errors.ts";
import { PROFILE_ONE_BYTE, type RtpPacket, writeU16 } from "./rtp.ts";

export const URI_MID = "urn:ietf:params:rtp-hdrext:sdes:mid";
export const URI_ABS_SEND_TIME = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time";
export const URI_TRANSPORT_CC = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";

/** RFC 8285 §4.2: a one-byte element holds 1..16 bytes; ids 1..14. */
export const MAX_ONE_BYTE_LENGTH = 16;
export const MAX_ONE_BYTE_ID = 14;
const MAX_MID_BYTES = MAX_ONE_BYTE_LENGTH;

/** abs-send-time wraps every 64 s: 24 bits of 6.18 fixed-point seconds. */
export function absSendTimeFromMs(ms: number): number {
  return Math.floor(ms * 262.144) % 0x1000000;
}

/** Signed difference a - b of two abs-send-time values in microseconds, wrap-aware. */
export function absSendTimeDiffUs(a: number, b: number): number {
  let d = (a - b) & 0xffffff;
  if (d >= 0x800000) d -= 0x1000000;
  return (d * 1e6) / 262144;
}

/** A one-byte extension block with any of mid, abs-send-time and transport-cc; id 0 leaves one out. */
export class RtpSendExtensions {
  midId: number;
  readonly mid: Uint8Array;
  midLength: number;
  absSendTimeId: number;
  /** 24 bits: absSendTimeFromMs(). */
  absSendTime: number;
  transportCcId: number;
  /** 16 bits. */
  transportCcSeq: number;

  constructor() {
    this.midId = 0;
    this.mid = new Uint8Array(MAX_MID_BYTES);
    this.midLength = 0;
    this.absSendTimeId = 0;
    this.absSendTime = 0;
    this.transportCcId = 0;
    this.transportCcSeq = 0;
  }

  setMid(id: number, mid: string): void {
    assert(id >= 0 && id <= MAX_ONE_BYTE_ID, `one-byte extension id ${id} outside 1..14`);
    assert(mid.length >= 1 && mid.length <= MAX_MID_BYTES, `mid "${mid}" is not 1..16 bytes`);
    this.midId = id;
    for (let i = 0; i < mid.length; i++) this.mid[i] = mid.charCodeAt(i);
    this.midLength = mid.length;
  }

  hasAny(): boolean {
    return this.midId !== 0 || this.absSendTimeId !== 0 || this.transportCcId !== 0;
  }

  private elementsSize(): number {
    return (this.midId ? 1 + this.midLength : 0) + (this.absSendTimeId ? 4 : 0) + (this.transportCcId ? 3 : 0);
  }

  /** The whole block: 4-byte header and elements padded to 32 bits. */
  encodedSize(): number {
    return 4 + ((this.elementsSize() + 3) & ~3);
  }

  /** Offset of the 3-byte abs-send-time value from the block start, -1 when not sent. */
  absSendTimeOffset(): number {
    return this.absSendTimeId ? 4 + (this.midId ? 1 + this.midLength : 0) + 1 : -1;
  }

  /** Offset of the 2-byte transport-cc value from the block start, -1 when not sent. */
  transportCcOffset(): number {
    return this.transportCcId ? 4 + (this.midId ? 1 + this.midLength : 0) + (this.absSendTimeId ? 4 : 0) + 1 : -1;
  }

  encodeTo(buf: Uint8Array, off: number): number {
    assert(this.absSendTimeId <= MAX_ONE_BYTE_ID && this.transportCcId <= MAX_ONE_BYTE_ID, "one-byte extension ids are 1..14");
    const size = this.encodedSize();
    writeU16(buf, off, PROFILE_ONE_BYTE);
    writeU16(buf, off + 2, (size - 4) >>> 2);
    let at = off + 4;
    if (this.midId) {
      buf[at++] = (this.midId << 4) | (this.midLength - 1);
      buf.set(this.mid.subarray(0, this.midLength), at);
      at += this.midLength;
    }
    if (this.absSendTimeId) {
      buf[at] = (this.absSendTimeId << 4) | 2;
      buf[at + 1] = this.absSendTime >>> 16;
      buf[at + 2] = this.absSendTime >>> 8;
      buf[at + 3] = this.absSendTime;
      at += 4;
    }
    if (this.transportCcId) {
      buf[at] = (this.transportCcId << 4) | 1;
      writeU16(buf, at + 1, this.transportCcSeq);
      at += 3;
    }
    buf.fill(0, at, off + size);
    return size;
  }
}

/** The transport-wide sequence number of a decoded packet, -1 when absent or not 2 bytes. */
export function readTransportCc(p: RtpPacket, id: number): number {
  const i = p.extensionIndex(id);
  if (i < 0 || p.extensionLengths[i] !== 2) return -1;
  const s = p.extensionStarts[i]!;
  return (p.buffer[s]! << 8) | p.buffer[s + 1]!;
}

/** The 24-bit abs-send-time of a decoded packet, -1 when absent or not 3 bytes. */
export function readAbsSendTime(p: RtpPacket, id: number): number {
  const i = p.extensionIndex(id);
  if (i < 0 || p.extensionLengths[i] !== 3) return -1;
  const s = p.extensionStarts[i]!;
  const d = p.buffer;
  return (d[s]! << 16) | (d[s + 1]! << 8) | d[s + 2]!;
}

/** The mid of a decoded packet ("" when absent). Allocates a string: look it up once per SSRC, not per packet. */
export function readMid(p: RtpPacket, id: number): string {
  const i = p.extensionIndex(id);
  if (i < 0) return "";
  const s = p.extensionStarts[i]!;
  let out = "";
  for (let k = 0; k < p.extensionLengths[i]!; k++) out += String.fromCharCode(p.buffer[s + k]!);
  return out;
}
