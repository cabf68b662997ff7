/**
 * H.264 (stream_type 0x1B) and H.265 (0x24) elementary streams: one Annex B access unit per PES
 * (ISO/IEC 13818-1 §2.14 and §2.17 say a PES starts an access unit; every muxer in use puts one in
 * each) becomes one frame of 4-byte length-prefixed NAL units. Access unit delimiters and filler data
 * are dropped; parameter sets leave the frame for the track configuration (avcC / hvcC), and a
 * changed set is a new configuration. A keyframe holds an IDR (H.264) or IRAP (H.265) picture.
 */
import { describeConfig } from "../../codecs/describe.ts";
import { buildAvcConfig } from "../../codecs/h264.ts";
import { buildHevcConfig } from "../../codecs/h265.ts";
import { equalBytes } from "../../core/bytes.ts";
import { ProtocolError } from "../../core/errors.ts";
import type { TrackInfo } from "../../core/track.ts";
import type { EsReader, TsDemuxerSink, TsDemuxStats, TsTrack } from "./ts-track.ts";

/** NAL units per access unit: an H.264 level 6.2 picture has at most a few hundred slices. */
export const MAX_NALS_PER_ACCESS_UNIT = 4096;
/** Parameter sets of one kind kept per configuration (H.264 allows 32 SPS and 256 PPS; streams use 1). */
const MAX_PARAMETER_SETS = 32;

// NAL roles, per codec, from the nal_unit_type.
const KEEP = 0;
const DROP = 1;
const VPS = 2;
const SPS = 3;
const PPS = 4;
const KEY = 5;

function h264Role(header: number): number {
  const t = header & 0x1f;
  if (t === 5) return KEY;
  if (t === 7) return SPS;
  if (t === 8) return PPS;
  return t === 9 || t === 12 ? DROP : KEEP; // access unit delimiter, filler data
}

function h265Role(header: number): number {
  const t = (header >>> 1) & 0x3f;
  if (t >= 16 && t <= 23) return KEY; // IRAP: BLA, IDR, CRA (§7.4.2.2)
  if (t === 32) return VPS;
  if (t === 33) return SPS;
  if (t === 34) return PPS;
  return t === 35 || t === 38 ? DROP : KEEP; // AUD, FD
}

export class VideoEsReader implements EsReader {
  readonly track: TsTrack;
  private readonly sink: TsDemuxerSink;
  private readonly stats: TsDemuxStats;
  private readonly hevc: boolean;
  private readonly starts: Int32Array;
  private readonly ends: Int32Array;
  private readonly roles: Uint8Array;
  /** Parameter sets of the current configuration (copies), by role VPS, SPS, PPS. */
  private readonly sets: Uint8Array[][];
  private seenKey: boolean;

  constructor(track: TsTrack, sink: TsDemuxerSink, stats: TsDemuxStats) {
    this.track = track;
    this.sink = sink;
    this.stats = stats;
    this.hevc = track.codec === "h265";
    this.starts = new Int32Array(MAX_NALS_PER_ACCESS_UNIT);
    this.ends = new Int32Array(MAX_NALS_PER_ACCESS_UNIT);
    this.roles = new Uint8Array(MAX_NALS_PER_ACCESS_UNIT);
    this.sets = [[], [], [], [], []];
    this.seenKey = false;
  }

  discontinuity(): void {}

  pes(buf: Uint8Array, start: number, end: number, pts: number, dts: number): void {
    const count = this.split(buf, start, end);
    if (count < 0) {
      this.stats.esErrors++;
      return;
    }
    let size = 0;
    let key = false;
    let params = false;
    for (let i = 0; i < count; i++) {
      const role = this.roles[i]!;
      if (role === KEEP || role === KEY) size += 4 + this.ends[i]! - this.starts[i]!;
      if (role === KEY) key = true;
      else if (role >= VPS && role <= PPS) params = true;
    }
    if (params) this.parameterSets(buf, count);
    if (size === 0) return;
    if (this.track.config === null || (!key && !this.seenKey) || pts < 0) {
      this.stats.framesDropped++;
      return;
    }
    if (key) this.seenKey = true;
    const out = this.sink.reserve(size);
    let o = 0;
    for (let i = 0; i < count; i++) {
      const role = this.roles[i]!;
      if (role !== KEEP && role !== KEY) continue;
      const s = this.starts[i]!;
      const len = this.ends[i]! - s;
      out[o] = len >>> 24;
      out[o + 1] = (len >>> 16) & 0xff;
      out[o + 2] = (len >>> 8) & 0xff;
      out[o + 3] = len & 0xff;
      out.set(buf.subarray(s, s + len), o + 4);
      o += 4 + len;
    }
    const d = dts >= 0 ? dts : pts;
    this.track.frames++;
    this.stats.frames++;
    this.sink.onFrame(this.track, size, d, pts < d ? d : pts, key);
  }

  /**
   * Finds the NAL units of the Annex B data in [start, end) (start codes 00 00 01, trailing zero bytes
   * belong to the next start code); returns their count, -1 when there are more than the cap.
   */
  private split(buf: Uint8Array, start: number, end: number): number {
    let count = 0;
    let nal = -1;
    let i = start;
    const last = end - 2;
    while (i < last) {
      const b2 = buf[i + 2]!;
      if (b2 > 1) {
        i += 3;
        continue;
      }
      if (b2 === 1 && buf[i] === 0 && buf[i + 1] === 0) {
        if (nal >= 0 && (count = this.add(buf, nal, i, count)) < 0) return -1;
        nal = i + 3;
        i += 3;
        continue;
      }
      i++;
    }
    if (nal >= 0) count = this.add(buf, nal, end, count);
    return count;
  }

  private add(buf: Uint8Array, s: number, e: number, count: number): number {
    while (e > s && buf[e - 1] === 0) e--;
    if (e <= s) return count;
    if (count >= MAX_NALS_PER_ACCESS_UNIT) return -1;
    this.starts[count] = s;
    this.ends[count] = e;
    this.roles[count] = this.hevc ? h265Role(buf[s]!) : h264Role(buf[s]!);
    return count + 1;
  }

  /** Parameter sets in this access unit: a new configuration when they differ from the current ones. */
  private parameterSets(buf: Uint8Array, count: number): void {
    let changed = false;
    for (let role = VPS; role <= PPS; role++) {
      let n = 0;
      let same = true;
      const cur = this.sets[role]!;
      for (let i = 0; i < count; i++) {
        if (this.roles[i] !== role) continue;
        const nal = buf.subarray(this.starts[i]!, this.ends[i]!);
        if (n >= cur.length || !equalBytes(cur[n]!, nal)) same = false;
        n++;
      }
      if (n === 0 || (same && n === cur.length)) continue; // absent (keep the current ones) or unchanged
      if (n > MAX_PARAMETER_SETS) {
        this.stats.esErrors++;
        return;
      }
      const next: Uint8Array[] = [];
      for (let i = 0; i < count; i++) if (this.roles[i] === role) next.push(buf.slice(this.starts[i]!, this.ends[i]!));
      this.sets[role] = next;
      changed = true;
    }
    if (changed) this.configure();
  }

  private configure(): void {
    const [vps, sps, pps] = [this.sets[VPS]!, this.sets[SPS]!, this.sets[PPS]!];
    if (sps.length === 0 || pps.length === 0 || (this.hevc && vps.length === 0)) return; // wait for the rest
    let config: Uint8Array;
    let info: TrackInfo;
    try {
      config = this.hevc ? buildHevcConfig(vps, sps, pps) : buildAvcConfig(sps, pps);
      info = describeConfig(this.track.codec, config);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      this.stats.esErrors++;
      return;
    }
    const t = this.track;
    if (t.config && equalBytes(t.config, config)) return;
    t.config = config;
    t.configVersion++;
    t.info = info;
    this.sink.onTrack(t);
  }
}
