/**
 * MPEG audio frame headers (ISO 11172-3 §2.4.1.3, ISO 13818-3 §2.4.1.3 and the unofficial MPEG 2.5):
 * sample rate, channels and samples per frame of an MP3 ("mp3" track) frame. MP3 has no decoder
 * configuration; everything a muxer needs is in each frame header.
 */
import { ProtocolError } from "../core/errors.ts";

export const MPEG_AUDIO_HEADER_SIZE = 4;

export interface MpegAudioHeader {
  /** 1 = MPEG-1, 2 = MPEG-2, 2.5 = MPEG-2.5. */
  version: number;
  layer: number;
  sampleRate: number;
  channels: number;
  samplesPerFrame: number;
  /** Bitrate in kbit/s; 0 for "free format". */
  bitrateKbps: number;
  /** Bytes of the whole frame (header included); 0 for free format, where it is not signalled. */
  frameLength: number;
}

export function newMpegAudioHeader(): MpegAudioHeader {
  return { version: 0, layer: 0, sampleRate: 0, channels: 0, samplesPerFrame: 0, bitrateKbps: 0, frameLength: 0 };
}

const RATES = [44100, 48000, 32000];
/** kbit/s by bitrate_index for [MPEG-1 L1, L2, L3, MPEG-2/2.5 L1, L2 and L3]. */
const BITRATES = [
  [0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448],
  [0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384],
  [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320],
  [0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256],
  [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160],
];

/** Reads the 4-byte header at `off` into `out`; returns 4, or 0 when fewer than 4 bytes are there. */
export function parseMpegAudioHeader(buf: Uint8Array, off: number, out: MpegAudioHeader): number {
  if (buf.length - off < MPEG_AUDIO_HEADER_SIZE) return 0;
  const b1 = buf[off + 1]!, b2 = buf[off + 2]!, b3 = buf[off + 3]!;
  if (buf[off] !== 0xff || (b1 & 0xe0) !== 0xe0) throw new ProtocolError("codec", "invalid", `no MPEG audio sync at ${off}`);
  const versionBits = (b1 >>> 3) & 3;
  const layerBits = (b1 >>> 1) & 3;
  const bitrateIndex = b2 >>> 4;
  const rateIndex = (b2 >>> 2) & 3;
  if (versionBits === 1 || layerBits === 0 || bitrateIndex === 15 || rateIndex === 3) {
    throw new ProtocolError("codec", "invalid", `reserved MPEG audio header field (${buf[off]!.toString(16)}${b1.toString(16)}${b2.toString(16)})`);
  }
  const version = versionBits === 3 ? 1 : versionBits === 2 ? 2 : 2.5;
  const layer = 4 - layerBits;
  const sampleRate = RATES[rateIndex]! / (version === 1 ? 1 : version === 2 ? 2 : 4);
  const table = version === 1 ? layer - 1 : layer === 1 ? 3 : 4;
  const bitrateKbps = BITRATES[table]![bitrateIndex]!;
  const padding = (b2 >>> 1) & 1;
  const samplesPerFrame = layer === 1 ? 384 : layer === 3 && version !== 1 ? 576 : 1152;
  out.version = version;
  out.layer = layer;
  out.sampleRate = sampleRate;
  out.channels = b3 >>> 6 === 3 ? 1 : 2;
  out.samplesPerFrame = samplesPerFrame;
  out.bitrateKbps = bitrateKbps;
  out.frameLength = bitrateKbps === 0 ? 0
    : layer === 1 ? (Math.floor((12000 * bitrateKbps) / sampleRate) + padding) * 4
    : Math.floor(((samplesPerFrame / 8) * 1000 * bitrateKbps) / sampleRate) + padding;
  return MPEG_AUDIO_HEADER_SIZE;
}
