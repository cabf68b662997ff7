import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { hex } from "../../codecs/bits.ts";
import { ProtocolError } from "../../core/errors.ts";
import { crc32Mpeg } from "./crc32.ts";
import { decodePat, decodePmt, encodePat, encodePmt, FOURCC_OPUS, pmtSize, type Pmt } from "./psi.ts";

const FFMPEG_TS = new Uint8Array(readFileSync(new URL("./testdata/ffmpeg-h264-aac.mpegts", import.meta.url)));

/** The section in packet `n` of the fixture (pointer_field 0). */
function sectionOf(n: number): Uint8Array {
  const p = FFMPEG_TS.subarray(n * 188 + 5);
  return p.subarray(0, 3 + (((p[1]! & 0xf) << 8) | p[2]!));
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof ProtocolError) return e.code;
    throw e;
  }
  return "none";
}

describe("PSI", () => {
  test("CRC-32/MPEG-2 check value; a section with its CRC checks to 0", () => {
    expect(crc32Mpeg(new TextEncoder().encode("123456789"))).toBe(0x0376e6e7);
    expect(crc32Mpeg(sectionOf(1))).toBe(0);
  });

  test("ffmpeg's PAT and PMT decode, and encode back byte for byte", () => {
    const pat = sectionOf(1);
    expect(decodePat(pat, pat.length)).toBe(0x1000);
    const out = new Uint8Array(16);
    expect(encodePat(out, 0, 1, 1, 0x1000, 0)).toBe(pat.length);
    expect(hex(out)).toBe(hex(pat));

    const pmt = sectionOf(2);
    const decoded = decodePmt(pmt, pmt.length);
    expect(decoded).toEqual({
      programNumber: 1, version: 0, pcrPid: 0x100,
      streams: [
        { streamType: 0x1b, pid: 0x100, registration: 0, opusChannelCode: -1 },
        { streamType: 0x0f, pid: 0x101, registration: 0, opusChannelCode: -1 },
      ],
    });
    const again = new Uint8Array(pmtSize(decoded));
    encodePmt(again, 0, decoded);
    expect(hex(again)).toBe(hex(pmt));
  });

  test("Opus descriptors round trip", () => {
    const pmt: Pmt = { programNumber: 1, version: 7, pcrPid: 0x101, streams: [{ streamType: 0x06, pid: 0x101, registration: FOURCC_OPUS, opusChannelCode: 0x86 }] };
    const out = new Uint8Array(pmtSize(pmt));
    encodePmt(out, 0, pmt);
    expect(decodePmt(out, out.length)).toEqual(pmt);
  });

  test("refused: wrong table, bad CRC, a descriptor loop past the section, too short", () => {
    const pmt = sectionOf(2).slice();
    expect(codeOf(() => decodePat(pmt, pmt.length))).toBe("invalid");
    const bad = pmt.slice();
    bad[12] = bad[12]! ^ 1;
    expect(codeOf(() => decodePmt(bad, bad.length))).toBe("crc");
    const long = new Uint8Array(pmtSize({ programNumber: 1, version: 0, pcrPid: 1, streams: [] }));
    encodePmt(long, 0, { programNumber: 1, version: 0, pcrPid: 1, streams: [] });
    long[10] = 0xf0;
    long[11] = 0x40; // program_info_length 64
    new DataView(long.buffer).setUint32(long.length - 4, crc32Mpeg(long, 0, long.length - 4));
    expect(codeOf(() => decodePmt(long, long.length))).toBe("invalid");
    expect(codeOf(() => decodePat(pmt, 8))).toBe("invalid");
  });
});
