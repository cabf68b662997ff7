/**
 * AAC in ADTS (stream_type 0x0F, ISO/IEC 13818-1 §2.4.4.9 and ISO/IEC 14496-3 §1.A.2.2): a PES holds
 * one or more ADTS frames, each becomes one raw AAC frame. The PES PTS belongs to the first frame that
 * starts in the packet (§2.4.3.7); the n-th gets PTS + n × 1024 samples. The AudioSpecificConfig comes
 * from the ADTS header. A frame cut by the end of a PES is carried into the next one.
 */
import { adtsToAudioSpecificConfig, AAC_SAMPLES_PER_FRAME, describeAac, newAdtsHeader, parseAdtsHeader } from "../../codecs/aac.ts";
import { equalBytes } from "../../core/bytes.ts";
import { ProtocolError } from "../../core/errors.ts";
import { rescale, TS_CLOCK } from "./timestamps.ts";
import type { EsReader, TsDemuxerSink, TsDemuxStats, TsTrack } from "./ts-track.ts";

/** frame_length is 13 bits. */
export const MAX_ADTS_FRAME_SIZE = 0x1fff;
const HEADER_SIZE = 7;
/** A PES timestamp this close to "previous frame + 1024 samples" keeps exact sample timing. */
export const AUDIO_SNAP_MS = 2;

export class AdtsEsReader implements EsReader {
  readonly track: TsTrack;
  private readonly sink: TsDemuxerSink;
  private readonly stats: TsDemuxStats;
  private readonly header = newAdtsHeader();
  /** The header bits the configuration depends on (profile, sampling index, channels), -1 = none yet. */
  private configBits: number;
  /** dts the next frame would have if audio runs on without a gap (NaN: unknown). */
  private nextDts: number;
  private readonly carry: Uint8Array;
  private carryLen: number;
  private carryDts: number;

  constructor(track: TsTrack, sink: TsDemuxerSink, stats: TsDemuxStats) {
    this.track = track;
    this.sink = sink;
    this.stats = stats;
    this.configBits = -1;
    this.nextDts = Number.NaN;
    this.carry = new Uint8Array(MAX_ADTS_FRAME_SIZE);
    this.carryLen = 0;
    this.carryDts = 0;
  }

  discontinuity(): void {
    this.carryLen = 0;
    this.nextDts = Number.NaN;
  }

  pes(buf: Uint8Array, start: number, end: number, pts: number): void {
    let pos = start;
    if (this.carryLen > 0) pos = this.finishCarry(buf, pos, end);
    let n = 0;
    let base = Number.NaN;
    while (pos < end) {
      const len = frameLength(buf, pos, end);
      if (len < 0) {
        this.stats.esErrors++;
        return; // lost the ADTS framing: the rest of this PES is unusable
      }
      if (end - pos >= HEADER_SIZE && !this.configure(buf, pos)) return;
      if (this.configBits < 0) return; // a cut header before any configuration: nothing to time it by
      if (Number.isNaN(base)) base = this.base(pts);
      const dts = base + n * AAC_SAMPLES_PER_FRAME;
      if (len === 0 || len > end - pos) {
        // A frame that the next PES finishes: it keeps this packet's timestamp.
        this.carry.set(buf.subarray(pos, end));
        this.carryLen = end - pos;
        this.carryDts = dts;
        return;
      }
      this.emit(buf, pos, len, dts);
      n++;
      pos += len;
    }
  }

  /** The dts of the first frame starting in this PES, in samples; snapped to the running count. */
  private base(pts: number): number {
    const rate = this.track.clockRate;
    const expected = this.nextDts;
    if (pts < 0) return Number.isNaN(expected) ? 0 : expected;
    const dts = rescale(pts, TS_CLOCK, rate);
    return !Number.isNaN(expected) && Math.abs(dts - expected) <= (AUDIO_SNAP_MS * rate) / 1000 ? expected : dts;
  }

  /** Completes the carried frame from the start of this PES; returns where the PES's own frames start. */
  private finishCarry(buf: Uint8Array, pos: number, end: number): number {
    const c = this.carry;
    while (pos < end) {
      const len = this.carryLen >= HEADER_SIZE ? frameLength(c, 0, this.carryLen) : 0;
      if (len < 0) break;
      const want = len === 0 ? HEADER_SIZE : len;
      const take = Math.min(want - this.carryLen, end - pos);
      c.set(buf.subarray(pos, pos + take), this.carryLen);
      this.carryLen += take;
      pos += take;
      if (len > 0 && this.carryLen === len) {
        this.carryLen = 0;
        if (this.configure(c, 0)) this.emit(c, 0, len, this.carryDts);
        return pos;
      }
    }
    if (pos < end) {
      this.stats.esErrors++;
      this.carryLen = 0;
    }
    return pos;
  }

  private emit(buf: Uint8Array, pos: number, len: number, dts: number): void {
    const headerLength = buf[pos + 1]! & 1 ? 7 : 9;
    if ((buf[pos + 6]! & 3) !== 0) {
      this.stats.esErrors++; // several raw data blocks in one ADTS frame: not split (no muxer in use writes them)
      return;
    }
    this.nextDts = dts + AAC_SAMPLES_PER_FRAME;
    if (this.track.config === null) {
      this.stats.framesDropped++;
      return;
    }
    const size = len - headerLength;
    const out = this.sink.reserve(size);
    out.set(buf.subarray(pos + headerLength, pos + len));
    this.track.frames++;
    this.stats.frames++;
    this.sink.onFrame(this.track, size, dts, dts, true);
  }

  /** Reads the configuration from the whole header at `pos` when its bits changed; false when it is unusable. */
  private configure(buf: Uint8Array, pos: number): boolean {
    const bits = (buf[pos + 2]! << 2) | (buf[pos + 3]! >>> 6);
    if (bits === this.configBits) return true;
    let asc: Uint8Array;
    let rate: number;
    try {
      parseAdtsHeader(buf.subarray(pos, pos + HEADER_SIZE), 0, this.header); // rare: only when the bits change
      rate = this.header.sampleRate;
      asc = adtsToAudioSpecificConfig(this.header);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      this.stats.esErrors++;
      return false;
    }
    this.configBits = bits;
    const t = this.track;
    if (t.config && equalBytes(t.config, asc) && t.clockRate === rate) return true;
    if (t.clockRate !== rate) this.nextDts = Number.NaN;
    t.config = asc;
    t.configVersion++;
    t.clockRate = rate;
    t.info = describeAac(asc);
    this.sink.onTrack(t);
    return true;
  }
}

/** The ADTS frame length at `pos`: 0 when its header is cut by `end`, -1 for no ADTS frame there. */
function frameLength(buf: Uint8Array, pos: number, end: number): number {
  if (end - pos < HEADER_SIZE) return end - pos >= 2 && (buf[pos] !== 0xff || (buf[pos + 1]! & 0xf6) !== 0xf0) ? -1 : 0;
  if (buf[pos] !== 0xff || (buf[pos + 1]! & 0xf6) !== 0xf0) return -1;
  const len = ((buf[pos + 3]! & 3) << 11) | (buf[pos + 4]! << 3) | (buf[pos + 5]! >>> 5);
  return len < (buf[pos + 1]! & 1 ? 7 : 9) ? -1 : len;
}
