/**
 * The stamped synthetic stream of `spate bench`: H.264 + AAC as FLV tag bodies (what RTMP carries),
 * sized for a target bitrate, every video frame carrying a stamp that a viewer reads back to measure
 * latency and loss. Pure: no sockets, no clock (the caller passes the send time).
 *
 * The stamp is the start of the frame's only NAL unit, right after its header byte:
 *   magic 88 d3 a7 e5 | frame sequence number (u32 BE) | send time ms (float64 BE, wall clock)
 * written as H.264 RBSP with emulation prevention (H.264 §7.4.1): a stamp never contains a false
 * start code, so it survives the AVCC -> Annex B conversion of MPEG-TS paths. It needs at most
 * STAMP_MAX_BYTES after the NAL header; the rest of the NAL is a non-zero filler. Read as a slice
 * header (§7.3.3), the magic starts with first_mb_in_slice 0, slice_type 7 (I), pic_parameter_set_id
 * 0, so servers and probes that look at slice headers see the first slice of a picture.
 */
import { buildAudioSpecificConfig } from "../codecs/aac.ts";
import { fromHex } from "../codecs/bits.ts";
import { buildAvcConfig } from "../codecs/h264.ts";

/** ue(v) bits 1, 0001000, 1: first_mb_in_slice 0, slice_type 7, pic_parameter_set_id 0; then any. */
export const STAMP_MAGIC = 0x88d3a7e5;
/** Bytes of the stamp before emulation prevention. */
export const STAMP_RBSP_BYTES = 16;
/** Room reserved for the stamp: every second byte may need an emulation prevention byte. */
export const STAMP_MAX_BYTES = STAMP_RBSP_BYTES + STAMP_RBSP_BYTES / 2;
/** FLV AVC video tag: frame type/codec, AVCPacketType, composition time (SI24). */
const AVC_TAG_HEADER = 5;
/** Offset of the stamp in a video tag body we write: tag header, NAL length, NAL header. */
export const STAMP_OFFSET = AVC_TAG_HEADER + 4 + 1;
/** Smallest video tag body: header, NAL length, NAL header, stamp. */
const MIN_VIDEO_BYTES = STAMP_OFFSET + STAMP_MAX_BYTES;
/** Non-zero, so the filler holds no start code or emulation prevention pattern. */
const FILLER = 0xa5;

/** SPS and PPS of `h264-high-720p.avcc` (x264, 1280x720 High, see src/codecs/testdata/README.md). */
const SPS_720P = "6764001facd9405005bb0110000003001000000303c0f1831960";
const PPS_720P = "68ebe3cb22c0";

export const AUDIO_SAMPLE_RATE = 44100;
export const AUDIO_SAMPLES_PER_FRAME = 1024;
/** AAC frame payload; ~100 kbit/s at 44.1 kHz, what a stereo LC encoder gives. */
export const AUDIO_PAYLOAD_BYTES = 300;

export interface SyntheticOptions {
  /** Total (video + audio) in Mbit/s of FLV tag bodies. */
  bitrateMbps: number;
  fps: number;
  /** A keyframe every this many seconds. */
  gopSeconds: number;
}

/** A decoded stamp; one object reused by the reader. */
export interface Stamp {
  seq: number;
  sendTimeMs: number;
}

export class SyntheticStream {
  readonly fps: number;
  readonly framesPerGop: number;
  readonly keyframeBytes: number;
  readonly deltaBytes: number;
  /** FLV tag bodies of the sequence headers: AVC decoder configuration, AudioSpecificConfig. */
  readonly videoConfig: Uint8Array;
  readonly audioConfig: Uint8Array;
  /** One AAC raw frame tag body, the same every time. */
  readonly audioFrame: Uint8Array;
  private readonly keyBody: Uint8Array;
  private readonly deltaBody: Uint8Array;

  constructor(readonly opts: SyntheticOptions) {
    this.fps = opts.fps;
    this.framesPerGop = Math.max(1, Math.round(opts.gopSeconds * opts.fps));
    const audioBytesPerSecond = ((AUDIO_PAYLOAD_BYTES + 2) * AUDIO_SAMPLE_RATE) / AUDIO_SAMPLES_PER_FRAME;
    const videoBytesPerSecond = Math.max(0, (opts.bitrateMbps * 1e6) / 8 - audioBytesPerSecond);
    // A GOP is one keyframe worth 5 delta frames plus framesPerGop - 1 delta frames.
    const gopBytes = (videoBytesPerSecond * this.framesPerGop) / opts.fps;
    const delta = gopBytes / (this.framesPerGop - 1 + 5);
    this.deltaBytes = Math.max(MIN_VIDEO_BYTES, Math.round(delta));
    this.keyframeBytes = Math.max(MIN_VIDEO_BYTES, Math.round(5 * delta));
    this.keyBody = videoBody(this.keyframeBytes, true);
    this.deltaBody = videoBody(this.deltaBytes, false);

    const avcC = buildAvcConfig([fromHex(SPS_720P)], [fromHex(PPS_720P)]);
    this.videoConfig = new Uint8Array(AVC_TAG_HEADER + avcC.length);
    this.videoConfig.set([0x17, 0, 0, 0, 0]); // keyframe, AVC; sequence header; cts 0
    this.videoConfig.set(avcC, AVC_TAG_HEADER);
    const asc = buildAudioSpecificConfig({ objectType: 2, sampleRate: AUDIO_SAMPLE_RATE, channels: 2 });
    this.audioConfig = new Uint8Array(2 + asc.length);
    this.audioConfig.set([0xaf, 0]); // AAC 44 kHz 16-bit stereo; sequence header
    this.audioConfig.set(asc, 2);
    this.audioFrame = new Uint8Array(2 + AUDIO_PAYLOAD_BYTES).fill(FILLER);
    this.audioFrame.set([0xaf, 1]);
  }

  /** `onMetaData` for the publisher's `@setDataFrame`. */
  get metadata(): Record<string, unknown> {
    return {
      width: 1280,
      height: 720,
      framerate: this.fps,
      videocodecid: 7,
      videodatarate: (this.opts.bitrateMbps * 1000) | 0,
      audiocodecid: 10,
      audiosamplerate: AUDIO_SAMPLE_RATE,
      audiosamplesize: 16,
      stereo: true,
      encoder: "spate bench",
    };
  }

  /** Whether the video frame at `index` on the timeline (not its sequence number) starts a GOP. */
  isKeyframe(index: number): boolean {
    return index % this.framesPerGop === 0;
  }

  /** When the video frame at `index` is due, in ms after the start. */
  videoDueMs(index: number): number {
    return (index * 1000) / this.fps;
  }

  /** When audio frame `n` is due, in ms after the start. */
  audioDueMs(n: number): number {
    return (n * AUDIO_SAMPLES_PER_FRAME * 1000) / AUDIO_SAMPLE_RATE;
  }

  /**
   * The tag body of a video frame (keyframe or not), stamped with `seq` and `sendTimeMs`. The buffer
   * is reused by the next call: send (or copy) it before asking for another frame.
   */
  videoFrame(seq: number, sendTimeMs: number, keyframe: boolean): Uint8Array {
    const body = keyframe ? this.keyBody : this.deltaBody;
    writeStamp(body, STAMP_OFFSET, seq, sendTimeMs);
    return body;
  }
}

function videoBody(size: number, key: boolean): Uint8Array {
  const b = new Uint8Array(size).fill(FILLER);
  b[0] = key ? 0x17 : 0x27; // frame type 1 (key) or 2 (inter), codec 7 (AVC)
  b[1] = 1; // AVCPacketType: NALUs
  b[2] = b[3] = b[4] = 0; // composition time 0: no B-frames
  new DataView(b.buffer).setUint32(AVC_TAG_HEADER, size - AVC_TAG_HEADER - 4);
  b[AVC_TAG_HEADER + 4] = key ? 0x65 : 0x41; // nal_ref_idc 3 / 2, nal_unit_type 5 (IDR) / 1 (slice)
  return b;
}

const rbsp = new Uint8Array(STAMP_RBSP_BYTES);
const rbspView = new DataView(rbsp.buffer);

/** Writes the stamp at `buf[off]` (just after a NAL header), emulation-prevented, padded with filler to STAMP_MAX_BYTES. */
export function writeStamp(buf: Uint8Array, off: number, seq: number, sendTimeMs: number): void {
  rbspView.setUint32(0, STAMP_MAGIC);
  rbspView.setUint32(4, seq >>> 0);
  rbspView.setFloat64(8, sendTimeMs);
  let p = off;
  let zeros = 0;
  for (let i = 0; i < STAMP_RBSP_BYTES; i++) {
    const b = rbsp[i]!;
    if (zeros >= 2 && b <= 3) {
      buf[p++] = 3; // H.264 §7.4.1: emulation_prevention_three_byte
      zeros = 0;
    }
    buf[p++] = b;
    zeros = b === 0 ? zeros + 1 : 0;
  }
  buf.fill(FILLER, p, off + STAMP_MAX_BYTES);
}

/**
 * Reads a stamp from the NAL payload at `buf[off..end)` (after the NAL header); false when it is not
 * one of ours or is cut short.
 */
export function readStampAt(buf: Uint8Array, off: number, end: number, out: Stamp): boolean {
  let zeros = 0;
  let n = 0;
  for (let p = off; p < end && n < STAMP_RBSP_BYTES; p++) {
    const b = buf[p]!;
    if (zeros >= 2 && b === 3) {
      zeros = 0;
      continue;
    }
    rbsp[n++] = b;
    zeros = b === 0 ? zeros + 1 : 0;
    if (n === 4 && rbspView.getUint32(0) !== STAMP_MAGIC) return false;
  }
  if (n < STAMP_RBSP_BYTES) return false;
  out.seq = rbspView.getUint32(4);
  out.sendTimeMs = rbspView.getFloat64(8);
  return true;
}

export const STAMP_NONE = 0;
export const STAMP_FOUND = 1;
/** A video tag that is not coded AVC frames (a sequence header, another codec). */
export const STAMP_NOT_FRAME = 2;

/**
 * Finds the stamp in an FLV video tag body, or its first bytes (a first chunk): walks the
 * length-prefixed NAL units, so NAL units a server puts before ours (AUD, SPS/PPS) do not hide it.
 */
export function readVideoTagStamp(body: Uint8Array, out: Stamp): number {
  if (body.length < 2) return STAMP_NONE;
  if ((body[0]! & 0x0f) !== 7 || body[1] !== 1) return STAMP_NOT_FRAME;
  let p = AVC_TAG_HEADER;
  while (p + 5 <= body.length) {
    const size = ((body[p]! << 24) | (body[p + 1]! << 16) | (body[p + 2]! << 8) | body[p + 3]!) >>> 0;
    const nal = p + 4;
    const type = body[nal]! & 0x1f;
    if ((type === 1 || type === 5) && readStampAt(body, nal + 1, Math.min(body.length, nal + size), out)) return STAMP_FOUND;
    p = nal + size;
  }
  return STAMP_NONE;
}
