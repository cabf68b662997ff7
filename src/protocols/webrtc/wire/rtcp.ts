/**
 * RTCP (RFC 3550 §6): the common header, a walker over a compound packet, and the constants of the
 * packet types spate reads and writes. Each packet type has its decoder and encoder beside this
 * file (rtcp-report.ts, rtcp-feedback.ts, rtcp-twcc.ts); decoders take one packet's bounds from
 * the walker and fill a caller-owned object, so reading RTCP allocates nothing.
 */
import { ProtocolError } from "../../../core/errors.ts";

export const RTCP_PROTOCOL = "rtcp";

export function rtcpError(code: string, message: string): ProtocolError {
  return new ProtocolError(RTCP_PROTOCOL, code, message);
}

export const RTCP_HEADER_SIZE = 4;
/** A compound packet is one datagram. */
export const MAX_RTCP_PACKET_SIZE = 1500;

/** RFC 3550 §12.1, RFC 4585 §6.1: packet types. */
export const PT_SR = 200;
export const PT_RR = 201;
export const PT_SDES = 202;
export const PT_BYE = 203;
export const PT_APP = 204;
export const PT_RTPFB = 205;
export const PT_PSFB = 206;

/** RFC 4585 §6.2, draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1: RTPFB formats. */
export const FMT_NACK = 1;
export const FMT_TWCC = 15;
/** RFC 4585 §6.3, RFC 5104 §4.3.1, draft-alvestrand-rmcat-remb-03: PSFB formats. */
export const FMT_PLI = 1;
export const FMT_FIR = 4;
export const FMT_AFB = 15;

export function readU16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

export function readU32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

export function writeU16(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 8;
  b[o + 1] = v;
}

export function writeU32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = v >>> 16;
  b[o + 2] = v >>> 8;
  b[o + 3] = v;
}

/** §6.4.1: V=2, P=0, the 5-bit count (or FMT), the type, and the length in 32-bit words minus one. */
export function writeRtcpHeader(buf: Uint8Array, off: number, count: number, packetType: number, size: number): void {
  buf[off] = 0x80 | (count & 0x1f);
  buf[off + 1] = packetType;
  writeU16(buf, off + 2, (size >>> 2) - 1);
}

/**
 * Walks the packets of a compound RTCP datagram (§6.1). After next() returns true, [start, end)
 * holds the current packet with its header and without its padding.
 */
export class RtcpReader {
  buf: Uint8Array;
  /** Where the next packet starts. */
  offset: number;
  start: number;
  end: number;
  /** RC, SC or FMT: the header's 5-bit field. */
  count: number;
  packetType: number;
  paddingSize: number;

  constructor() {
    this.buf = new Uint8Array(0);
    this.offset = 0;
    this.start = 0;
    this.end = 0;
    this.count = 0;
    this.packetType = 0;
    this.paddingSize = 0;
  }

  reset(buf: Uint8Array): this {
    if (buf.length > MAX_RTCP_PACKET_SIZE) throw rtcpError("packet-size", `datagram ${buf.length} bytes > max ${MAX_RTCP_PACKET_SIZE}`);
    this.buf = buf;
    this.offset = 0;
    this.start = 0;
    this.end = 0;
    return this;
  }

  /** Steps to the next packet; false at the end of the datagram. Throws on a malformed header. */
  next(): boolean {
    const buf = this.buf;
    const at = this.offset;
    if (at >= buf.length) return false;
    if (buf.length - at < RTCP_HEADER_SIZE) throw rtcpError("header", `${buf.length - at} bytes at ${at} are too few for a header`);
    const b0 = buf[at]!;
    if (b0 >>> 6 !== 2) throw rtcpError("version", `version ${b0 >>> 6} != 2 at ${at}`);
    const size = 4 * (readU16(buf, at + 2) + 1);
    if (at + size > buf.length) throw rtcpError("length", `packet length ${size} at ${at} runs past datagram end ${buf.length}`);
    let end = at + size;
    let pad = 0;
    if (b0 & 0x20) {
      // §6.4.1: the last octet counts the padding, itself included.
      pad = buf[end - 1]!;
      if (pad === 0 || pad > size - RTCP_HEADER_SIZE) throw rtcpError("padding", `padding ${pad} bytes in a ${size}-byte packet at ${at}`);
      end -= pad;
    }
    this.start = at;
    this.end = end;
    this.count = b0 & 0x1f;
    this.packetType = buf[at + 1]!;
    this.paddingSize = pad;
    this.offset = at + size;
    return true;
  }
}
