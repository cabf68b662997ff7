/** The H.265 case table: feeds h265.test.ts and the hevc-config fuzz seeds. */
import { fromHex } from "./bits.ts";
import { fixture } from "./h264.cases.ts";

export interface HevcCase {
  name: string;
  record: Uint8Array;
  codecString: string;
  width: number;
  height: number;
  bitDepth: number;
}

export const HEVC_CASES: HevcCase[] = [
  { name: "x265 main 426x240 (conformance window)", record: fixture("h265-main-426x240.hvcc"), codecString: "hvc1.1.6.L60.90", width: 426, height: 240, bitDepth: 8 },
  { name: "x265 main 10 720p", record: fixture("h265-main10-720p.hvcc"), codecString: "hvc1.2.4.L93.90", width: 1280, height: 720, bitDepth: 10 },
];

export const HEVC_BAD_CASES: { name: string; record: Uint8Array; code: string }[] = [
  { name: "short header", record: fromHex("0101600000"), code: "truncated" },
  { name: "version 2", record: fromHex("0201600000009000000000003cf000fcfdf8f800000f00"), code: "invalid" },
  { name: "array past the end", record: fromHex("0101600000009000000000003cf000fcfdf8f800000f01a00001"), code: "truncated" },
  { name: "NAL past the end", record: fromHex("0101600000009000000000003cf000fcfdf8f800000f01a000010018400c"), code: "truncated" },
];
