/** The AV1 case table: feeds av1.test.ts and the av1-config fuzz seeds. */
import { fromHex } from "./bits.ts";
import { fixture } from "./h264.cases.ts";

export const AV1_CASES: { name: string; record: Uint8Array; codecString: string; width: number; height: number }[] = [
  { name: "libaom 320x240", record: fixture("av1-240p.av1c"), codecString: "av01.0.00M.08", width: 320, height: 240 },
  { name: "libaom 64x64", record: fixture("av1-64.av1c"), codecString: "av01.0.00M.08", width: 64, height: 64 },
];

export const AV1_BAD_CASES: { name: string; record: Uint8Array; code: string }[] = [
  { name: "short", record: fromHex("8100"), code: "truncated" },
  { name: "bad marker", record: fromHex("01000c00"), code: "invalid" },
  { name: "config OBU past the end", record: fromHex("81000c000a0b0000"), code: "truncated" },
];

export const AV1_KEY_TU = fixture("av1-64-key.obu");
export const AV1_INTER_TU = fixture("av1-64-inter.obu");
