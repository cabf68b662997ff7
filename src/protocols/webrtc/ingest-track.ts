/**
 * One negotiated section of a WHIP publisher: its reorder buffer, its codec's depacketizer and the
 * stream track its frames go to. The track is made when the decoder configuration is known (H.264:
 * SPS/PPS out of the depacketizer, AV1: the sequence header, VP8/VP9: the first keyframe, Opus: at
 * once). Padding-only packets (bandwidth probes) are kept out of the depacketizer's sequence.
 * While the stream has an RTP writer (WHEP viewers), the packets also go to it as they are
 * (forward.ts), and the frames they make are not packetized again.
 */
import { buildAvcConfig, describeAvcConfig } from "../../codecs/h264.ts";
import { buildAv1ConfigFromSequenceHeader, describeAv1Config } from "../../codecs/av1.ts";
import { buildOpusHead, describeOpus } from "../../codecs/opus.ts";
import { buildVpcConfig, describeVpcConfig, parseVp9FrameHeader } from "../../codecs/vp9.ts";
import type { Stream } from "../../core/stream.ts";
import type { Track } from "../../core/track.ts";
import { TrackForward } from "./forward.ts";
import { ReorderBuffer, type PacketDelivery } from "./reorder-buffer.ts";
import type { Av1Sink } from "./rtp/av1-depacketizer.ts";
import { Av1Depacketizer } from "./rtp/av1-depacketizer.ts";
import type { Depacketizer } from "./rtp/depacketizer.ts";
import { H264Depacketizer, type H264Sink } from "./rtp/h264-depacketizer.ts";
import { OpusDepacketizer } from "./rtp/opus.ts";
import { Vp8Depacketizer } from "./rtp/vp8.ts";
import { Vp9Depacketizer } from "./rtp/vp9.ts";
import type { NegotiatedMedia } from "./sdp/answer.ts";
import { decodeRtp, RtpPacket } from "./wire/rtp.ts";
import type { RtpWriter } from "./writer.ts";
import { SequenceUnwrapper, TimestampUnwrapper } from "./wire/rtp-sequence.ts";

/** What a section needs of its publisher (ingest.ts). */
export interface MediaIngestOwner {
  readonly stream: Stream;
  readonly startMs: number;
  now(): number;
  framesIn: number;
  lastKeyframeMs: number;
  /** The stream's RTP writer while WHEP viewers watch: packets are forwarded to it. */
  readonly rtpWriter: RtpWriter | null;
  sendNack(ssrc: number, first: number, count: number): void;
}

/** One negotiated section of the publisher: depacketizer in front of a stream track. */
export class MediaIngest implements H264Sink, Av1Sink, PacketDelivery {
  readonly depacketizer: Depacketizer;
  readonly reorder: ReorderBuffer;
  track: Track | null;
  ssrc: number;
  readonly seq: SequenceUnwrapper;
  readonly ts: TimestampUnwrapper;
  /** Added to the unwrapped RTP timestamp to get the track's dts; NaN before the first frame. */
  base: number;
  packets: number;
  firstSeq: number;
  /** Padding-only packets taken out of the sequence the depacketizer sees. */
  paddingOnly: number;
  /** Frames with the same RTP timestamp as the one before (counted, for the API). */
  repeatedTimestamps: number;
  readonly forward: TrackForward;
  /** What the newest committed frame added to its RTP time in the stream (NaN before the first). */
  private frameDelta: number;
  private lastExt: number;
  private readonly pkt: RtpPacket;

  constructor(
    readonly media: NegotiatedMedia,
    private readonly owner: MediaIngestOwner,
  ) {
    this.depacketizer = makeDepacketizer(media, this);
    this.reorder = new ReorderBuffer(this);
    this.track = null;
    this.ssrc = media.remoteSsrcs[0] ?? 0;
    this.seq = new SequenceUnwrapper();
    this.ts = new TimestampUnwrapper();
    this.base = Number.NaN;
    this.packets = 0;
    this.firstSeq = -1;
    this.paddingOnly = 0;
    this.repeatedTimestamps = 0;
    this.lastExt = Number.NaN;
    this.pkt = new RtpPacket();
    this.forward = new TrackForward(media.codec);
    this.frameDelta = Number.NaN;
  }

  missing(first: number, count: number): void {
    if (this.media.rtcpFb.nack) this.owner.sendNack(this.ssrc, first, count);
  }

  deliver(buf: Uint8Array, len: number): void {
    const p = this.pkt;
    try {
      if (decodeRtp(buf.length === len ? buf : buf.subarray(0, len), p) === 0) return;
    } catch {
      return;
    }
    if (p.payload.length === 0) {
      // RFC 3550 §5.1 padding only: a bandwidth probe sent on the media SSRC (no RTX negotiated).
      // The depacketizer must not see it, nor a hole where it was: later numbers shift down by one.
      this.paddingOnly++;
      return;
    }
    const seq = (p.sequenceNumber - this.paddingOnly) & 0xffff;
    const w = this.owner.rtpWriter;
    // Decided before the depacketizer runs (it may commit this packet's frame), written after it (it
    // may commit the frame before, which the writer then packetizes ahead of this packet).
    const forwarded = this.forward.begin(w, this.track ? this.track.id : -1, this.frameDelta, seq, p);
    this.depacketizer.push(p.payload, p.marker, p.timestamp, seq);
    if (forwarded) this.forward.write(w!, this.frameDelta);
  }

  /** A new RTP writer is about to packetize the stream's newest GOP (its catch-up): TrackForward.prime. */
  primeWriter(w: RtpWriter): void {
    const out = this.track ? w.outs[this.track.id] : null;
    if (!out) return;
    const r = this.owner.stream.ring;
    const from = r.joinSeq();
    let frames = 0;
    if (from >= 0) for (let s = from; s < r.head; s++) if (r.frame(s).track === out.track) frames++;
    this.forward.prime(out, frames);
  }

  onParameterSets(sps: Uint8Array, pps: Uint8Array): void {
    const config = buildAvcConfig([sps], [pps]);
    this.ensureTrack().stream.setConfig(this.track!, config, describeAvcConfig(config));
  }

  onSequenceHeader(obu: Uint8Array): void {
    const config = buildAv1ConfigFromSequenceHeader(obu);
    this.ensureTrack().stream.setConfig(this.track!, config, describeAv1Config(config));
  }

  onFrame(payload: Uint8Array, timestamp: number, keyframe: boolean): void {
    const codec = this.media.codec;
    if (!this.track) {
      // Video waits for what its decoder configuration comes from; audio starts at once.
      if (codec === "h264" || codec === "av1") return;
      if (codec === "vp8" || codec === "vp9") {
        if (!keyframe) return;
        const { stream } = this.ensureTrack();
        const config = codec === "vp9" ? vp9Config(payload) : buildVpcConfig({ profile: 0, level: 10, bitDepth: 8 });
        stream.setConfig(this.track!, config, { ...describeVpcConfig(config, codec === "vp8" ? "vp08" : "vp09"), ...vp8Size(codec, payload) });
      } else {
        const { stream } = this.ensureTrack();
        const head = buildOpusHead({ channels: Math.min(2, this.media.channels || 2) });
        stream.setConfig(this.track!, head, describeOpus(head));
      }
    }
    const ext = this.ts.unwrap(timestamp);
    if (ext === this.lastExt) this.repeatedTimestamps++; // a split access unit would show here (the stream nudges its dts)
    this.lastExt = ext;
    if (this.base !== this.base) this.base = Math.round(((this.owner.now() - this.owner.startMs) / 1000) * this.media.clockRate) - ext;
    const t = ext + this.base;
    const out = this.forward.frameCommitted(timestamp, this.owner.rtpWriter, this.track!.id);
    if (out) out.frameForwarded = true;
    try {
      this.frameDelta = this.owner.stream.push(payload, this.track!.id, t, t, keyframe).pts - ext;
    } finally {
      if (out) out.frameForwarded = false;
    }
    if (keyframe && this.media.kind === "video") this.owner.lastKeyframeMs = this.owner.now();
    this.owner.framesIn++;
  }

  private ensureTrack(): { stream: Stream } {
    const stream = this.owner.stream;
    this.track ??= stream.ensureTrack(this.media.codec, this.media.clockRate);
    return { stream };
  }
}

function makeDepacketizer(m: NegotiatedMedia, sink: MediaIngest): Depacketizer {
  switch (m.codec) {
    case "h264":
      return new H264Depacketizer(sink);
    case "vp8":
      return new Vp8Depacketizer(sink);
    case "vp9":
      return new Vp9Depacketizer(sink);
    case "av1":
      return new Av1Depacketizer(sink);
    case "opus":
      return new OpusDepacketizer(sink);
  }
}

function vp9Config(frame: Uint8Array) {
  try {
    const h = parseVp9FrameHeader(frame);
    return buildVpcConfig({ profile: h.profile, level: 31, bitDepth: h.bitDepth });
  } catch {
    return buildVpcConfig({ profile: 0, level: 31, bitDepth: 8 });
  }
}

/** VP8 key frames carry their size (RFC 6386 §9.1): 3-byte tag, start code, 14-bit width and height. */
function vp8Size(codec: string, f: Uint8Array): { width?: number; height?: number } {
  if (codec === "vp9") {
    try {
      const h = parseVp9FrameHeader(f);
      return { width: h.width, height: h.height };
    } catch {
      return {};
    }
  }
  if (f.length < 10 || f[3] !== 0x9d || f[4] !== 0x01 || f[5] !== 0x2a) return {};
  return { width: (f[6]! | (f[7]! << 8)) & 0x3fff, height: (f[8]! | (f[9]! << 8)) & 0x3fff };
}
