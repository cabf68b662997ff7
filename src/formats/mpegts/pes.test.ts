import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { ProtocolError } from "../../core/errors.ts";
import { decodePesHeader, encodePesHeader, PesHeader, pesHeaderSize, TIMESTAMP_WRAP } from "./pes.ts";

const FFMPEG_TS = new Uint8Array(readFileSync(new URL("./testdata/ffmpeg-h264-aac.mpegts", import.meta.url)));

describe("PES header", () => {
  test("ffmpeg's first video PES: unbounded, PTS 144000, DTS 126000", () => {
    const h = new PesHeader();
    const at = 3 * 188 + 12;
    expect(decodePesHeader(FFMPEG_TS, at, 4 * 188, h)).toBe(19);
    expect([h.streamId, h.packetLength, h.pts, h.dts]).toEqual([0xe0, 0, 144000, 126000]);
  });

  test("round trip: PTS only, PTS and DTS, values past 2^32 and the 2^33 wrap", () => {
    const h = new PesHeader();
    const buf = new Uint8Array(19);
    for (const [pts, dts] of [[0, -1], [90000, 87000], [0x1ffffffff, 0x100000000], [TIMESTAMP_WRAP + 7, -1]] as const) {
      const n = encodePesHeader(buf, 0, 0xc0, 100, false, pts, dts);
      expect(n).toBe(pesHeaderSize(dts >= 0));
      expect(decodePesHeader(buf, 0, n, h)).toBe(n);
      expect([h.streamId, h.packetLength, h.pts, h.dts, h.dataAlignment]).toEqual([0xc0, n - 6 + 100, pts % TIMESTAMP_WRAP, dts, true]);
    }
    encodePesHeader(buf, 0, 0xc0, 0, false, -90, -1); // a negative time wraps
    decodePesHeader(buf, 0, 19, h);
    expect(h.pts).toBe(TIMESTAMP_WRAP - 90);
    encodePesHeader(buf, 0, 0xe0, 70000, false, 0, -1);
    expect(decodePesHeader(buf, 0, 19, h)).toBe(14);
    expect(h.packetLength).toBe(0); // too long for the field
  });

  test("need more bytes; refused: no start code, PTS_DTS_flags 01, a header too short for its timestamps", () => {
    const h = new PesHeader();
    const buf = new Uint8Array(19);
    const n = encodePesHeader(buf, 0, 0xe0, 0, true, 1, 0);
    expect(decodePesHeader(buf, 0, n - 1, h)).toBe(0);
    expect(decodePesHeader(buf, 0, 5, h)).toBe(0);
    const refuse = (mutate: (b: Uint8Array) => void) => {
      const b = buf.slice();
      mutate(b);
      try {
        decodePesHeader(b, 0, n, h);
      } catch (e) {
        return e instanceof ProtocolError ? e.code : "other";
      }
      return "none";
    };
    expect(refuse((b) => (b[2] = 2))).toBe("invalid");
    expect(refuse((b) => (b[7] = 0x40))).toBe("invalid");
    expect(refuse((b) => (b[8] = 4))).toBe("invalid");
    // padding stream: no optional header
    const pad = Uint8Array.of(0, 0, 1, 0xbe, 0, 2, 0xff, 0xff);
    expect(decodePesHeader(pad, 0, pad.length, h)).toBe(6);
  });
});
