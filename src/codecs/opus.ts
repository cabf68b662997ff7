/**
 * Opus: the identification header OpusHead (RFC 7845 §5.1) — the track config for "opus", as FLV
 * (Enhanced RTMP) carries it — and packet durations from the TOC byte (RFC 6716 §3.1).
 */
import { ProtocolError } from "../core/errors.ts";
import type { TrackInfo } from "../core/track.ts";

/** Opus always decodes at 48 kHz (RFC 7845 §4): the clock of every Opus track. */
export const OPUS_SAMPLE_RATE = 48000;
/** RFC 6716 §3.2.5: a packet holds at most 120 ms. */
export const OPUS_MAX_PACKET_SAMPLES = 5760;

export interface OpusHead {
  version: number;
  channels: number;
  preSkip: number;
  inputSampleRate: number;
  /** Q7.8 dB. */
  outputGain: number;
  mappingFamily: number;
  /** Present when mappingFamily != 0 (§5.1.1). */
  streamCount?: number;
  coupledCount?: number;
  channelMapping?: Uint8Array;
}

const MAGIC = [0x4f, 0x70, 0x75, 0x73, 0x48, 0x65, 0x61, 0x64]; // "OpusHead"
const BASE_SIZE = 19;

export function isOpusHead(buf: Uint8Array): boolean {
  if (buf.length < 8) return false;
  for (let i = 0; i < 8; i++) if (buf[i] !== MAGIC[i]) return false;
  return true;
}

export function parseOpusHead(buf: Uint8Array): OpusHead {
  if (buf.length < BASE_SIZE) throw new ProtocolError("codec", "truncated", `OpusHead of ${buf.length} bytes < ${BASE_SIZE}`);
  if (!isOpusHead(buf)) throw new ProtocolError("codec", "invalid", "no OpusHead magic");
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const version = buf[8]!;
  // §5.1: a major version other than 0 (upper 4 bits) is incompatible.
  if (version >> 4 !== 0) throw new ProtocolError("codec", "unsupported", `OpusHead version ${version}`);
  const channels = buf[9]!;
  if (channels === 0) throw new ProtocolError("codec", "invalid", "OpusHead with 0 channels");
  const head: OpusHead = {
    version,
    channels,
    preSkip: v.getUint16(10, true),
    inputSampleRate: v.getUint32(12, true),
    outputGain: v.getInt16(16, true),
    mappingFamily: buf[18]!,
  };
  if (head.mappingFamily === 0) {
    if (channels > 2) throw new ProtocolError("codec", "invalid", `mapping family 0 with ${channels} channels`);
    return head;
  }
  if (buf.length < BASE_SIZE + 2 + channels) {
    throw new ProtocolError("codec", "truncated", `OpusHead channel mapping needs ${BASE_SIZE + 2 + channels} bytes, has ${buf.length}`);
  }
  head.streamCount = buf[19]!;
  head.coupledCount = buf[20]!;
  if (head.streamCount === 0 || head.coupledCount > head.streamCount) {
    throw new ProtocolError("codec", "invalid", `OpusHead ${head.streamCount} streams, ${head.coupledCount} coupled`);
  }
  head.channelMapping = buf.subarray(21, 21 + channels);
  return head;
}

export function buildOpusHead(opts: {
  channels: number;
  preSkip?: number;
  inputSampleRate?: number;
  outputGain?: number;
  mappingFamily?: number;
  streamCount?: number;
  coupledCount?: number;
  channelMapping?: Uint8Array;
}): Uint8Array {
  const family = opts.mappingFamily ?? 0;
  if (opts.channels < 1 || opts.channels > 255 || (family === 0 && opts.channels > 2)) {
    throw new ProtocolError("codec", "invalid", `${opts.channels} Opus channels with mapping family ${family}`);
  }
  const extra = family === 0 ? 0 : 2 + opts.channels;
  const out = new Uint8Array(BASE_SIZE + extra);
  const v = new DataView(out.buffer);
  out.set(MAGIC);
  out[8] = 1;
  out[9] = opts.channels;
  v.setUint16(10, opts.preSkip ?? 312, true); // libopus' usual encoder delay
  v.setUint32(12, opts.inputSampleRate ?? OPUS_SAMPLE_RATE, true);
  v.setInt16(16, opts.outputGain ?? 0, true);
  out[18] = family;
  if (family !== 0) {
    const mapping = opts.channelMapping;
    if (!mapping || mapping.length !== opts.channels || opts.streamCount === undefined || opts.coupledCount === undefined) {
      throw new ProtocolError("codec", "invalid", `mapping family ${family} needs stream counts and ${opts.channels} mapping bytes`);
    }
    out[19] = opts.streamCount;
    out[20] = opts.coupledCount;
    out.set(mapping, 21);
  }
  return out;
}

export function describeOpus(head: Uint8Array): TrackInfo {
  const h = parseOpusHead(head);
  return { codecString: "opus", sampleRate: OPUS_SAMPLE_RATE, channels: h.channels };
}

/** Frame duration in 48 kHz samples for each TOC config (RFC 6716 §3.1 Table 2). */
const FRAME_SAMPLES = new Uint16Array(32);
for (let c = 0; c < 32; c++) {
  FRAME_SAMPLES[c] =
    c < 12 ? [480, 960, 1920, 2880][c & 3]! // SILK-only: 10, 20, 40, 60 ms
    : c < 16 ? [480, 960][c & 1]! // hybrid: 10, 20 ms
    : [120, 240, 480, 960][c & 3]!; // CELT-only: 2.5, 5, 10, 20 ms
}

/** Samples (at 48 kHz) in an Opus packet, from its TOC byte and frame count (RFC 6716 §3.1, §3.2.5). */
export function opusPacketSamples(packet: Uint8Array): number {
  if (packet.length === 0) throw new ProtocolError("codec", "truncated", "empty Opus packet");
  const toc = packet[0]!;
  const perFrame = FRAME_SAMPLES[toc >>> 3]!;
  const code = toc & 3;
  let frames: number;
  if (code === 0) frames = 1;
  else if (code !== 3) frames = 2;
  else {
    if (packet.length < 2) throw new ProtocolError("codec", "truncated", "Opus code 3 packet without a frame count byte");
    frames = packet[1]! & 0x3f;
    if (frames === 0) throw new ProtocolError("codec", "invalid", "Opus code 3 packet with 0 frames");
  }
  const samples = frames * perFrame;
  if (samples > OPUS_MAX_PACKET_SAMPLES) {
    throw new ProtocolError("codec", "invalid", `Opus packet of ${samples} samples > ${OPUS_MAX_PACKET_SAMPLES}`);
  }
  return samples;
}
