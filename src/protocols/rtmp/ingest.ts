import { describeConfig } from "../../codecs/describe.ts";
import { opusPacketSamples } from "../../codecs/opus.ts";
import { parseVp9FrameHeader } from "../../codecs/vp9.ts";
import { toFourByteLengths } from "../../codecs/nal.ts";
import { ProtocolError } from "../../core/errors.ts";
import type { Publisher, Stream } from "../../core/stream.ts";
import { VIDEO_CLOCK, type Codec, type Track } from "../../core/track.ts";
import { FlvTag, decodeAudioTag, decodeVideoTag } from "../../formats/flv/tag.ts";
import type { RtmpSession } from "./session.ts";
import type { ChunkHeader, MessageSink } from "./wire/chunk-header.ts";
import { MessageAssembler } from "./wire/message-assembler.ts";
import { VIDEO } from "./wire/message-types.ts";

/** Audio frames whose RTMP (millisecond) timestamp is within this of the expected sample count keep exact sample timing. */
const AUDIO_SNAP_MS = 2;

/**
 * A publishing RTMP connection, to the core: FLV tags become frames. A media message is assembled
 * straight into the stream's ring (its payload is copied once, from the socket's buffer); only when
 * two media messages interleave does the second go through a per-chunk-stream scratch buffer.
 */
export class RtmpIngest implements Publisher, MessageSink {
  readonly protocol: string;
  readonly remoteAddress: string;
  readonly stream: Stream;
  metadata: Record<string, unknown> | null;
  /** Tags dropped: frames before their configuration, unknown codecs (counted, never logged per tag). */
  dropped: number;
  private readonly tag: FlvTag;
  /** csid whose message is being assembled in the ring (-1: none) and the reserved view. */
  private ringCsid: number;
  private ringBuf: Uint8Array | null;
  /** Media messages that interleave with the one being assembled in the ring (bounded, grows as bytes arrive). */
  private readonly assembler: MessageAssembler;
  // 32-bit RTMP timestamps unwrapped, per message type (audio, video).
  private lastMs: number[];
  private wraps: number[];
  private nextAudioDts: number;
  /** NAL length size of the H.264/H.265 configuration (4 unless the publisher chose 1 or 2). */
  private nalLengthSize: number;

  constructor(
    readonly session: RtmpSession,
    path: string,
  ) {
    this.protocol = session.opts.protocol;
    this.remoteAddress = session.transport.remoteAddress;
    this.metadata = null;
    this.dropped = 0;
    this.tag = new FlvTag();
    this.ringCsid = -1;
    this.ringBuf = null;
    this.assembler = new MessageAssembler(this);
    this.lastMs = [0, 0];
    this.wraps = [0, 0];
    this.nextAudioDts = Number.NaN;
    this.nalLengthSize = 4;
    this.stream = session.paths.publish(path, this);
  }

  onChunk(h: ChunkHeader, data: Uint8Array, offset: number): void {
    const end = offset + data.length;
    if (offset === 0 && end === h.msgLength) {
      // Whole message in one chunk: parse it in place, the ring copies the payload.
      this.media(h, data, false);
      return;
    }
    if (offset === 0 && this.ringCsid < 0) {
      this.ringCsid = h.csid;
      this.ringBuf = this.stream.reserve(h.msgLength);
    }
    if (h.csid !== this.ringCsid) {
      this.assembler.onChunk(h, data, offset);
      return;
    }
    const buf = this.ringBuf!;
    buf.set(data, offset);
    if (end < h.msgLength) return;
    this.ringCsid = -1;
    this.ringBuf = null;
    this.media(h, buf.subarray(0, h.msgLength), true);
  }

  /** A whole message from the assembler (copied there; the ring copies it again). */
  onMessage(h: ChunkHeader, body: Uint8Array): void {
    this.media(h, body, false);
  }

  /** §5.4.2 Abort: drop the partial message of `csid`. */
  abort(csid: number): void {
    if (csid === this.ringCsid) {
      this.stream.cancel();
      this.ringCsid = -1;
      this.ringBuf = null;
    }
    this.assembler.release(csid);
  }

  /** A whole FLV tag body; `inRing` when it sits in an open ring reservation. */
  private media(h: ChunkHeader, body: Uint8Array, inRing: boolean): void {
    const video = h.msgTypeId === VIDEO;
    const tag = this.tag;
    if (video) decodeVideoTag(body, tag);
    else decodeAudioTag(body, tag);
    const payload = body.subarray(tag.payloadOffset, tag.payloadOffset + tag.payloadLength);
    if (tag.kind === "config") {
      if (inRing) this.stream.cancel();
      const config = this.fourByteLengths(tag.codec as Codec, payload, video);
      const info = describeConfig(tag.codec as Codec, config);
      const clock = video ? VIDEO_CLOCK : (info.sampleRate ?? tag.sampleRate ?? 48000);
      const track = this.stream.ensureTrack(tag.codec as Codec, tag.codec === "opus" ? 48000 : clock);
      this.stream.setConfig(track, config, info);
      return;
    }
    if (tag.kind !== "frame") {
      if (inRing) this.stream.cancel();
      return;
    }
    const track = this.trackFor(tag.codec as Codec, video, tag.sampleRate);
    if (!track) {
      if (inRing) this.stream.cancel();
      this.dropped++;
      return;
    }
    const ms = this.unwrap(video ? 1 : 0, h.timestamp);
    let dts: number;
    let pts: number;
    if (video) {
      dts = ms * 90;
      pts = dts + tag.cts * 90;
    } else {
      dts = this.audioDts(track, ms, payload);
      pts = dts;
    }
    const key = video ? tag.keyframe : true;
    if (video && this.nalLengthSize !== 4) {
      // Rare (1- or 2-byte NAL lengths): frames are rewritten to the common 4-byte form, a copy each.
      if (inRing) this.stream.cancel();
      this.stream.push(toFourByteLengths(payload, this.nalLengthSize), track.id, dts, pts, key);
      return;
    }
    if (key && video && track.codec === "vp9" && track.info.width === undefined) this.vp9Size(track, payload);
    if (inRing) this.stream.commit(tag.payloadOffset, tag.payloadLength, track.id, dts, pts, key);
    else this.stream.push(payload, track.id, dts, pts, key);
  }

  /** The track for a frame: it must have had its configuration (MP3 needs none). */
  private trackFor(codec: Codec, video: boolean, sampleRate: number): Track | null {
    const kind = video ? "video" : "audio";
    const t = this.stream.tracks.find((t) => t?.kind === kind);
    if (t && t.codec === codec && (t.config || codec === "mp3")) return t;
    if (codec === "mp3") return this.stream.ensureTrack("mp3", sampleRate || 44100);
    return null;
  }

  /**
   * RTMP audio timestamps are whole milliseconds; the frames are whole numbers of samples. When the
   * timestamp agrees with "previous + one frame" to within AUDIO_SNAP_MS, the exact sample count wins.
   */
  private audioDts(track: Track, ms: number, payload: Uint8Array): number {
    const rate = track.clockRate;
    const fromMs = Math.round((ms * rate) / 1000);
    const expected = this.nextAudioDts;
    const dts = !Number.isNaN(expected) && Math.abs(fromMs - expected) <= (AUDIO_SNAP_MS * rate) / 1000 ? expected : fromMs;
    const samples = track.codec === "aac" ? 1024 : track.codec === "opus" ? opusPacketSamples(payload) : track.codec === "mp3" ? 1152 : 0;
    this.nextAudioDts = samples > 0 ? dts + samples : Number.NaN;
    return dts;
  }

  /**
   * Frames carry 4-byte NAL lengths (Frame conventions); an avcC/hvcC declaring 1 or 2 is rewritten
   * to say 4, and its frames are converted as they come.
   */
  private fourByteLengths(codec: Codec, record: Uint8Array, video: boolean): Uint8Array {
    if (!video) return record;
    // ISO 14496-15: lengthSizeMinusOne is the low 2 bits of byte 4 (avcC) or byte 21 (hvcC).
    const at = codec === "h264" ? 4 : codec === "h265" ? 21 : -1;
    this.nalLengthSize = at >= 0 && record.length > at ? (record[at]! & 3) + 1 : 4;
    if (this.nalLengthSize === 4) return record;
    const out = record.slice();
    out[at] = out[at]! | 3;
    return out;
  }

  /** vpcC carries no picture size; the first keyframe's uncompressed header does (VP9 §6.2). */
  private vp9Size(track: Track, frame: Uint8Array): void {
    try {
      const h = parseVp9FrameHeader(frame);
      if (h.width) track.info = { ...track.info, width: h.width, height: h.height };
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e; // an undecodable header only leaves the size unknown
    }
  }

  /** 32-bit millisecond timestamps continue past 2^32 (49.7 days) instead of jumping back. */
  private unwrap(i: number, ts: number): number {
    if (ts < this.lastMs[i]! && this.lastMs[i]! - ts > 0x80000000) this.wraps[i]!++;
    this.lastMs[i] = ts;
    return ts + this.wraps[i]! * 0x100000000;
  }

  /** Publisher: ends the connection (API DELETE, takeover). */
  close(reason: string): void {
    this.session.log.info("publisher closed", { path: this.stream.path, reason });
    this.session.close(reason);
    this.session.transport.end();
  }

  /** The connection is gone: release the path (viewers wait out the grace period). */
  detach(): void {
    if (this.ringCsid >= 0) this.stream.cancel();
    this.ringCsid = -1;
    this.ringBuf = null;
    this.stream.flush();
    this.session.paths.unpublish(this.stream, this);
  }
}
