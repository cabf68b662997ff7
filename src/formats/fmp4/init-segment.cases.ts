/**
 * The init segment case table: one track per codec, with configurations from the codec fixtures
 * (src/codecs/testdata). Feeds init-segment.test.ts and the box-level decode tests in interop.test.ts.
 */
import { describeConfig } from "../../codecs/describe.ts";
import { fixture } from "../../codecs/h264.cases.ts";
import { Track, VIDEO_CLOCK, type Codec } from "../../core/track.ts";

export interface InitCase {
  name: string;
  codec: Codec;
  config: Uint8Array;
  clockRate: number;
  entry: string;
  configBox: string;
  width?: number;
  height?: number;
  channels?: number;
  /** Set track.info from the config (describeConfig) rather than leaving it empty. */
  describe: boolean;
}

const OPUS_51 = Uint8Array.of(0x4f, 0x70, 0x75, 0x73, 0x48, 0x65, 0x61, 0x64, 1, 6, 0x38, 0x01, 0x80, 0xbb, 0, 0, 0xfe, 0xff, 1, 4, 2, 0, 4, 1, 2, 3, 5);

export const INIT_CASES: InitCase[] = [
  { name: "H.264 high 720p", codec: "h264", config: fixture("h264-high-720p.avcc"), clockRate: VIDEO_CLOCK, entry: "avc1", configBox: "avcC", width: 1280, height: 720, describe: true },
  { name: "H.264 baseline 240p, size from the SPS", codec: "h264", config: fixture("h264-baseline-240p.avcc"), clockRate: VIDEO_CLOCK, entry: "avc1", configBox: "avcC", width: 320, height: 240, describe: false },
  { name: "H.265 main 426x240", codec: "h265", config: fixture("h265-main-426x240.hvcc"), clockRate: VIDEO_CLOCK, entry: "hvc1", configBox: "hvcC", width: 426, height: 240, describe: true },
  { name: "H.265 main 10 720p, size from the SPS", codec: "h265", config: fixture("h265-main10-720p.hvcc"), clockRate: VIDEO_CLOCK, entry: "hvc1", configBox: "hvcC", width: 1280, height: 720, describe: false },
  { name: "AV1 320x240", codec: "av1", config: fixture("av1-240p.av1c"), clockRate: VIDEO_CLOCK, entry: "av01", configBox: "av1C", width: 320, height: 240, describe: false },
  { name: "VP9 64x64", codec: "vp9", config: fixture("vp9-64.vpcc"), clockRate: VIDEO_CLOCK, entry: "vp09", configBox: "vpcC", width: 64, height: 64, describe: true },
  { name: "AAC-LC 44.1 kHz stereo", codec: "aac", config: fixture("aac-lc-44100-stereo.asc"), clockRate: 44100, entry: "mp4a", configBox: "esds", channels: 2, describe: true },
  { name: "AAC-LC 48 kHz mono", codec: "aac", config: fixture("aac-lc-48000-mono.asc"), clockRate: 48000, entry: "mp4a", configBox: "esds", channels: 1, describe: false },
  { name: "Opus stereo", codec: "opus", config: fixture("opus-stereo.opushead"), clockRate: 48000, entry: "Opus", configBox: "dOps", channels: 2, describe: true },
  { name: "Opus 5.1 (mapping family 1, negative gain)", codec: "opus", config: OPUS_51, clockRate: 48000, entry: "Opus", configBox: "dOps", channels: 6, describe: false },
];

export function caseTrack(c: InitCase, id = 0): Track {
  const t = new Track(id, c.codec, c.clockRate);
  t.setConfig(c.config, c.describe ? describeConfig(c.codec, c.config) : {});
  // VP9's vpcC has no picture size: the ingest learns it from a frame header.
  if (c.codec === "vp9") t.info = { ...t.info, width: c.width, height: c.height };
  return t;
}
