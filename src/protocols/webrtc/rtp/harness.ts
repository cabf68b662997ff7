/**
 * Test and fuzz glue: one packetizer and depacketizer per codec by name, the case tables by codec,
 * and a sink that records what comes out (copies: the depacketizer's views live only for a call).
 */
import { buildAvcConfig } from "../../../codecs/h264.ts";
import { Frame } from "../../../core/frame.ts";
import { Av1Depacketizer, type Av1Sink } from "./av1-depacketizer.ts";
import { Av1Packetizer } from "./av1-packetizer.ts";
import { AV1_CASES } from "./av1.cases.ts";
import type { Depacketizer, DepacketizerOptions } from "./depacketizer.ts";
import { H264Depacketizer, type H264Sink } from "./h264-depacketizer.ts";
import { H264Packetizer } from "./h264-packetizer.ts";
import { H264_CASES } from "./h264.cases.ts";
import { OpusDepacketizer, OpusPacketizer } from "./opus.ts";
import { OPUS_CASES } from "./opus.cases.ts";
import type { Packetizer, PacketizerOptions } from "./payload-batch.ts";
import type { DepacketizeCase, FrameCase } from "./rtp-case.ts";
import { Vp8Depacketizer, Vp8Packetizer } from "./vp8.ts";
import { VP8_CASES } from "./vp8.cases.ts";
import { Vp9Depacketizer, Vp9Packetizer } from "./vp9.ts";
import { VP9_CASES } from "./vp9.cases.ts";

export type RtpCodec = "h264" | "opus" | "vp8" | "vp9" | "av1";
export const RTP_CODECS: RtpCodec[] = ["h264", "opus", "vp8", "vp9", "av1"];

export const CASES: Record<RtpCodec, DepacketizeCase[]> = { h264: H264_CASES, opus: OPUS_CASES, vp8: VP8_CASES, vp9: VP9_CASES, av1: AV1_CASES };

export class RecordingSink implements H264Sink, Av1Sink {
  frames: FrameCase[] = [];
  configs: Uint8Array[][] = [];
  /** "config" and "frame" in call order. */
  order: string[] = [];

  onFrame(payload: Uint8Array, timestamp: number, keyframe: boolean): void {
    this.frames.push({ payload: payload.slice(), timestamp, keyframe });
    this.order.push("frame");
  }

  onParameterSets(sps: Uint8Array, pps: Uint8Array): void {
    this.configs.push([sps.slice(), pps.slice()]);
    this.order.push("config");
  }

  onSequenceHeader(obu: Uint8Array): void {
    this.configs.push([obu.slice()]);
    this.order.push("config");
  }
}

export function depacketizerFor(codec: RtpCodec, sink: RecordingSink | (H264Sink & Av1Sink), opts: DepacketizerOptions = {}): Depacketizer {
  switch (codec) {
    case "h264":
      return new H264Depacketizer(sink, opts);
    case "opus":
      return new OpusDepacketizer(sink, opts);
    case "vp8":
      return new Vp8Depacketizer(sink, opts);
    case "vp9":
      return new Vp9Depacketizer(sink, opts);
    case "av1":
      return new Av1Depacketizer(sink, opts);
  }
}

/** `config`: the track's avcC (H.264) or av1C (AV1). */
export function packetizerFor(codec: RtpCodec, opts: PacketizerOptions & { pictureId?: number } = {}, config: Uint8Array | null = null): Packetizer {
  switch (codec) {
    case "h264": {
      const p = new H264Packetizer(opts);
      p.setConfig(config);
      return p;
    }
    case "opus":
      return new OpusPacketizer(opts);
    case "vp8":
      return new Vp8Packetizer(opts);
    case "vp9":
      return new Vp9Packetizer(opts);
    case "av1": {
      const p = new Av1Packetizer(opts);
      p.setConfig(config);
      return p;
    }
  }
}

/** The track config a case implies: an avcC from its first parameter sets. */
export function caseConfig(codec: RtpCodec, c: DepacketizeCase): Uint8Array | null {
  if (codec === "h264" && c.configs?.length) return buildAvcConfig([c.configs[0]![0]!], [c.configs[0]![1]!]);
  return null;
}

export function makeFrame(payload: Uint8Array, pts: number, keyframe: boolean, dts = pts): Frame {
  const f = new Frame();
  f.payload = payload;
  f.pts = pts;
  f.dts = dts;
  f.keyframe = keyframe;
  return f;
}
