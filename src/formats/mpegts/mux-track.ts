/**
 * One track's side of the muxer: its PID, stream_type and stream_id, what its configuration says
 * (parameter sets to repeat before keyframes, the AAC config for ADTS headers, the Opus channel code),
 * and the conversion of a common-format frame into its PES payload: Annex B with an access unit
 * delimiter first (H.264 §7.4.1.2.3, H.265 §7.4.2.4.4), ADTS-framed AAC, or Opus behind its control
 * header.
 */
import { ADTS_HEADER_SIZE, parseAudioSpecificConfig, writeAdtsHeader, type AacConfig } from "../../codecs/aac.ts";
import { parseAvcConfig } from "../../codecs/h264.ts";
import { parseHevcConfig } from "../../codecs/h265.ts";
import { NalReader } from "../../codecs/nal.ts";
import { ProtocolError } from "../../core/errors.ts";
import type { Frame } from "../../core/frame.ts";
import type { Track } from "../../core/track.ts";
import { channelCodeOf, opusControlHeaderSize, writeOpusControlHeader } from "./opus-es.ts";
import { STREAM_ID_AUDIO, STREAM_ID_PRIVATE_1, STREAM_ID_VIDEO } from "./pes.ts";
import { FOURCC_OPUS, STREAM_TYPE_AAC_ADTS, STREAM_TYPE_H264, STREAM_TYPE_H265, STREAM_TYPE_PRIVATE_PES, type PmtStream } from "./psi.ts";

/** Access unit delimiters: primary_pic_type 7 / pic_type 2 ("any"), then the RBSP stop bit. */
const AUD_H264 = Uint8Array.of(0, 0, 0, 1, 0x09, 0xf0);
const AUD_H265 = Uint8Array.of(0, 0, 0, 1, 0x46, 0x01, 0x50);

export class MuxTrack {
  readonly track: Track;
  readonly pid: number;
  readonly video: boolean;
  readonly streamId: number;
  /** What the PMT says about this track; null when it cannot be muxed (codec, or no usable configuration). */
  entry: PmtStream | null;
  configVersion: number;
  /** Next continuity_counter of this PID. */
  cc: number;
  /** dts of the last frame muxed and the gap before it, 90 kHz; NaN / 0 before the first. */
  lastDts90: number;
  lastDuration90: number;
  /** Annex B parameter sets (VPS, SPS, PPS) put before each keyframe that lacks them. */
  private paramSets: Uint8Array;
  private aac: AacConfig | null;
  private readonly nals: NalReader;

  constructor(track: Track, pid: number) {
    this.track = track;
    this.pid = pid;
    this.video = track.kind === "video";
    this.streamId = this.video ? STREAM_ID_VIDEO : track.codec === "opus" ? STREAM_ID_PRIVATE_1 : STREAM_ID_AUDIO;
    this.entry = null;
    this.configVersion = -1;
    this.cc = 0;
    this.lastDts90 = Number.NaN;
    this.lastDuration90 = 0;
    this.paramSets = new Uint8Array(0);
    this.aac = null;
    this.nals = new NalReader();
  }

  /** Reads the track's current configuration (a new version); returns true when the PMT entry changed. */
  configure(): boolean {
    const t = this.track;
    const before = this.entry;
    this.configVersion = t.configVersion;
    this.entry = null;
    try {
      this.entry = t.config && t.clockRate > 0 ? this.readConfig(t.config) : null;
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e; // an unusable configuration: the track is left out
    }
    const after = this.entry;
    return before?.streamType !== after?.streamType || before?.opusChannelCode !== after?.opusChannelCode;
  }

  private readConfig(config: Uint8Array): PmtStream | null {
    const entry: PmtStream = { streamType: 0, pid: this.pid, registration: 0, opusChannelCode: -1 };
    switch (this.track.codec) {
      case "h264": {
        const c = parseAvcConfig(config);
        this.paramSets = annexB([...c.sps, ...c.pps]);
        entry.streamType = STREAM_TYPE_H264;
        return entry;
      }
      case "h265": {
        const c = parseHevcConfig(config);
        this.paramSets = annexB([...c.vps, ...c.sps, ...c.pps]);
        entry.streamType = STREAM_TYPE_H265;
        return entry;
      }
      case "aac":
        this.aac = parseAudioSpecificConfig(config);
        writeAdtsHeader(new Uint8Array(ADTS_HEADER_SIZE), 0, this.aac, 0); // throws for what ADTS cannot say
        entry.streamType = STREAM_TYPE_AAC_ADTS;
        return entry;
      case "opus":
        entry.streamType = STREAM_TYPE_PRIVATE_PES;
        entry.registration = FOURCC_OPUS;
        entry.opusChannelCode = channelCodeOf(config);
        return entry;
      default:
        return null;
    }
  }

  /** Bytes the PES payload of `frame` can take at most (the scratch buffer is grown to this). */
  maxPayloadSize(frame: Frame): number {
    return frame.payload.length + this.paramSets.length + 16 + (frame.payload.length >>> 7);
  }

  /**
   * Writes the PES payload of `frame` at `off`; returns its length. Throws ProtocolError for a payload
   * that is not what the Frame conventions say (NAL lengths past the end, an AAC frame too long for ADTS).
   */
  writePayload(frame: Frame, buf: Uint8Array, off: number): number {
    const p = frame.payload;
    if (this.track.codec === "aac") {
      const n = writeAdtsHeader(buf, off, this.aac!, p.length);
      buf.set(p, off + n);
      return n + p.length;
    }
    if (this.track.codec === "opus") {
      const n = writeOpusControlHeader(buf, off, p.length);
      buf.set(p, off + n);
      return n + p.length;
    }
    return this.writeAccessUnit(frame, buf, off);
  }

  private writeAccessUnit(frame: Frame, buf: Uint8Array, off: number): number {
    const hevc = this.track.codec === "h265";
    const p = frame.payload;
    const r = this.nals;
    let hasParams = false;
    if (frame.keyframe) {
      r.reset(p, 4);
      while (r.next()) if (isParamSet(r.header, hevc)) hasParams = true;
    }
    const aud = hevc ? AUD_H265 : AUD_H264;
    buf.set(aud, off);
    let o = off + aud.length;
    if (frame.keyframe && !hasParams) {
      buf.set(this.paramSets, o);
      o += this.paramSets.length;
    }
    r.reset(p, 4);
    while (r.next()) {
      if (isAud(r.header, hevc) || r.end === r.start) continue; // ours is first
      buf[o] = 0;
      buf[o + 1] = 0;
      buf[o + 2] = 0;
      buf[o + 3] = 1;
      buf.set(p.subarray(r.start, r.end), o + 4);
      o += 4 + r.end - r.start;
    }
    r.reset(EMPTY, 4); // keep no reference to the frame
    return o - off;
  }
}

const EMPTY = new Uint8Array(0);

function isParamSet(header: number, hevc: boolean): boolean {
  if (!hevc) return (header & 0x1f) === 7;
  const t = (header >>> 1) & 0x3f;
  return t === 32 || t === 33;
}

function isAud(header: number, hevc: boolean): boolean {
  return hevc ? ((header >>> 1) & 0x3f) === 35 : (header & 0x1f) === 9;
}

function annexB(nalus: Uint8Array[]): Uint8Array {
  let size = 0;
  for (const n of nalus) size += 4 + n.length;
  const out = new Uint8Array(size);
  let o = 0;
  for (const n of nalus) {
    out[o + 3] = 1;
    out.set(n, o + 4);
    o += 4 + n.length;
  }
  return out;
}
