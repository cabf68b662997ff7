/**
 * VP8 over RTP, RFC 7741: the payload descriptor (§4.2) both ways, frames cut at the max payload
 * (§5: one partition after another, no partition boundaries kept), and a keyframe told by the VP8
 * payload header's P bit (§4.3, RFC 6386 §9.1) in the first packet of the frame.
 */
import type { Frame } from "../../../core/frame.ts";
import { VIDEO_CLOCK } from "../../../core/track.ts";
import { Depacketizer, type DepacketizerOptions, type FrameSink } from "./depacketizer.ts";
import { MAX_FRAME_BYTES, PayloadBatch, RtpPacketizer, type PacketizerOptions } from "./payload-batch.ts";

/** The payload descriptor (§4.2); -1 marks an absent optional field. */
export class Vp8Descriptor {
  /** N: a non-reference frame. */
  nonReference = false;
  /** S: the first packet of a partition. */
  start = false;
  /** PID: the partition index. */
  partition = 0;
  /** 7- or 15-bit PictureID. */
  pictureId = -1;
  /** The PictureID was 15 bits (M). */
  longPictureId = false;
  tl0PicIdx = -1;
  tid = -1;
  /** Y: layer sync. */
  layerSync = false;
  keyIdx = -1;
}

/** Reads the descriptor at the start of `p`; returns its size, 0 when `p` is too short for it. */
export function decodeVp8Descriptor(p: Uint8Array, d: Vp8Descriptor): number {
  if (p.length < 1) return 0;
  const b0 = p[0]!;
  d.nonReference = (b0 & 0x20) !== 0;
  d.start = (b0 & 0x10) !== 0;
  d.partition = b0 & 0x07;
  d.pictureId = d.tl0PicIdx = d.tid = d.keyIdx = -1;
  d.longPictureId = d.layerSync = false;
  if ((b0 & 0x80) === 0) return 1;
  if (p.length < 2) return 0;
  const x = p[1]!;
  let pos = 2;
  if (x & 0x80) {
    if (pos >= p.length) return 0;
    d.longPictureId = (p[pos]! & 0x80) !== 0;
    if (d.longPictureId) {
      if (pos + 1 >= p.length) return 0;
      d.pictureId = ((p[pos]! & 0x7f) << 8) | p[pos + 1]!;
      pos += 2;
    } else {
      d.pictureId = p[pos++]!;
    }
  }
  if (x & 0x40) {
    if (pos >= p.length) return 0;
    d.tl0PicIdx = p[pos++]!;
  }
  if (x & 0x30) {
    if (pos >= p.length) return 0;
    const b = p[pos++]!;
    if (x & 0x20) {
      d.tid = b >>> 6;
      d.layerSync = (b & 0x20) !== 0;
    }
    if (x & 0x10) d.keyIdx = b & 0x1f;
  }
  return pos;
}

/** Descriptor we send: X, S on the frame's first packet, PID 0, and a 15-bit PictureID. */
const DESCRIPTOR_SIZE = 4;

export class Vp8Packetizer extends RtpPacketizer {
  /** 15-bit PictureID of the next frame (§4.2: lets the receiver tell frames apart across losses). */
  pictureId: number;

  constructor(opts: PacketizerOptions & { pictureId?: number } = {}) {
    super(opts, VIDEO_CLOCK);
    this.pictureId = (opts.pictureId ?? 0) & 0x7fff;
  }

  packetize(frame: Frame, out: PayloadBatch): number {
    const p = frame.payload;
    const ts = this.timestampOf(frame);
    const body = this.maxPayload - DESCRIPTOR_SIZE;
    if (p.length === 0 || p.length > MAX_FRAME_BYTES) {
      return this.nothing(out, ts, p.length > 0);
    }
    const packets = Math.ceil(p.length / body);
    out.reset(ts, this.sequenceNumber, packets, p.length + packets * DESCRIPTOR_SIZE);
    const buf = out.buf;
    const pid = this.pictureId;
    for (let pos = 0; pos < p.length; pos += body) {
      const chunk = Math.min(body, p.length - pos);
      const at = out.begin();
      buf[at] = 0x80 | (pos === 0 ? 0x10 : 0);
      buf[at + 1] = 0x80;
      buf[at + 2] = 0x80 | (pid >>> 8);
      buf[at + 3] = pid & 0xff;
      buf.set(p.subarray(pos, pos + chunk), at + DESCRIPTOR_SIZE);
      out.end(DESCRIPTOR_SIZE + chunk, pos + chunk === p.length);
    }
    this.pictureId = (pid + 1) & 0x7fff;
    this.sequenceNumber = (this.sequenceNumber + out.count) & 0xffff;
    return out.count;
  }
}

export class Vp8Depacketizer extends Depacketizer {
  private readonly d: Vp8Descriptor;
  private key: boolean;

  constructor(sink: FrameSink, opts: DepacketizerOptions = {}) {
    super(sink, true, opts);
    this.d = new Vp8Descriptor();
    this.key = false;
  }

  protected begin(): void {
    this.key = false;
  }

  protected startsFrame(p: Uint8Array): boolean {
    const n = decodeVp8Descriptor(p, this.d);
    return n > 0 && this.d.start && this.d.partition === 0;
  }

  protected packet(p: Uint8Array, _marker: boolean): boolean {
    const d = this.d;
    const n = decodeVp8Descriptor(p, d);
    if (n === 0 || n >= p.length) {
      this.stats.malformed++; // §4.2: a descriptor and at least one byte of frame
      return false;
    }
    if (this.size === 0) {
      if (!d.start || d.partition !== 0) {
        this.stats.malformed++; // the frame's first packet is not its start
        return false;
      }
      this.key = (p[n]! & 0x01) === 0; // RFC 6386 §9.1 frame tag: P = 0 for a key frame
    }
    return this.append(p, n, p.length);
  }

  protected finish(): number {
    return this.key ? 1 : 0;
  }
}
