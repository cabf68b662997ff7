import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { ProtocolError } from "../../core/errors.ts";
import { adaptationFieldSize, decodeTsPacket, readPcr, TS_PACKET_SIZE, TsPacketHeader, writeAdaptationField, writePcr, writeTsHeader } from "./packet.ts";

const FFMPEG_TS = new Uint8Array(readFileSync(new URL("./testdata/ffmpeg-h264-aac.mpegts", import.meta.url)));

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    if (e instanceof ProtocolError) return e.code;
    throw e;
  }
  return "none";
}

describe("TS packet header", () => {
  test("ffmpeg's first video packet: PUSI, random access, PCR 63000 × 300", () => {
    const h = new TsPacketHeader();
    expect(decodeTsPacket(FFMPEG_TS, 3 * TS_PACKET_SIZE, h)).toBe(TS_PACKET_SIZE);
    expect([h.pid, h.payloadUnitStart, h.afc, h.cc, h.randomAccess, h.pcr, h.payloadOffset]).toEqual([0x100, true, 3, 0, true, 63000 * 300, 12]);
    expect(h.hasPayload).toBe(true);
  });

  test("need more bytes, bad sync byte, reserved adaptation_field_control, adaptation field too long", () => {
    const h = new TsPacketHeader();
    expect(decodeTsPacket(FFMPEG_TS.subarray(0, 187), 0, h)).toBe(0);
    const p = FFMPEG_TS.slice(0, TS_PACKET_SIZE);
    p[0] = 0x46;
    expect(codeOf(() => decodeTsPacket(p, 0, h))).toBe("sync");
    const q = new Uint8Array(TS_PACKET_SIZE);
    writeTsHeader(q, 0, 0x100, false, 0, 0);
    expect(codeOf(() => decodeTsPacket(q, 0, h))).toBe("invalid");
    writeTsHeader(q, 0, 0x100, false, 3, 0);
    q[4] = 183; // 183 leaves no room for the payload the header promises
    expect(codeOf(() => decodeTsPacket(q, 0, h))).toBe("invalid");
    writeTsHeader(q, 0, 0x100, false, 2, 0);
    expect(decodeTsPacket(q, 0, h)).toBe(TS_PACKET_SIZE);
    expect(h.hasPayload).toBe(false);
  });

  test("PCR round trip, including the top of the 33-bit range", () => {
    const b = new Uint8Array(6);
    for (const v of [0, 1, 63000, 0x100000000, 0x1ffffffff]) {
      writePcr(b, 0, v);
      expect(readPcr(b, 0)).toBe(v * 300);
    }
    writePcr(b, 0, 0x200000000 + 5); // wraps
    expect(readPcr(b, 0)).toBe(5 * 300);
  });

  test("adaptation fields: one stuffing byte, flags only, PCR and stuffing", () => {
    const b = new Uint8Array(20).fill(0xaa);
    writeAdaptationField(b, 0, 1, true, 90);
    expect([...b.subarray(0, 2)]).toEqual([0, 0xaa]);
    writeAdaptationField(b, 0, 2, true, -1);
    expect([...b.subarray(0, 3)]).toEqual([1, 0x40, 0xaa]);
    writeAdaptationField(b, 0, 12, false, 90);
    expect(b[0]).toBe(11);
    expect(b[1]).toBe(0x10);
    expect(readPcr(b, 2)).toBe(90 * 300);
    expect([...b.subarray(8, 13)]).toEqual([0xff, 0xff, 0xff, 0xff, 0xaa]);
    expect([adaptationFieldSize(false, false), adaptationFieldSize(true, false), adaptationFieldSize(true, true)]).toEqual([0, 2, 8]);
  });
});
