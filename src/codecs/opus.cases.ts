/** The Opus case table: feeds opus.test.ts and the opus fuzz seeds. */
import { fixture } from "./h264.cases.ts";

export const OPUS_HEAD_CASES: { name: string; head: Uint8Array; channels: number; preSkip: number; mappingFamily: number }[] = [
  { name: "libopus stereo (from Ogg)", head: fixture("opus-stereo.opushead"), channels: 2, preSkip: 312, mappingFamily: 0 },
  {
    name: "5.1, mapping family 1",
    head: Uint8Array.of(0x4f, 0x70, 0x75, 0x73, 0x48, 0x65, 0x61, 0x64, 1, 6, 0x38, 0x01, 0x80, 0xbb, 0, 0, 0, 0, 1, 4, 2, 0, 4, 1, 2, 3, 5),
    channels: 6, preSkip: 312, mappingFamily: 1,
  },
];

export const OPUS_HEAD_BAD_CASES: { name: string; head: Uint8Array; code: string }[] = [
  { name: "short", head: fixture("opus-stereo.opushead").subarray(0, 18), code: "truncated" },
  { name: "OpusTags instead", head: new TextEncoder().encode("OpusTags\x0d\0\0\0libopus 1.3.1"), code: "invalid" },
  { name: "major version 1", head: Uint8Array.from([...fixture("opus-stereo.opushead")].map((b, i) => (i === 8 ? 0x10 : b))), code: "unsupported" },
  { name: "family 1 without mapping", head: Uint8Array.from([...fixture("opus-stereo.opushead")].map((b, i) => (i === 18 ? 1 : b))), code: "truncated" },
];

/** [packet, samples at 48 kHz] (RFC 6716 §3.1). */
export const OPUS_PACKET_CASES: [string, Uint8Array, number][] = [
  ["CELT 20 ms, one frame", Uint8Array.of(0xfc, 0xff), 960],
  ["CELT 2.5 ms, one frame", Uint8Array.of(0x80), 120],
  ["hybrid 20 ms, one frame", Uint8Array.of(0x78), 960],
  ["SILK 10 ms, two equal frames", Uint8Array.of(0x01), 960],
  ["SILK 20 ms, two frames of different size", Uint8Array.of(0x0a, 0x01), 1920],
  ["SILK 20 ms, code 3 with 3 frames", Uint8Array.of(0x0b, 0x03), 2880],
  ["SILK 60 ms, code 3 with 2 frames (120 ms)", Uint8Array.of(0x1b, 0x02), 5760],
];

export const OPUS_PACKET_BAD: [string, Uint8Array][] = [
  ["empty", new Uint8Array(0)],
  ["code 3 without count", Uint8Array.of(0x0b)],
  ["code 3 with 0 frames", Uint8Array.of(0x0b, 0x00)],
  ["over 120 ms", Uint8Array.of(0x1b, 0x03)],
];
