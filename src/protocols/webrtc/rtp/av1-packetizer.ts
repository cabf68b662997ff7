/**
 * AV1 temporal units to RTP payloads, per the AV1 RTP payload specification
 * (aomediacodec.github.io/av1-rtp-spec, v1.0): an aggregation header (§4.4) and OBU elements (§4.3),
 * each OBU sent without its obu_size (obu_has_size_field = 0, as §4.3 recommends), temporal
 * delimiters and tile list OBUs dropped (§5), OBUs cut across packets where they do not fit (Y, Z).
 * W counts the elements when there are at most 3, so the last one goes without a length; more than
 * 3 elements all carry one (W = 0). Before a key frame without its own sequence header the one from
 * the track's av1C goes first, and N marks the first packet of such a new coded video sequence.
 */
import { ObuReader, OBU_SEQUENCE_HEADER, OBU_TEMPORAL_DELIMITER } from "../../../codecs/av1-obu.ts";
import { leb128Size, writeLeb128 } from "../../../codecs/bits.ts";
import { ProtocolError } from "../../../core/errors.ts";
import type { Frame } from "../../../core/frame.ts";
import { VIDEO_CLOCK } from "../../../core/track.ts";
import { MAX_FRAME_BYTES, PayloadBatch, RtpPacketizer, type PacketizerOptions } from "./payload-batch.ts";

export const AGG_Z = 0x80;
export const AGG_Y = 0x40;
export const AGG_N = 0x08;
export const OBU_TILE_LIST = 8;
/** OBUs per temporal unit: tile groups of a big frame plus the rest. */
export const MAX_OBUS_PER_FRAME = 4096;
/** Smallest fragment worth starting at the end of a packet: a 2-byte header and some data. */
const MIN_FRAGMENT = 4;

const EMPTY = new Uint8Array(0);

export class Av1Packetizer extends RtpPacketizer {
  /** The sequence header OBU from the track's av1C (with its obu_size), or empty. */
  private seqHeader: Uint8Array;
  private readonly reader: ObuReader;
  // The temporal unit's OBUs to send: source, header byte(s) [start, payloadStart) minus the size field, payload to end.
  private readonly srcs: Uint8Array[];
  private readonly starts: Int32Array;
  private readonly payloads: Int32Array;
  private readonly ends: Int32Array;
  private newSequence: boolean;
  // The packet being written: its arena offset, write position, aggregation header, element count,
  // and where the last element's length field is.
  private at: number;
  private o: number;
  private agg: number;
  private count: number;
  private lastLenAt: number;
  private lastLenSize: number;

  constructor(opts: PacketizerOptions = {}) {
    super(opts, VIDEO_CLOCK);
    this.seqHeader = EMPTY;
    this.reader = new ObuReader();
    this.srcs = new Array<Uint8Array>(MAX_OBUS_PER_FRAME).fill(EMPTY);
    this.starts = new Int32Array(MAX_OBUS_PER_FRAME);
    this.payloads = new Int32Array(MAX_OBUS_PER_FRAME);
    this.ends = new Int32Array(MAX_OBUS_PER_FRAME);
    this.newSequence = false;
    this.at = this.o = this.agg = this.count = this.lastLenAt = this.lastLenSize = 0;
  }

  /** The track's av1C (ISO av1-isobmff §2.3): its configOBUs' sequence header is kept for key frames. */
  setConfig(av1C: Uint8Array | null): void {
    this.seqHeader = EMPTY;
    if (!av1C || av1C.length <= 4) return;
    const r = this.reader.reset(av1C, 4);
    while (r.next()) {
      if (r.type === OBU_SEQUENCE_HEADER) {
        this.seqHeader = av1C.slice(r.start, r.end);
        break;
      }
    }
    r.reset(EMPTY);
  }

  packetize(frame: Frame, out: PayloadBatch): number {
    const ts = this.timestampOf(frame);
    const n = this.plan(frame.payload, frame.keyframe);
    if (n <= 0) {
      return this.nothing(out, ts, n < 0);
    }
    let bytes = 0;
    for (let i = 0; i < n; i++) bytes += this.ends[i]! - this.starts[i]!;
    const packets = Math.ceil(bytes / (this.maxPayload - 16)) + n;
    out.reset(ts, this.sequenceNumber, packets, bytes + packets * 8 + n * 8);
    const max = this.maxPayload;
    const buf = out.buf;
    this.open(out, this.newSequence ? AGG_N : 0);
    for (let i = 0; i < n; i++) {
      const hdrLen = this.srcs[i]![this.starts[i]!]! & 0x04 ? 2 : 1;
      const total = hdrLen + this.ends[i]! - this.payloads[i]!;
      let done = 0;
      while (done < total) {
        const left = max - (this.o - this.at);
        const remaining = total - done;
        let take = remaining;
        if (leb128Size(remaining) + remaining > left) take = left < MIN_FRAGMENT + 2 ? 0 : left - leb128Size(left);
        if (take > 0) {
          this.lastLenAt = this.o;
          this.lastLenSize = writeLeb128(buf, this.o, take);
          this.o += this.lastLenSize;
          this.copyElement(i, hdrLen, done, take, buf, this.o);
          this.o += take;
          this.count++;
          done += take;
        }
        if (done < total) {
          // the packet is full: the element goes on in the next one (Y here, Z there)
          this.close(out, take > 0, false);
          this.open(out, take > 0 ? AGG_Z : 0);
        }
      }
    }
    this.close(out, false, true);
    this.sequenceNumber = (this.sequenceNumber + out.count) & 0xffff;
    return out.count;
  }

  private open(out: PayloadBatch, agg: number): void {
    this.at = out.begin();
    this.o = this.at + 1;
    this.agg = agg;
    this.count = 0;
  }

  private close(out: PayloadBatch, y: boolean, marker: boolean): void {
    const buf = out.buf;
    let length = this.o - this.at;
    let agg = this.agg;
    if (this.count <= 3) {
      // W = count: the last element goes without its length field (§4.4)
      buf.copyWithin(this.lastLenAt, this.lastLenAt + this.lastLenSize, this.o);
      length -= this.lastLenSize;
      agg |= this.count << 4;
    }
    buf[this.at] = agg | (y ? AGG_Y : 0);
    out.end(length, marker);
  }

  /** Bytes [from, from + len) of OBU i's element form (header without obu_has_size_field, then payload). */
  private copyElement(i: number, hdrLen: number, from: number, len: number, buf: Uint8Array, o: number): void {
    const src = this.srcs[i]!;
    const s = this.starts[i]!;
    while (from < hdrLen && len > 0) {
      buf[o++] = from === 0 ? src[s]! & ~0x02 : src[s + 1]!;
      from++;
      len--;
    }
    if (len > 0) {
      const p = this.payloads[i]! + from - hdrLen;
      buf.set(src.subarray(p, p + len), o);
    }
  }

  /** Lists the OBUs to send; returns their count, or -1 for a temporal unit we refuse. */
  private plan(payload: Uint8Array, keyframe: boolean): number {
    if (payload.length > MAX_FRAME_BYTES) return -1;
    const r = this.reader;
    let n = 0;
    let hasSeq = false;
    this.newSequence = false;
    try {
      r.reset(payload);
      while (r.next()) if (r.type === OBU_SEQUENCE_HEADER) hasSeq = true;
      if (keyframe && !hasSeq && this.seqHeader.length) {
        r.reset(this.seqHeader);
        r.next();
        n = this.add(this.seqHeader, r, n);
        hasSeq = true;
      }
      r.reset(payload);
      while (r.next()) {
        if (r.type === OBU_TEMPORAL_DELIMITER || r.type === OBU_TILE_LIST) continue;
        if (n >= MAX_OBUS_PER_FRAME) return -1;
        n = this.add(payload, r, n);
      }
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      return -1;
    } finally {
      r.reset(EMPTY);
    }
    this.newSequence = keyframe && hasSeq;
    return n;
  }

  private add(src: Uint8Array, r: ObuReader, n: number): number {
    this.srcs[n] = src;
    this.starts[n] = r.start;
    this.payloads[n] = r.payloadStart;
    this.ends[n] = r.end;
    return n + 1;
  }
}
