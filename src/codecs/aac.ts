/**
 * AAC: AudioSpecificConfig (ISO 14496-3 §1.6.2.1) — the track config for "aac" — and ADTS headers
 * (ISO 14496-3 §1.A.2.2), which MPEG-TS carries and FLV/MP4 do not.
 */
import { ProtocolError } from "../core/errors.ts";
import type { TrackInfo } from "../core/track.ts";
import { BitReader, BitWriter } from "./bits.ts";

export const AAC_SAMPLES_PER_FRAME = 1024;
export const ADTS_HEADER_SIZE = 7;

/** §1.6.3.3 Table 1.18: samplingFrequencyIndex → Hz (13, 14 reserved; 15 = explicit). */
export const AAC_SAMPLE_RATES = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];

export interface AacConfig {
  /** The audioObjectType as signalled first: 5 (SBR) or 29 (PS) for explicit hierarchical signalling. */
  objectType: number;
  /** The core coder's object type (2 for HE-AAC over LC). */
  coreObjectType: number;
  samplingFrequencyIndex: number;
  /** The core sample rate: AAC_SAMPLES_PER_FRAME samples per frame at this rate. */
  sampleRate: number;
  channelConfiguration: number;
  /** Output channels (from the channel configuration, or the program config element when it is 0). */
  channels: number;
  sbr: boolean;
  ps: boolean;
  /** SBR output rate when SBR is signalled. */
  extensionSampleRate?: number;
  frameLengthFlag: boolean;
}

/** Object types with a GASpecificConfig (§1.6.2.1 Table 1.15). */
const GA_TYPES = new Set([1, 2, 3, 4, 6, 7, 17, 19, 20, 21, 22, 23]);

export function parseAudioSpecificConfig(asc: Uint8Array): AacConfig {
  if (asc.length < 2) throw new ProtocolError("codec", "truncated", `AudioSpecificConfig of ${asc.length} bytes`);
  const r = new BitReader(asc);
  const objectType = readObjectType(r);
  if (objectType === 0) throw new ProtocolError("codec", "invalid", "audioObjectType 0 (null)");
  let [samplingFrequencyIndex, sampleRate] = readSampleRate(r);
  let channelConfiguration = r.readBits(4);
  let coreObjectType = objectType;
  let sbr = false;
  let ps = false;
  let extensionSampleRate: number | undefined;
  if (objectType === 5 || objectType === 29) {
    // §1.6.2.1: explicit hierarchical signalling; the core config follows the extension rate.
    sbr = true;
    ps = objectType === 29;
    extensionSampleRate = readSampleRate(r)[1];
    coreObjectType = readObjectType(r);
    if (coreObjectType === 22) channelConfiguration = r.readBits(4);
  }
  let channels = channelCount(channelConfiguration);
  let frameLengthFlag = false;
  if (GA_TYPES.has(coreObjectType)) {
    frameLengthFlag = r.readFlag();
    if (r.readFlag()) r.skip(14); // dependsOnCoreCoder → coreCoderDelay
    const extensionFlag = r.readFlag();
    if (channelConfiguration === 0) channels = readProgramConfigElement(r);
    if (coreObjectType === 6 || coreObjectType === 20) r.skip(3); // layerNr
    if (extensionFlag) {
      if (coreObjectType === 22) r.skip(16); // numOfSubFrame, layer_length
      if (coreObjectType === 17 || coreObjectType === 19 || coreObjectType === 20 || coreObjectType === 23) r.skip(3);
      r.skip(1); // extensionFlag3
    }
    // §1.6.2.1: backward-compatible signalling of SBR/PS after the core config (sync extension 0x2b7).
    if (!sbr && r.bitsLeft >= 16) {
      if (r.readBits(11) === 0x2b7) {
        const ext = readObjectType(r);
        if (ext === 5 && r.readFlag()) {
          sbr = true;
          extensionSampleRate = readSampleRate(r)[1];
          if (r.bitsLeft >= 12 && r.readBits(11) === 0x548) ps = r.readFlag();
        }
      }
    }
  }
  if (channels === 0) throw new ProtocolError("codec", "invalid", `channelConfiguration ${channelConfiguration} has no channels`);
  const cfg: AacConfig = {
    objectType, coreObjectType, samplingFrequencyIndex, sampleRate, channelConfiguration, channels, sbr, ps, frameLengthFlag,
  };
  if (extensionSampleRate !== undefined) cfg.extensionSampleRate = extensionSampleRate;
  return cfg;
}

/** GetAudioObjectType() (§1.6.2.1): 5 bits, 31 escapes to 32 + 6 bits. */
function readObjectType(r: BitReader): number {
  const t = r.readBits(5);
  return t === 31 ? 32 + r.readBits(6) : t;
}

function readSampleRate(r: BitReader): [number, number] {
  const index = r.readBits(4);
  if (index === 15) {
    const rate = r.readBits(24);
    if (rate === 0) throw new ProtocolError("codec", "invalid", "explicit samplingFrequency 0");
    return [index, rate];
  }
  if (index >= AAC_SAMPLE_RATES.length) throw new ProtocolError("codec", "invalid", `samplingFrequencyIndex ${index} is reserved`);
  return [index, AAC_SAMPLE_RATES[index]!];
}

/** Channels per channelConfiguration (§1.6.3.5 Table 1.19; 11..14 from ISO 23001-8). */
function channelCount(config: number): number {
  return [0, 1, 2, 3, 4, 5, 6, 8, 0, 0, 0, 7, 8, 0, 8, 0][config]!;
}

/** program_config_element() (§4.4.1.1 Table 4.2): the channel count when channelConfiguration is 0. */
function readProgramConfigElement(r: BitReader): number {
  r.skip(4 + 2 + 4); // element_instance_tag, object_type, sampling_frequency_index
  const front = r.readBits(4), side = r.readBits(4), back = r.readBits(4);
  const lfe = r.readBits(2), assoc = r.readBits(3), cc = r.readBits(4);
  if (r.readFlag()) r.skip(4); // mono_mixdown
  if (r.readFlag()) r.skip(4); // stereo_mixdown
  if (r.readFlag()) r.skip(3); // matrix_mixdown
  let channels = lfe;
  for (let i = 0; i < front + side + back; i++) {
    channels += r.readFlag() ? 2 : 1; // is_cpe
    r.skip(4);
  }
  r.skip(4 * (lfe + assoc) + 5 * cc);
  // byte_alignment() is relative to the start of the AudioSpecificConfig, which starts on a byte.
  const misalign = r.bitPos & 7;
  if (misalign) r.skip(8 - misalign);
  r.skip(8 * r.readBits(8)); // comment_field_bytes
  return channels;
}

/** Object types buildAudioSpecificConfig writes: those whose GASpecificConfig is three zero bits. */
const BUILDABLE = new Set([1, 2, 3, 4]);

export function buildAudioSpecificConfig(opts: { objectType: number; sampleRate: number; channels: number }): Uint8Array {
  if (!BUILDABLE.has(opts.objectType)) throw new ProtocolError("codec", "unsupported", `building an ASC for object type ${opts.objectType}`);
  const config = opts.channels >= 1 && opts.channels <= 6 ? opts.channels : opts.channels === 8 ? 7 : -1;
  if (config < 0) throw new ProtocolError("codec", "unsupported", `${opts.channels} AAC channels`);
  const w = new BitWriter().writeBits(5, opts.objectType);
  const index = AAC_SAMPLE_RATES.indexOf(opts.sampleRate);
  if (index >= 0) w.writeBits(4, index);
  else if (opts.sampleRate > 0 && opts.sampleRate < 1 << 24) w.writeBits(4, 15).writeBits(24, opts.sampleRate);
  else throw new ProtocolError("codec", "invalid", `AAC sample rate ${opts.sampleRate}`);
  return w.writeBits(4, config).writeBits(3, 0).finish(); // frameLength 1024, no core coder, no extension
}

/** Codec string "mp4a.40.<objectType>" (RFC 6381 §3.3); sampleRate is the core rate (1024 samples a frame). */
export function describeAac(asc: Uint8Array): TrackInfo {
  const cfg = parseAudioSpecificConfig(asc);
  return { codecString: `mp4a.40.${cfg.objectType}`, sampleRate: cfg.sampleRate, channels: cfg.channels, profile: cfg.objectType };
}

export interface AdtsHeader {
  headerLength: number;
  /** Header included. */
  frameLength: number;
  objectType: number;
  samplingFrequencyIndex: number;
  sampleRate: number;
  channelConfiguration: number;
  rawDataBlocks: number;
}

export function newAdtsHeader(): AdtsHeader {
  return { headerLength: 0, frameLength: 0, objectType: 0, samplingFrequencyIndex: 0, sampleRate: 0, channelConfiguration: 0, rawDataBlocks: 0 };
}

/**
 * Decodes the ADTS frame at `off` into `out`: returns the whole frame's length once it is all in
 * `buf`, 0 when more bytes are needed; throws on a bad sync word or impossible lengths.
 */
export function parseAdtsHeader(buf: Uint8Array, off: number, out: AdtsHeader): number {
  if (buf.length - off < ADTS_HEADER_SIZE) return 0;
  const b1 = buf[off + 1]!;
  if (buf[off] !== 0xff || (b1 & 0xf6) !== 0xf0) {
    throw new ProtocolError("codec", "invalid", `no ADTS sync word at ${off} (${buf[off]!.toString(16)} ${b1.toString(16)})`);
  }
  const b2 = buf[off + 2]!, b3 = buf[off + 3]!;
  const headerLength = b1 & 1 ? 7 : 9; // protection_absent = 0 adds a CRC
  const index = (b2 >>> 2) & 0xf;
  if (index >= AAC_SAMPLE_RATES.length) throw new ProtocolError("codec", "invalid", `ADTS sampling_frequency_index ${index}`);
  const frameLength = ((b3 & 3) << 11) | (buf[off + 4]! << 3) | (buf[off + 5]! >>> 5);
  if (frameLength < headerLength) throw new ProtocolError("codec", "invalid", `ADTS frame length ${frameLength} < header ${headerLength}`);
  out.headerLength = headerLength;
  out.frameLength = frameLength;
  out.objectType = (b2 >>> 6) + 1;
  out.samplingFrequencyIndex = index;
  out.sampleRate = AAC_SAMPLE_RATES[index]!;
  out.channelConfiguration = ((b2 & 1) << 2) | (b3 >>> 6);
  out.rawDataBlocks = (buf[off + 6]! & 3) + 1;
  return buf.length - off >= frameLength ? frameLength : 0;
}

/** The AudioSpecificConfig an ADTS header implies (for MPEG-TS ingest). */
export function adtsToAudioSpecificConfig(h: AdtsHeader): Uint8Array {
  const channels = channelCount(h.channelConfiguration);
  if (channels === 0) throw new ProtocolError("codec", "unsupported", `ADTS channel_configuration ${h.channelConfiguration}`);
  return buildAudioSpecificConfig({ objectType: h.objectType, sampleRate: h.sampleRate, channels });
}

/**
 * Writes a 7-byte ADTS header (no CRC) for a raw frame of `payloadLength` bytes. HE-AAC is written as
 * its core (LC at the core rate), as ADTS can only signal object types 1..4.
 */
export function writeAdtsHeader(buf: Uint8Array, off: number, asc: AacConfig, payloadLength: number): number {
  const frameLength = payloadLength + ADTS_HEADER_SIZE;
  if (frameLength > 0x1fff) throw new ProtocolError("codec", "overflow", `ADTS frame of ${frameLength} bytes > 8191`);
  const profile = asc.coreObjectType - 1;
  if (profile < 0 || profile > 3) throw new ProtocolError("codec", "unsupported", `object type ${asc.coreObjectType} in ADTS`);
  const index = AAC_SAMPLE_RATES.indexOf(asc.sampleRate);
  if (index < 0) throw new ProtocolError("codec", "unsupported", `sample rate ${asc.sampleRate} in ADTS`);
  const ch = asc.channelConfiguration;
  buf[off] = 0xff;
  buf[off + 1] = 0xf1; // MPEG-4, layer 0, no CRC
  buf[off + 2] = (profile << 6) | (index << 2) | ((ch >>> 2) & 1);
  buf[off + 3] = ((ch & 3) << 6) | (frameLength >>> 11);
  buf[off + 4] = (frameLength >>> 3) & 0xff;
  buf[off + 5] = ((frameLength & 7) << 5) | 0x1f; // buffer fullness 0x7ff (VBR)
  buf[off + 6] = 0xfc; // one raw data block
  return ADTS_HEADER_SIZE;
}
