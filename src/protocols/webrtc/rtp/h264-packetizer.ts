/**
 * H.264 frames to RTP payloads, RFC 6184 packetization-mode=1 (non-interleaved): small NAL units
 * are aggregated into STAP-A (§5.7.1), NAL units that fit alone go as single NAL unit packets
 * (§5.6), bigger ones are cut into FU-A (§5.8). Before every keyframe the SPS and PPS of the track's
 * avcC go first (in a STAP-A with whatever follows), so a viewer can join at any keyframe without
 * sprop-parameter-sets. Access unit delimiters and filler data are not sent.
 */
import { parseAvcConfig } from "../../../codecs/h264.ts";
import type { Frame } from "../../../core/frame.ts";
import { VIDEO_CLOCK } from "../../../core/track.ts";
import { MAX_FRAME_BYTES, PayloadBatch, RtpPacketizer, type PacketizerOptions } from "./payload-batch.ts";

export const NAL_STAP_A = 24;
export const NAL_STAP_B = 25;
export const NAL_MTAP16 = 26;
export const NAL_MTAP24 = 27;
export const NAL_FU_A = 28;
export const NAL_FU_B = 29;

const FU_HEADER_SIZE = 2;
const STAP_HEADER_SIZE = 1;
const STAP_NAL_SIZE_SIZE = 2;
/** NAL units per frame: as many as MPEG-TS ingest takes (video-es.ts), plus the parameter sets. */
export const MAX_NALS_PER_FRAME = 4096 + 64;

const EMPTY = new Uint8Array(0);

export class H264Packetizer extends RtpPacketizer {
  private lengthSize: number;
  /** SPS and PPS from the track's avcC, sent before each keyframe. */
  private params: Uint8Array[];
  // The frame's NAL units (views), planned before anything is written.
  private readonly srcs: Uint8Array[];
  private readonly starts: Int32Array;
  private readonly ends: Int32Array;

  constructor(opts: PacketizerOptions = {}) {
    super(opts, VIDEO_CLOCK);
    this.lengthSize = 4;
    this.params = [];
    this.srcs = new Array<Uint8Array>(MAX_NALS_PER_FRAME).fill(EMPTY);
    this.starts = new Int32Array(MAX_NALS_PER_FRAME);
    this.ends = new Int32Array(MAX_NALS_PER_FRAME);
  }

  /** The track's avcC (on start and when its configVersion changes); null forgets the parameter sets. */
  setConfig(avcC: Uint8Array | null): void {
    if (!avcC) {
      this.params = [];
      return;
    }
    const cfg = parseAvcConfig(avcC);
    this.lengthSize = cfg.nalLengthSize;
    this.params = [...cfg.sps, ...cfg.pps].map((p) => p.slice());
  }

  /**
   * Writes the frame's payloads into `out` (reset first); returns their count, 0 for a frame
   * refused (counted) or with nothing to send. The last payload has the marker bit.
   */
  packetize(frame: Frame, out: PayloadBatch): number {
    const n = this.plan(frame.payload, frame.keyframe);
    const ts = this.timestampOf(frame);
    if (n <= 0) {
      return this.nothing(out, ts, n < 0);
    }
    let bytes = 0;
    let packets = 0;
    const body = this.maxPayload - FU_HEADER_SIZE;
    for (let i = 0; i < n; i++) {
      const len = this.ends[i]! - this.starts[i]!;
      const frags = len > this.maxPayload ? Math.ceil((len - 1) / body) : 1;
      packets += frags;
      bytes += len + STAP_NAL_SIZE_SIZE + STAP_HEADER_SIZE + frags * FU_HEADER_SIZE;
    }
    out.reset(ts, this.sequenceNumber, packets, bytes);
    for (let i = 0; i < n; ) {
      const len = this.ends[i]! - this.starts[i]!;
      if (len > this.maxPayload) {
        this.fragment(i, i === n - 1, out);
        i++;
        continue;
      }
      // Aggregate the following NAL units that fit with this one (§5.7.1).
      let j = i + 1;
      let size = STAP_HEADER_SIZE + STAP_NAL_SIZE_SIZE + len;
      while (j < n) {
        const next = STAP_NAL_SIZE_SIZE + this.ends[j]! - this.starts[j]!;
        if (size + next > this.maxPayload) break;
        size += next;
        j++;
      }
      if (j === i + 1) this.single(i, j === n, out);
      else this.aggregate(i, j, j === n, out);
      i = j;
    }
    this.sequenceNumber = (this.sequenceNumber + out.count) & 0xffff;
    return out.count;
  }

  /** Lists the NAL units to send; returns their count, or -1 for a frame we refuse. */
  private plan(payload: Uint8Array, keyframe: boolean): number {
    if (payload.length > MAX_FRAME_BYTES) return -1;
    let n = 0;
    if (keyframe) {
      for (const p of this.params) {
        this.srcs[n] = p;
        this.starts[n] = 0;
        this.ends[n++] = p.length;
      }
    }
    const inject = n > 0;
    const ls = this.lengthSize;
    let pos = 0;
    while (pos < payload.length) {
      if (payload.length - pos < ls) return -1;
      let len = 0;
      for (let k = 0; k < ls; k++) len = len * 256 + payload[pos + k]!;
      pos += ls;
      if (len > payload.length - pos) return -1;
      const start = pos;
      pos += len;
      if (len === 0) continue;
      const type = payload[start]! & 0x1f;
      if (type === 9 || type === 12) continue; // access unit delimiter, filler data
      if (inject && (type === 7 || type === 8)) continue; // sent from the avcC already
      if (n >= MAX_NALS_PER_FRAME) return -1;
      this.srcs[n] = payload;
      this.starts[n] = start;
      this.ends[n++] = pos;
    }
    return n;
  }

  private single(i: number, last: boolean, out: PayloadBatch): void {
    const at = out.begin();
    const len = this.ends[i]! - this.starts[i]!;
    out.buf.set(this.srcs[i]!.subarray(this.starts[i]!, this.ends[i]!), at);
    out.end(len, last);
  }

  /** STAP-A of NAL units [i, j): F is the OR and NRI the highest of theirs (§5.7.1). */
  private aggregate(i: number, j: number, last: boolean, out: PayloadBatch): void {
    const buf = out.buf;
    const at = out.begin();
    let o = at + STAP_HEADER_SIZE;
    let f = 0;
    let nri = 0;
    for (let k = i; k < j; k++) {
      const src = this.srcs[k]!;
      const s = this.starts[k]!;
      const len = this.ends[k]! - s;
      const h = src[s]!;
      f |= h & 0x80;
      if ((h & 0x60) > nri) nri = h & 0x60;
      buf[o] = len >>> 8;
      buf[o + 1] = len & 0xff;
      buf.set(src.subarray(s, s + len), o + 2);
      o += 2 + len;
    }
    buf[at] = f | nri | NAL_STAP_A;
    out.end(o - at, last);
  }

  /** FU-A (§5.8): the NAL header is split into the FU indicator and header; its body is cut up. */
  private fragment(i: number, lastNal: boolean, out: PayloadBatch): void {
    const src = this.srcs[i]!;
    const h = src[this.starts[i]!]!;
    const end = this.ends[i]!;
    const body = this.maxPayload - FU_HEADER_SIZE;
    const buf = out.buf;
    for (let pos = this.starts[i]! + 1; pos < end; pos += body) {
      const chunk = Math.min(body, end - pos);
      const at = out.begin();
      const isLast = pos + chunk >= end;
      buf[at] = (h & 0xe0) | NAL_FU_A;
      buf[at + 1] = (pos === this.starts[i]! + 1 ? 0x80 : 0) | (isLast ? 0x40 : 0) | (h & 0x1f);
      buf.set(src.subarray(pos, pos + chunk), at + FU_HEADER_SIZE);
      out.end(FU_HEADER_SIZE + chunk, lastNal && isLast);
    }
  }
}
