/**
 * VP9 over RTP, draft-ietf-payload-vp9-16 (RFC 9628). Sending: non-flexible mode, one layer, the
 * frame as-is (a superframe, §B.3 of the VP9 spec, stays one frame) cut at the max payload, with
 * the scalability structure and resolution on each key frame. Receiving: both modes; layer frames
 * of one picture (B ... E, several when spatially scaled) are joined back into one superframe; the
 * picture ends at the marker bit. A keyframe is P = 0 on the picture's first packet (B set, spatial
 * layer 0).
 */
import { parseVp9FrameHeader } from "../../../codecs/vp9.ts";
import { ProtocolError } from "../../../core/errors.ts";
import type { Frame } from "../../../core/frame.ts";
import { VIDEO_CLOCK } from "../../../core/track.ts";
import { Depacketizer, type DepacketizerOptions, type FrameSink } from "./depacketizer.ts";
import { MAX_FRAME_BYTES, PayloadBatch, RtpPacketizer, type PacketizerOptions } from "./payload-batch.ts";
import { decodeVp9Descriptor, Vp9Descriptor, vp9DescriptorSize, writeVp9Descriptor } from "./vp9-descriptor.ts";

/** A superframe holds at most 8 frames (VP9 spec §B.3: frames_in_superframe_minus_1 is 3 bits). */
const MAX_LAYER_FRAMES = 8;

export class Vp9Packetizer extends RtpPacketizer {
  /** 15-bit PictureID of the next frame. */
  pictureId: number;

  constructor(opts: PacketizerOptions & { pictureId?: number } = {}) {
    super(opts, VIDEO_CLOCK);
    this.pictureId = (opts.pictureId ?? 0) & 0x7fff;
  }

  packetize(frame: Frame, out: PayloadBatch): number {
    const p = frame.payload;
    const ts = this.timestampOf(frame);
    if (p.length === 0 || p.length > MAX_FRAME_BYTES) {
      return this.nothing(out, ts, p.length > 0);
    }
    let width = 0;
    let height = 0;
    if (frame.keyframe) {
      try {
        const info = parseVp9FrameHeader(p); // key frames only: rare, and the resolution helps receivers
        width = info.width;
        height = info.height;
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw e;
      }
    }
    const first = vp9DescriptorSize(width > 0);
    const rest = vp9DescriptorSize(false);
    const packets = p.length <= this.maxPayload - first ? 1 : 1 + Math.ceil((p.length - (this.maxPayload - first)) / (this.maxPayload - rest));
    out.reset(ts, this.sequenceNumber, packets, p.length + first + packets * rest);
    const buf = out.buf;
    for (let pos = 0; pos < p.length; ) {
      const at = out.begin();
      const room = this.maxPayload - (pos === 0 ? first : rest);
      const chunk = Math.min(room, p.length - pos);
      const last = pos + chunk === p.length;
      const n = writeVp9Descriptor(buf, at, this.pictureId, !frame.keyframe, pos === 0, last, pos === 0 ? width : 0, pos === 0 ? height : 0);
      buf.set(p.subarray(pos, pos + chunk), at + n);
      out.end(n + chunk, last);
      pos += chunk;
    }
    this.pictureId = (this.pictureId + 1) & 0x7fff;
    this.sequenceNumber = (this.sequenceNumber + out.count) & 0xffff;
    return out.count;
  }
}

export class Vp9Depacketizer extends Depacketizer {
  private readonly d: Vp9Descriptor;
  private key: boolean;
  /** A layer frame is open (B seen, E not yet). */
  private inLayer: boolean;
  private layers: number;
  /** Frame offsets where each layer frame starts. */
  private readonly layerStarts: Int32Array;

  constructor(sink: FrameSink, opts: DepacketizerOptions = {}) {
    super(sink, true, opts);
    this.d = new Vp9Descriptor();
    this.key = false;
    this.inLayer = false;
    this.layers = 0;
    this.layerStarts = new Int32Array(MAX_LAYER_FRAMES);
  }

  protected begin(): void {
    this.key = false;
    this.inLayer = false;
    this.layers = 0;
  }

  protected startsFrame(p: Uint8Array): boolean {
    const n = decodeVp9Descriptor(p, this.d);
    return n > 0 && this.d.begin && this.d.sid <= 0;
  }

  protected packet(p: Uint8Array, _marker: boolean): boolean {
    const d = this.d;
    const n = decodeVp9Descriptor(p, d);
    if (n <= 0 || n >= p.length) return this.malformed();
    if (d.begin) {
      if (this.inLayer || this.layers === MAX_LAYER_FRAMES) return this.malformed();
      if (this.layers === 0) {
        if (d.sid > 0) return this.malformed(); // spatial layer 0 lost
        this.key = !d.interPicture;
      }
      this.layerStarts[this.layers++] = this.size;
      this.inLayer = true;
    } else if (!this.inLayer) {
      return this.malformed(); // the first packet of the layer frame is missing
    }
    if (!this.append(p, n, p.length)) return false;
    if (d.end) this.inLayer = false;
    return true;
  }

  protected finish(): number {
    if (this.inLayer || this.layers === 0) {
      this.stats.malformed++; // the picture ended inside a layer frame
      return -1;
    }
    if (this.layers > 1 && !this.superframe()) return -1;
    return this.key ? 1 : 0;
  }

  /** VP9 spec §B.3: an index of the layer frames' sizes (4 bytes each) at the end, between two markers. */
  private superframe(): boolean {
    const count = this.layers;
    if (!this.ensure(2 + 4 * count)) return false;
    const buf = this.buf;
    const marker = 0xc0 | (3 << 3) | (count - 1);
    let o = this.size;
    buf[o++] = marker;
    for (let i = 0; i < count; i++) {
      const size = (i + 1 < count ? this.layerStarts[i + 1]! : this.size) - this.layerStarts[i]!;
      buf[o++] = size & 0xff;
      buf[o++] = (size >>> 8) & 0xff;
      buf[o++] = (size >>> 16) & 0xff;
      buf[o++] = size >>> 24;
    }
    buf[o++] = marker;
    this.size = o;
    return true;
  }

  private malformed(): boolean {
    this.stats.malformed++;
    return false;
  }
}
