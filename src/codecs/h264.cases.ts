/** The H.264 case table: feeds h264.test.ts and the h264-sps / avc-config fuzz seeds. */
import { readFileSync } from "node:fs";
import { BitWriter, fromHex } from "./bits.ts";

export const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`./testdata/${name}`, import.meta.url)));

export interface AvcCase {
  name: string;
  record: Uint8Array;
  codecString: string;
  width: number;
  height: number;
  frameRate?: number;
  chromaFormatIdc: number;
  bitDepth: number;
  /** buildAvcConfig(sps, pps) gives the record back byte for byte. */
  rebuilds: boolean;
}

export const AVC_CASES: AvcCase[] = [
  { name: "x264 high 720p", record: fixture("h264-high-720p.avcc"), codecString: "avc1.64001f", width: 1280, height: 720, frameRate: 30, chromaFormatIdc: 1, bitDepth: 8, rebuilds: true },
  { name: "x264 main 1080p (cropped from 1088)", record: fixture("h264-main-1080p.avcc"), codecString: "avc1.4d4028", width: 1920, height: 1080, frameRate: 25, chromaFormatIdc: 1, bitDepth: 8, rebuilds: true },
  { name: "x264 constrained baseline 240p", record: fixture("h264-baseline-240p.avcc"), codecString: "avc1.42c00d", width: 320, height: 240, frameRate: 30, chromaFormatIdc: 1, bitDepth: 8, rebuilds: true },
  { name: "x264 high 4:4:4 360p", record: fixture("h264-high444-360p.avcc"), codecString: "avc1.f4001e", width: 640, height: 360, frameRate: 24, chromaFormatIdc: 3, bitDepth: 8, rebuilds: false },
  { name: "x264 high 10 360p", record: fixture("h264-high10-360p.avcc"), codecString: "avc1.6e001e", width: 640, height: 360, frameRate: 24, chromaFormatIdc: 1, bitDepth: 10, rebuilds: true },
  { name: "x264 high 1080i with scaling lists", record: fixture("h264-high-1080i-cqm.avcc"), codecString: "avc1.640028", width: 1920, height: 1080, frameRate: 30000 / 1001, chromaFormatIdc: 1, bitDepth: 8, rebuilds: true },
];

/** Synthetic SPS NAL units for branches the x264 fixtures do not take. */
export const SPS_CASES: { name: string; nal: Uint8Array; width: number; height: number; chromaFormatIdc: number }[] = [
  {
    name: "main, poc type 1 with a cycle, cropped 4 px right",
    nal: new BitWriter().writeBits(8, 0x67).writeBits(8, 77).writeBits(8, 0).writeBits(8, 30)
      .writeUE(0).writeUE(0).writeUE(1) // sps id, log2_max_frame_num - 4, poc type 1
      .writeBits(1, 0).writeSE(-2).writeSE(1).writeUE(2).writeSE(5).writeSE(-7)
      .writeUE(1).writeBits(1, 0).writeUE(39).writeUE(29).writeBits(1, 1).writeBits(1, 1)
      .writeBits(1, 1).writeUE(0).writeUE(2).writeUE(0).writeUE(0) // crop right 2 units
      .writeBits(1, 0).writeBits(1, 1).finish(),
    width: 636, height: 480, chromaFormatIdc: 1,
  },
  {
    name: "high 4:2:2, cropped top and bottom",
    nal: new BitWriter().writeBits(8, 0x67).writeBits(8, 122).writeBits(8, 0).writeBits(8, 40)
      .writeUE(0).writeUE(2).writeUE(0).writeUE(0).writeBits(1, 0).writeBits(1, 0) // chroma 2, 8 bit, no lists
      .writeUE(0).writeUE(0).writeUE(0).writeUE(1).writeBits(1, 0).writeUE(119).writeUE(67)
      .writeBits(1, 1).writeBits(1, 1).writeBits(1, 1).writeUE(0).writeUE(0).writeUE(2).writeUE(2)
      .writeBits(1, 0).writeBits(1, 1).finish(),
    width: 1920, height: 1084, chromaFormatIdc: 2,
  },
  {
    name: "high monochrome, crop unit 1",
    nal: new BitWriter().writeBits(8, 0x67).writeBits(8, 100).writeBits(8, 0).writeBits(8, 30)
      .writeUE(0).writeUE(0).writeUE(0).writeUE(0).writeBits(1, 0).writeBits(1, 0)
      .writeUE(0).writeUE(2).writeUE(1).writeBits(1, 0).writeUE(19).writeUE(14)
      .writeBits(1, 1).writeBits(1, 1).writeBits(1, 1).writeUE(1).writeUE(2).writeUE(3).writeUE(4)
      .writeBits(1, 0).writeBits(1, 1).finish(),
    width: 317, height: 233, chromaFormatIdc: 0,
  },
];

/** Malformed records and the error code each must raise. */
export const AVC_BAD_CASES: { name: string; record: Uint8Array; code: string }[] = [
  { name: "empty", record: new Uint8Array(0), code: "truncated" },
  { name: "version 0", record: fromHex("0064001fffe100"), code: "invalid" },
  { name: "SPS length past the end", record: fromHex("0164001fffe1001a6764"), code: "truncated" },
  { name: "no PPS count", record: fromHex("0164001fffe100046764001f"), code: "truncated" },
  { name: "no SPS", record: fromHex("0164001fffe000"), code: "invalid" },
];
