/**
 * RTP payloads to AV1 temporal units, per the AV1 RTP payload specification
 * (aomediacodec.github.io/av1-rtp-spec): the aggregation header (§4.4) and its OBU elements, OBUs
 * cut across packets joined again (Z, Y), each OBU given back its obu_size (obu_has_size_field = 1:
 * the low-overhead form of MP4, our Frame payload), temporal delimiters dropped. An element that
 * already carries obu_size is kept when the size agrees with the element.
 *
 * A keyframe is N on the first packet (a new coded video sequence) or a temporal unit whose first
 * frame is a shown key frame (codecs/av1.ts `av1IsKeyframe`). A sequence header OBU stays in the
 * frame and also goes to the sink's `onSequenceHeader` when it changes (for the track's av1C).
 */
import { OBU_SEQUENCE_HEADER, OBU_TEMPORAL_DELIMITER } from "../../../codecs/av1-obu.ts";
import { av1IsKeyframe } from "../../../codecs/av1.ts";
import { leb128Size, writeLeb128 } from "../../../codecs/bits.ts";
import { ProtocolError } from "../../../core/errors.ts";
import { AGG_N, AGG_Y, AGG_Z } from "./av1-packetizer.ts";
import { Depacketizer, type DepacketizerOptions, type FrameSink } from "./depacketizer.ts";

export interface Av1Sink extends FrameSink {
  /** A new sequence header OBU (with obu_size; a view valid only during the call), before its frame. */
  onSequenceHeader?(obu: Uint8Array): void;
}

/** A sequence header is a few dozen bytes; this leaves room for every operating point. */
export const MAX_SEQUENCE_HEADER_BYTES = 1024;

export class Av1Depacketizer extends Depacketizer {
  private readonly av1Sink: Av1Sink;
  /** Frame offset of the OBU being joined from fragments, -1 for none. */
  private obuStart: number;
  private newSequence: boolean;
  private readonly seqHeader: Uint8Array;
  private seqHeaderLength: number;
  private seqChanged: boolean;
  /** leb128 read result: value, and bytes (0 = truncated or invalid). */
  private lebValue: number;

  constructor(sink: Av1Sink, opts: DepacketizerOptions = {}) {
    super(sink, true, opts);
    this.av1Sink = sink;
    this.obuStart = -1;
    this.newSequence = false;
    this.seqHeader = new Uint8Array(MAX_SEQUENCE_HEADER_BYTES);
    this.seqHeaderLength = 0;
    this.seqChanged = false;
    this.lebValue = 0;
  }

  protected begin(): void {
    this.obuStart = -1;
    this.newSequence = false;
  }

  protected startsFrame(p: Uint8Array): boolean {
    if (p.length < 2 || p[0]! & AGG_Z) return false;
    if (p[0]! & AGG_N) return true;
    let pos = 1;
    if (((p[0]! >>> 4) & 3) !== 1) {
      const n = this.readLeb(p, pos);
      if (n === 0) return false;
      pos += n;
    }
    if (pos >= p.length) return false;
    const type = (p[pos]! >>> 3) & 0x0f;
    return type === OBU_SEQUENCE_HEADER || type === OBU_TEMPORAL_DELIMITER || type === 3 || type === 5 || type === 6;
  }

  protected packet(p: Uint8Array, _marker: boolean): boolean {
    if (p.length < 2) return this.malformed();
    const agg = p[0]!;
    const w = (agg >>> 4) & 3;
    const continues = (agg & AGG_Z) !== 0;
    if (continues !== this.obuStart >= 0) return this.malformed(); // a fragment without its start, or a start left open
    if (this.size === 0 && this.obuStart < 0 && agg & AGG_N) this.newSequence = true;
    let pos = 1;
    let i = 0;
    while (pos < p.length) {
      let len: number;
      if (w !== 0 && i === w - 1) {
        len = p.length - pos;
      } else {
        const n = this.readLeb(p, pos);
        if (n === 0) return this.malformed();
        pos += n;
        len = this.lebValue;
        if (len > p.length - pos) return this.malformed();
      }
      const last = pos + len === p.length;
      if (len > 0) {
        if (!(i === 0 && continues)) this.obuStart = this.size;
        if (!this.append(p, pos, pos + len)) return false;
        if (!(last && agg & AGG_Y) && !this.endObu()) return false;
      } else if (i === 0 && continues) {
        return this.malformed();
      }
      pos += len;
      i++;
    }
    if (w !== 0 && i !== w) return this.malformed();
    if (i === 0) return this.malformed();
    return true;
  }

  protected finish(): number {
    if (this.obuStart >= 0) {
      this.stats.malformed++; // the temporal unit ended inside a fragmented OBU
      return -1;
    }
    if (this.seqChanged) {
      this.seqChanged = false;
      this.av1Sink.onSequenceHeader?.(this.seqHeader.subarray(0, this.seqHeaderLength));
    }
    if (this.newSequence) return 1;
    try {
      return av1IsKeyframe(this.buf.subarray(0, this.size)) ? 1 : 0;
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      this.stats.malformed++;
      return -1;
    }
  }

  /** The OBU at obuStart is whole: give it its obu_size (§5.3.1 of the AV1 spec), or drop it. */
  private endObu(): boolean {
    const at = this.obuStart;
    this.obuStart = -1;
    const total = this.size - at;
    const h = this.buf[at]!;
    if (h & 0x80) return this.malformed(); // obu_forbidden_bit
    const type = (h >>> 3) & 0x0f;
    const hdrLen = h & 0x04 ? 2 : 1;
    if (total < hdrLen) return this.malformed();
    if (type === OBU_TEMPORAL_DELIMITER) {
      this.size = at;
      return true;
    }
    if (h & 0x02) {
      const n = this.readLeb(this.buf, at + hdrLen, this.size);
      if (n === 0 || hdrLen + n + this.lebValue !== total) return this.malformed();
    } else {
      const payload = total - hdrLen;
      const n = leb128Size(payload);
      if (!this.ensure(n)) return false;
      const buf = this.buf;
      buf.copyWithin(at + hdrLen + n, at + hdrLen, this.size);
      writeLeb128(buf, at + hdrLen, payload);
      buf[at] = h | 0x02;
      this.size += n;
    }
    if (type === OBU_SEQUENCE_HEADER) this.sequenceHeader(at);
    return true;
  }

  private sequenceHeader(at: number): void {
    const len = this.size - at;
    if (len > MAX_SEQUENCE_HEADER_BYTES) return;
    const cur = this.seqHeader;
    if (len === this.seqHeaderLength) {
      let same = true;
      for (let i = 0; i < len && same; i++) same = cur[i] === this.buf[at + i];
      if (same) return;
    }
    cur.set(this.buf.subarray(at, this.size));
    this.seqHeaderLength = len;
    this.seqChanged = true;
  }

  /** leb128 (AV1 spec §4.10.5) at `pos`, up to 8 bytes and 2^32 - 1: bytes read, 0 when truncated or too big. */
  private readLeb(p: Uint8Array, pos: number, end = p.length): number {
    let value = 0;
    for (let i = 0; i < 8 && pos + i < end; i++) {
      const b = p[pos + i]!;
      value += (b & 0x7f) * 2 ** (7 * i);
      if ((b & 0x80) === 0) {
        if (value > 0xffffffff) return 0;
        this.lebValue = value;
        return i + 1;
      }
    }
    return 0;
  }

  private malformed(): boolean {
    this.stats.malformed++;
    return false;
  }
}
