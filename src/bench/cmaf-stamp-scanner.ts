/**
 * Reads the bench stamps (synthetic.ts) out of CMAF chunks as an LL-HLS part or segment carries them:
 * moof (traf: tfhd, trun) + mdat per track (ISO/IEC 14496-12 §8.8). Only the boxes' headers and the
 * head of each video sample are read: trun gives each sample's size and (with data_offset, counted
 * from the moof: CMAF's default-base-is-moof) where it starts; a sample whose length-prefixed NAL
 * units tile it exactly and hold a slice NAL is video, and its stamp is read right after the slice's
 * NAL header. Anything else (AAC frames) is counted as audio. Malformed input is counted, never thrown.
 */
import { readStampAt, type Stamp } from "./synthetic.ts";

// §8.8.7.1 tfhd flags
const TFHD_BASE_DATA_OFFSET = 0x000001;
const TFHD_SAMPLE_DESCRIPTION_INDEX = 0x000002;
const TFHD_DEFAULT_SAMPLE_DURATION = 0x000008;
const TFHD_DEFAULT_SAMPLE_SIZE = 0x000010;
// §8.8.8.1 trun flags
const TRUN_DATA_OFFSET = 0x000001;
const TRUN_FIRST_SAMPLE_FLAGS = 0x000004;
const TRUN_SAMPLE_DURATION = 0x000100;
const TRUN_SAMPLE_SIZE = 0x000200;
const TRUN_SAMPLE_FLAGS = 0x000400;
const TRUN_COMPOSITION_OFFSET = 0x000800;

const NAL_SLICE = 1;
const NAL_IDR = 5;

export interface CmafStampSink {
  onStamp(seq: number, sendTimeMs: number): void;
}

export class CmafStampScanner {
  videoFrames = 0;
  audioFrames = 0;
  /** Video samples without our stamp. */
  unstamped = 0;
  /** Boxes or samples that did not fit where their headers said. */
  malformed = 0;
  private readonly stamp: Stamp = { seq: 0, sendTimeMs: 0 };

  constructor(private readonly sink: CmafStampSink) {}

  /** Every moof+mdat in `buf` (other top-level boxes, such as styp, are skipped). */
  scan(buf: Uint8Array): void {
    let o = 0;
    while (o + 8 <= buf.length) {
      const size = u32(buf, o);
      if (size < 8 || o + size > buf.length) {
        this.malformed++;
        return;
      }
      if (isType(buf, o + 4, "moof")) this.scanMoof(buf, o, o + size);
      o += size;
    }
  }

  private scanMoof(buf: Uint8Array, moof: number, end: number): void {
    for (let o = moof + 8; o + 8 <= end; ) {
      const size = u32(buf, o);
      if (size < 8 || o + size > end) return void this.malformed++;
      if (isType(buf, o + 4, "traf")) this.scanTraf(buf, moof, o + 8, o + size);
      o += size;
    }
  }

  private scanTraf(buf: Uint8Array, moof: number, start: number, end: number): void {
    let defaultSize = 0;
    for (let o = start; o + 8 <= end; ) {
      const size = u32(buf, o);
      if (size < 16 || o + size > end) return void this.malformed++;
      const flags = u32(buf, o + 8) & 0xffffff;
      if (isType(buf, o + 4, "tfhd")) {
        // Only the moof-relative addressing CMAF prescribes is read.
        if (flags & TFHD_BASE_DATA_OFFSET) return void this.malformed++;
        let f = o + 16;
        if (flags & TFHD_SAMPLE_DESCRIPTION_INDEX) f += 4;
        if (flags & TFHD_DEFAULT_SAMPLE_DURATION) f += 4;
        if (flags & TFHD_DEFAULT_SAMPLE_SIZE) defaultSize = f + 4 <= o + size ? u32(buf, f) : 0;
      } else if (isType(buf, o + 4, "trun")) {
        this.scanTrun(buf, moof, o, o + size, flags, defaultSize);
      }
      o += size;
    }
  }

  private scanTrun(buf: Uint8Array, moof: number, box: number, end: number, flags: number, defaultSize: number): void {
    const count = u32(buf, box + 12);
    let f = box + 16;
    let data = moof;
    if (flags & TRUN_DATA_OFFSET) {
      data = moof + (u32(buf, f) | 0);
      f += 4;
    }
    if (flags & TRUN_FIRST_SAMPLE_FLAGS) f += 4;
    const perSample =
      (flags & TRUN_SAMPLE_DURATION ? 4 : 0) + (flags & TRUN_SAMPLE_SIZE ? 4 : 0) + (flags & TRUN_SAMPLE_FLAGS ? 4 : 0) + (flags & TRUN_COMPOSITION_OFFSET ? 4 : 0);
    if (f + count * perSample > end) return void this.malformed++;
    const sizeAt = flags & TRUN_SAMPLE_DURATION ? 4 : 0;
    for (let i = 0; i < count; i++, f += perSample) {
      const size = flags & TRUN_SAMPLE_SIZE ? u32(buf, f + sizeAt) : defaultSize;
      if (data < 0 || data + size > buf.length) return void this.malformed++;
      this.scanSample(buf, data, data + size);
      data += size;
    }
  }

  private scanSample(buf: Uint8Array, start: number, end: number): void {
    let slice = false;
    for (let o = start; o < end; ) {
      if (o + 5 > end) return void this.audioFrames++;
      const nal = o + 4;
      const len = u32(buf, o);
      if (len === 0 || nal + len > end) return void this.audioFrames++;
      const type = buf[nal]! & 0x1f;
      if (type === NAL_SLICE || type === NAL_IDR) {
        slice = true;
        if (readStampAt(buf, nal + 1, nal + len, this.stamp)) {
          this.videoFrames++;
          this.sink.onStamp(this.stamp.seq, this.stamp.sendTimeMs);
          return;
        }
      }
      o = nal + len;
    }
    if (slice) {
      this.videoFrames++;
      this.unstamped++;
    } else this.audioFrames++;
  }
}

function u32(b: Uint8Array, o: number): number {
  return ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
}

function isType(b: Uint8Array, o: number, t: string): boolean {
  return b[o] === t.charCodeAt(0) && b[o + 1] === t.charCodeAt(1) && b[o + 2] === t.charCodeAt(2) && b[o + 3] === t.charCodeAt(3);
}
