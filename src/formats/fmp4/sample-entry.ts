/**
 * The sample entry of a track's `stsd` (ISO/IEC 14496-12 §8.5.2, §12.1.3 visual, §12.2.3 audio) with
 * its decoder configuration box. The track config is the codec's own record and goes in unchanged:
 * avcC (ISO 14496-15 §5.4.2.1), hvcC (§8.4.1), av1C (AV1 ISOBMFF binding §2.3), vpcC (VP codec ISOBMFF
 * binding §2.2; spate's config already holds the FullBox version/flags), esds around the
 * AudioSpecificConfig (ISO 14496-14 §5.6, 14496-1 §7.2.6), and dOps rebuilt from the OpusHead (Opus
 * in ISOBMFF §4.3.2: version 0, big-endian, no magic).
 *
 * `resolveSampleEntry` checks a track and gathers what the boxes need (throws ProtocolError naming
 * the track); `writeSampleEntry` writes it with a BoxWriter.
 */
import { parseAudioSpecificConfig } from "../../codecs/aac.ts";
import { describeConfig } from "../../codecs/describe.ts";
import { OPUS_SAMPLE_RATE, parseOpusHead, type OpusHead } from "../../codecs/opus.ts";
import { ProtocolError } from "../../core/errors.ts";
import type { Track, TrackKind } from "../../core/track.ts";
import type { BoxWriter } from "./box-writer.ts";

export interface ResolvedEntry {
  kind: TrackKind;
  /** Sample entry type: avc1, hvc1, av01, vp09, vp08, mp4a, Opus. */
  type: string;
  /** Configuration box type (avcC, hvcC, av1C, vpcC, esds, dOps). */
  configBox: string;
  config: Uint8Array;
  width: number;
  height: number;
  channels: number;
  sampleRate: number;
  /** Parsed OpusHead (for dOps). */
  opus: OpusHead | null;
}

const VIDEO_ENTRIES: Record<string, [string, string]> = {
  h264: ["avc1", "avcC"],
  h265: ["hvc1", "hvcC"],
  av1: ["av01", "av1C"],
  vp9: ["vp09", "vpcC"],
  vp8: ["vp08", "vpcC"],
};

/** Largest picture side a visual sample entry (16-bit width/height) can say. */
const MAX_DIMENSION = 0xffff;

export function resolveSampleEntry(track: Track, override: { width?: number; height?: number } = {}): ResolvedEntry {
  const name = `track ${track.id} (${track.codec})`;
  const config = track.config;
  if (!config || config.length === 0) throw new ProtocolError("fmp4", "no-config", `${name} has no decoder configuration yet`);
  const entry: ResolvedEntry = {
    kind: track.kind, type: "", configBox: "", config, width: 0, height: 0, channels: 0, sampleRate: 0, opus: null,
  };
  const video = VIDEO_ENTRIES[track.codec];
  if (video) {
    [entry.type, entry.configBox] = video;
    let width = override.width ?? track.info.width;
    let height = override.height ?? track.info.height;
    if (width === undefined || height === undefined) {
      const info = describeConfig(track.codec, config); // parses the SPS / sequence header; throws if malformed
      width ??= info.width;
      height ??= info.height;
    }
    if (width === undefined || height === undefined) throw new ProtocolError("fmp4", "no-size", `${name}: picture size unknown (not in track info nor config)`);
    if (!(width > 0 && width <= MAX_DIMENSION && height > 0 && height <= MAX_DIMENSION)) {
      throw new ProtocolError("fmp4", "invalid", `${name}: picture size ${width}x${height} outside 1..${MAX_DIMENSION}`);
    }
    entry.width = width;
    entry.height = height;
    return entry;
  }
  if (track.codec === "aac") {
    const asc = parseAudioSpecificConfig(config);
    entry.type = "mp4a";
    entry.configBox = "esds";
    entry.channels = asc.channels;
    entry.sampleRate = track.clockRate || asc.sampleRate;
    return entry;
  }
  if (track.codec === "opus") {
    entry.opus = parseOpusHead(config);
    entry.type = "Opus";
    entry.configBox = "dOps";
    entry.channels = entry.opus.channels;
    entry.sampleRate = OPUS_SAMPLE_RATE;
    return entry;
  }
  throw new ProtocolError("fmp4", "unsupported", `${name}: codec not supported in fMP4`);
}

export function writeSampleEntry(w: BoxWriter, e: ResolvedEntry): void {
  const at = w.begin(e.type);
  w.zeros(6); // reserved
  w.u16(1); // data_reference_index
  if (e.kind === "video") writeVisualFields(w, e);
  else writeAudioFields(w, e);
  const cfg = w.begin(e.configBox);
  if (e.configBox === "esds") writeEsdsBody(w, e.config);
  else if (e.configBox === "dOps") writeDopsBody(w, e.opus!);
  else w.bytes(e.config);
  w.end(cfg);
  w.end(at);
}

/** §12.1.3.2 VisualSampleEntry after data_reference_index. */
function writeVisualFields(w: BoxWriter, e: ResolvedEntry): void {
  w.zeros(16); // pre_defined, reserved, pre_defined[3]
  w.u16(e.width);
  w.u16(e.height);
  w.u32(0x0048_0000); // horizresolution 72 dpi
  w.u32(0x0048_0000); // vertresolution
  w.u32(0); // reserved
  w.u16(1); // frame_count
  w.zeros(32); // compressorname (empty Pascal string)
  w.u16(0x0018); // depth
  w.u16(0xffff); // pre_defined = -1
}

/** §12.2.3.2 AudioSampleEntry (version 0) after data_reference_index. */
function writeAudioFields(w: BoxWriter, e: ResolvedEntry): void {
  w.zeros(8); // reserved[2]
  w.u16(e.channels);
  w.u16(16); // samplesize
  w.u32(0); // pre_defined, reserved
  // 16.16 fixed point: rates past 65535 Hz do not fit; the media timescale (mdhd) is what players use.
  w.u32(e.sampleRate <= 0xffff ? e.sampleRate * 0x10000 : 0);
}

const TAG_ES = 0x03;
const TAG_DECODER_CONFIG = 0x04;
const TAG_DECODER_SPECIFIC = 0x05;
const TAG_SL_CONFIG = 0x06;
/** ISO 14496-1 Table 5: objectTypeIndication 0x40 = Audio ISO/IEC 14496-3. */
const OTI_MPEG4_AUDIO = 0x40;
/** streamType 5 (audio) << 2 | upStream 0 | reserved 1. */
const STREAM_TYPE_AUDIO = 0x15;

/** esds FullBox body: ES_Descriptor { DecoderConfigDescriptor { DecoderSpecificInfo = ASC }, SLConfigDescriptor }. */
function writeEsdsBody(w: BoxWriter, asc: Uint8Array): void {
  w.u32(0); // version 0, flags 0
  const dsi = descriptorSize(asc.length);
  const dcd = descriptorSize(13 + dsi);
  const sl = descriptorSize(1);
  writeDescriptorHeader(w, TAG_ES, 3 + dcd + sl);
  w.u16(0); // ES_ID: 0 in MP4 files (14496-14 §3.1.2)
  w.u8(0); // no streamDependence, URL, OCRstream; streamPriority 0
  writeDescriptorHeader(w, TAG_DECODER_CONFIG, 13 + dsi);
  w.u8(OTI_MPEG4_AUDIO);
  w.u8(STREAM_TYPE_AUDIO);
  w.u24(0); // bufferSizeDB
  w.u32(0); // maxBitrate
  w.u32(0); // avgBitrate
  writeDescriptorHeader(w, TAG_DECODER_SPECIFIC, asc.length);
  w.bytes(asc);
  writeDescriptorHeader(w, TAG_SL_CONFIG, 1);
  w.u8(0x02); // predefined: reserved for MP4 files
}

/** Bytes of a descriptor: tag, length in 7-bit groups with a continuation bit (14496-1 §8.3.3), payload. */
function descriptorSize(payload: number): number {
  return 1 + lengthBytes(payload) + payload;
}

function lengthBytes(payload: number): number {
  let n = 1;
  while (payload >>> (7 * n) > 0 && n < 4) n++;
  return n;
}

function writeDescriptorHeader(w: BoxWriter, tag: number, payload: number): void {
  w.u8(tag);
  for (let g = lengthBytes(payload) - 1; g >= 0; g--) w.u8(((payload >>> (7 * g)) & 0x7f) | (g > 0 ? 0x80 : 0));
}

/** Opus in ISOBMFF §4.3.2 OpusSpecificBox: the OpusHead fields without magic, version 0, big-endian. */
function writeDopsBody(w: BoxWriter, h: OpusHead): void {
  w.u8(0); // Version
  w.u8(h.channels); // OutputChannelCount
  w.u16(h.preSkip);
  w.u32(h.inputSampleRate);
  w.u16(h.outputGain & 0xffff); // signed Q7.8
  w.u8(h.mappingFamily);
  if (h.mappingFamily !== 0) {
    w.u8(h.streamCount!);
    w.u8(h.coupledCount!);
    w.bytes(h.channelMapping!);
  }
}
