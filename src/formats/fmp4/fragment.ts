/**
 * One movie fragment of one track (ISO/IEC 14496-12 §8.8): `moof` (mfhd, traf: tfhd, tfdt, trun) and
 * the `mdat` with the samples' payloads, unchanged (length-prefixed NAL units, AV1 OBUs, VP9 frames,
 * raw AAC, Opus packets). Fragments of several tracks written one after another make a CMAF chunk
 * for the muxed init segment (init-segment.ts) with the same track_IDs.
 *
 * A FragmentMuxer is also the reusable sample list: per fragment, `clear()`, `push()` each sample
 * (views: no copy), then `encodedSize(sequenceNumber, lastDuration)` plans and sizes the fragment and
 * `encodeTo(buf, off)` writes it (payloads are copied once, into the mdat). Nothing is allocated per
 * sample or per fragment once the list has grown to the largest fragment.
 *
 *   mux.clear();
 *   for (const f of frames) mux.push(f.dts, f.pts, f.keyframe, f.payload);
 *   const n = mux.encodedSize(seq++, nextDts - lastDts);
 *   mux.encodeTo(buf, off);
 *
 * Layout choices: tfhd has default-base-is-moof (CMAF §7.5.16), so trun's data_offset counts from the
 * moof; tfdt is version 1 (64-bit baseMediaDecodeTime = the first sample's dts); trun is version 1
 * (signed composition offsets: pts < dts is written as it is). Each sample's duration is the dts
 * difference to the next; the last one's is the caller's `lastDuration`. Sample flags go per sample
 * unless every sample is a sync sample, then once as tfhd's default; composition offsets are left out
 * when every pts equals its dts.
 *
 * Errors: timestamps going backwards, a duration or offset past 32 bits, or a fragment past 2^32
 * bytes throw ProtocolError("fmp4", ...) from encodedSize, with the numbers.
 */
import { assert, ProtocolError } from "../../core/errors.ts";
import { EMPTY, type Frame } from "../../core/frame.ts";
import { MAX_BOX_SIZE, writeU32, writeU64 } from "./box-writer.ts";

// §8.8.7.1 tfhd flags
const TFHD_DEFAULT_SAMPLE_FLAGS = 0x000020;
const TFHD_DEFAULT_BASE_IS_MOOF = 0x020000;
// §8.8.8.1 trun flags
const TRUN_DATA_OFFSET = 0x000001;
const TRUN_SAMPLE_DURATION = 0x000100;
const TRUN_SAMPLE_SIZE = 0x000200;
const TRUN_SAMPLE_FLAGS = 0x000400;
const TRUN_COMPOSITION_OFFSET = 0x000800;

/**
 * §8.8.3.1 sample flags: is_leading(2) sample_depends_on(2) sample_is_depended_on(2)
 * sample_has_redundancy(2) padding(3) sample_is_non_sync_sample(1) degradation_priority(16).
 */
export const SYNC_SAMPLE_FLAGS = 0x0200_0000; // depends on no other sample
export const NON_SYNC_SAMPLE_FLAGS = 0x0101_0000; // depends on others, non-sync

const MOOF_HEADER = 8;
const MFHD_SIZE = 16;
const TRAF_HEADER = 8;
const TFHD_SIZE = 16;
const TFDT_SIZE = 20;
const TRUN_HEADER = 20; // box header, version/flags, sample_count, data_offset
const MDAT_HEADER = 8;
const MAX_U32 = 0xffff_ffff;
const MAX_I32 = 0x7fff_ffff;
const MIN_I32 = -0x8000_0000;

export class FragmentMuxer {
  /** track_ID written in tfhd (the one the init segment gives this track). */
  readonly trackId: number;
  /** Samples pushed since the last clear(). */
  count: number;
  /** Parallel arrays, grown by doubling; only [0, count) is meaningful. */
  dts: Float64Array;
  pts: Float64Array;
  keyframe: Uint8Array;
  payloads: Uint8Array[];
  /** Sum of the pushed payloads' lengths. */
  payloadBytes: number;
  // The plan encodedSize made for encodeTo.
  private planSize: number;
  private planSequence: number;
  private planLastDuration: number;
  private planAllSync: boolean;
  private planOffsets: boolean;

  constructor(trackId: number, capacity = 64) {
    if (!Number.isInteger(trackId) || trackId < 1 || trackId > MAX_U32) {
      throw new ProtocolError("fmp4", "invalid", `track_ID ${trackId} outside 1..2^32-1`);
    }
    this.trackId = trackId;
    this.count = 0;
    this.dts = new Float64Array(capacity);
    this.pts = new Float64Array(capacity);
    this.keyframe = new Uint8Array(capacity);
    this.payloads = new Array<Uint8Array>(capacity).fill(EMPTY);
    this.payloadBytes = 0;
    this.planSize = 0;
    this.planSequence = 0;
    this.planLastDuration = 0;
    this.planAllSync = false;
    this.planOffsets = false;
  }

  /** Forgets the samples (and drops the references to their payloads). */
  clear(): void {
    for (let i = 0; i < this.count; i++) this.payloads[i] = EMPTY;
    this.count = 0;
    this.payloadBytes = 0;
    this.planSize = 0;
  }

  /** Adds a sample; `payload` is kept as a view until encodeTo copies it. Times in the track's timescale. */
  push(dts: number, pts: number, keyframe: boolean, payload: Uint8Array): void {
    if (this.count === this.dts.length) this.grow();
    const i = this.count++;
    this.dts[i] = dts;
    this.pts[i] = pts;
    this.keyframe[i] = keyframe ? 1 : 0;
    this.payloads[i] = payload;
    this.payloadBytes += payload.length;
    this.planSize = 0;
  }

  pushFrame(frame: Frame): void {
    this.push(frame.dts, frame.pts, frame.keyframe, frame.payload);
  }

  /**
   * Checks the samples and returns the size of moof+mdat. `lastDuration`: the last sample's duration
   * (the next sample's dts minus its dts, or the previous duration when the next is not known yet).
   */
  encodedSize(sequenceNumber: number, lastDuration: number): number {
    assert(this.count > 0, "a fragment needs at least one sample");
    if (!(Number.isInteger(sequenceNumber) && sequenceNumber >= 0 && sequenceNumber <= MAX_U32)) throw this.error("invalid", `sequence_number ${sequenceNumber} outside 0..2^32-1`);
    if (!(Number.isInteger(lastDuration) && lastDuration >= 0 && lastDuration <= MAX_U32)) throw this.error("invalid", `last sample duration ${lastDuration} outside 0..2^32-1`);
    const n = this.count;
    const dts = this.dts;
    const pts = this.pts;
    if (!(dts[0]! >= 0 && Number.isSafeInteger(dts[0]!))) throw this.error("invalid", `first dts ${dts[0]} is not a non-negative integer (tfdt is unsigned)`);
    let allSync = true;
    let offsets = false;
    for (let i = 0; i < n; i++) {
      if (i > 0) {
        const d = dts[i]! - dts[i - 1]!;
        if (!(d >= 0 && d <= MAX_U32 && Number.isInteger(d))) throw this.error("invalid", `sample ${i} dts ${dts[i]} after ${dts[i - 1]} (duration ${d} is not an integer in 0..2^32-1)`);
      }
      const cto = pts[i]! - dts[i]!;
      if (cto !== 0) {
        if (!(cto >= MIN_I32 && cto <= MAX_I32 && Number.isInteger(cto))) throw this.error("invalid", `sample ${i} pts - dts = ${cto} is not a 32-bit integer`);
        offsets = true;
      }
      if (this.keyframe[i] === 0) allSync = false;
    }
    const perSample = 8 + (allSync ? 0 : 4) + (offsets ? 4 : 0);
    const moof = MOOF_HEADER + MFHD_SIZE + TRAF_HEADER + TFHD_SIZE + (allSync ? 4 : 0) + TFDT_SIZE + TRUN_HEADER + n * perSample;
    const size = moof + MDAT_HEADER + this.payloadBytes;
    if (size > MAX_BOX_SIZE) throw this.error("too-large", `fragment of ${size} bytes > max ${MAX_BOX_SIZE}`);
    this.planSize = size;
    this.planSequence = sequenceNumber;
    this.planLastDuration = lastDuration;
    this.planAllSync = allSync;
    this.planOffsets = offsets;
    return size;
  }

  /** Writes the fragment planned by the last encodedSize() at `offset`; returns the bytes written. */
  encodeTo(buf: Uint8Array, offset: number): number {
    const size = this.planSize;
    assert(size > 0, "encodeTo without encodedSize (or samples pushed since)");
    if (buf.length - offset < size) throw new RangeError(`fragment needs ${size} bytes, ${buf.length - offset} left`);
    const n = this.count;
    const allSync = this.planAllSync;
    const offsets = this.planOffsets;
    const tfhdSize = TFHD_SIZE + (allSync ? 4 : 0);
    const trunSize = TRUN_HEADER + n * (8 + (allSync ? 0 : 4) + (offsets ? 4 : 0));
    const trafSize = TRAF_HEADER + tfhdSize + TFDT_SIZE + trunSize;
    const moofSize = MOOF_HEADER + MFHD_SIZE + trafSize;
    let o = offset;
    o = boxHeader(buf, o, moofSize, 0x6d6f6f66); // moof
    o = boxHeader(buf, o, MFHD_SIZE, 0x6d666864); // mfhd
    writeU32(buf, o, 0);
    writeU32(buf, o + 4, this.planSequence);
    o += 8;
    o = boxHeader(buf, o, trafSize, 0x74726166); // traf
    o = boxHeader(buf, o, tfhdSize, 0x74666864); // tfhd
    writeU32(buf, o, TFHD_DEFAULT_BASE_IS_MOOF | (allSync ? TFHD_DEFAULT_SAMPLE_FLAGS : 0));
    writeU32(buf, o + 4, this.trackId);
    o += 8;
    if (allSync) {
      writeU32(buf, o, SYNC_SAMPLE_FLAGS);
      o += 4;
    }
    o = boxHeader(buf, o, TFDT_SIZE, 0x74666474); // tfdt
    writeU32(buf, o, 0x0100_0000); // version 1
    writeU64(buf, o + 4, this.dts[0]!);
    o += 12;
    o = boxHeader(buf, o, trunSize, 0x7472756e); // trun
    const flags = TRUN_DATA_OFFSET | TRUN_SAMPLE_DURATION | TRUN_SAMPLE_SIZE | (allSync ? 0 : TRUN_SAMPLE_FLAGS) | (offsets ? TRUN_COMPOSITION_OFFSET : 0);
    writeU32(buf, o, 0x0100_0000 | flags); // version 1: signed composition offsets
    writeU32(buf, o + 4, n);
    writeU32(buf, o + 8, moofSize + MDAT_HEADER); // data_offset from the moof (default-base-is-moof)
    o += 12;
    const dts = this.dts;
    for (let i = 0; i < n; i++) {
      writeU32(buf, o, i + 1 < n ? dts[i + 1]! - dts[i]! : this.planLastDuration);
      writeU32(buf, o + 4, this.payloads[i]!.length);
      o += 8;
      if (!allSync) {
        writeU32(buf, o, this.keyframe[i] ? SYNC_SAMPLE_FLAGS : NON_SYNC_SAMPLE_FLAGS);
        o += 4;
      }
      if (offsets) {
        writeU32(buf, o, this.pts[i]! - dts[i]!); // two's complement for negative offsets
        o += 4;
      }
    }
    o = boxHeader(buf, o, MDAT_HEADER + this.payloadBytes, 0x6d646174); // mdat
    for (let i = 0; i < n; i++) {
      const p = this.payloads[i]!;
      buf.set(p, o);
      o += p.length;
    }
    assert(o - offset === size, `fragment wrote ${o - offset} bytes, planned ${size}`);
    return size;
  }

  /** Built only when thrown: the message names the track. */
  private error(code: string, message: string): ProtocolError {
    return new ProtocolError("fmp4", code, `track_ID ${this.trackId}: ${message}`);
  }

  private grow(): void {
    const cap = this.dts.length * 2 || 16;
    const dts = new Float64Array(cap);
    dts.set(this.dts);
    const pts = new Float64Array(cap);
    pts.set(this.pts);
    const key = new Uint8Array(cap);
    key.set(this.keyframe);
    this.dts = dts;
    this.pts = pts;
    this.keyframe = key;
    for (let i = this.payloads.length; i < cap; i++) this.payloads.push(EMPTY);
  }
}

function boxHeader(buf: Uint8Array, o: number, size: number, type: number): number {
  writeU32(buf, o, size);
  writeU32(buf, o + 4, type);
  return o + 8;
}
