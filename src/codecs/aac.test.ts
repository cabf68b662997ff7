import { describe, expect, test } from "bun:test";
import { ProtocolError } from "../core/errors.ts";
import { hex } from "./bits.ts";
import { ADTS_STREAM, ASC_BAD_CASES, ASC_CASES } from "./aac.cases.ts";
import {
  ADTS_HEADER_SIZE, adtsToAudioSpecificConfig, buildAudioSpecificConfig, describeAac, newAdtsHeader, parseAdtsHeader,
  parseAudioSpecificConfig, writeAdtsHeader,
} from "./aac.ts";

describe("AudioSpecificConfig", () => {
  for (const c of ASC_CASES) {
    test(c.name, () => {
      const cfg = parseAudioSpecificConfig(c.asc);
      expect([cfg.sampleRate, cfg.channels, cfg.sbr, cfg.ps]).toEqual([c.sampleRate, c.channels, c.sbr, c.ps]);
      expect(cfg.extensionSampleRate).toBe(c.extensionSampleRate);
      expect(describeAac(c.asc)).toMatchObject({ codecString: c.codecString, sampleRate: c.sampleRate, channels: c.channels });
    });
  }

  for (const c of ASC_BAD_CASES) {
    test(`rejects ${c.name}`, () => {
      let err: unknown;
      try {
        parseAudioSpecificConfig(c.asc);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ProtocolError);
      expect((err as ProtocolError).code).toBe(c.code);
    });
  }

  test("build", () => {
    expect(hex(buildAudioSpecificConfig({ objectType: 2, sampleRate: 44100, channels: 2 }))).toBe("1210");
    expect(hex(buildAudioSpecificConfig({ objectType: 2, sampleRate: 48000, channels: 1 }))).toBe("1188");
    const odd = parseAudioSpecificConfig(buildAudioSpecificConfig({ objectType: 2, sampleRate: 44056, channels: 8 }));
    expect([odd.sampleRate, odd.channels]).toEqual([44056, 8]);
    expect(() => buildAudioSpecificConfig({ objectType: 5, sampleRate: 44100, channels: 2 })).toThrow(ProtocolError);
    expect(() => buildAudioSpecificConfig({ objectType: 2, sampleRate: 44100, channels: 7 })).toThrow(ProtocolError);
  });
});

describe("ADTS", () => {
  test("ffmpeg frames parse, and re-written headers match", () => {
    const h = newAdtsHeader();
    let off = 0;
    let frames = 0;
    while (off < ADTS_STREAM.length) {
      const n = parseAdtsHeader(ADTS_STREAM, off, h);
      expect(n).toBe(h.frameLength);
      expect([h.headerLength, h.objectType, h.sampleRate, h.channelConfiguration]).toEqual([7, 2, 48000, 2]);
      const asc = parseAudioSpecificConfig(adtsToAudioSpecificConfig(h));
      const out = new Uint8Array(ADTS_HEADER_SIZE);
      expect(writeAdtsHeader(out, 0, asc, h.frameLength - 7)).toBe(7);
      // buffer fullness differs (ffmpeg writes 0x7ff too), so the whole header matches
      expect(hex(out)).toBe(hex(ADTS_STREAM.subarray(off, off + 7)));
      off += n;
      frames++;
    }
    expect(frames).toBe(2);
  });

  test("need more, bad sync, bad length", () => {
    const h = newAdtsHeader();
    expect(parseAdtsHeader(ADTS_STREAM.subarray(0, 6), 0, h)).toBe(0);
    expect(parseAdtsHeader(ADTS_STREAM.subarray(0, 20), 0, h)).toBe(0);
    expect(h.frameLength).toBeGreaterThan(20);
    expect(() => parseAdtsHeader(Uint8Array.of(0xff, 0xe1, 0, 0, 0, 0, 0), 0, h)).toThrow(ProtocolError);
    expect(() => parseAdtsHeader(Uint8Array.of(0xff, 0xf1, 0x50, 0x80, 0, 0x1f, 0xfc), 0, h)).toThrow(ProtocolError);
  });

  test("HE-AAC is written as its LC core", () => {
    const he = parseAudioSpecificConfig(ASC_CASES[3]!.asc);
    const out = new Uint8Array(7);
    writeAdtsHeader(out, 0, he, 100);
    parseAdtsHeader(Uint8Array.from([...out, ...new Uint8Array(100)]), 0, newAdtsHeader());
    const h = newAdtsHeader();
    parseAdtsHeader(out, 0, h);
    expect([h.objectType, h.sampleRate, h.frameLength]).toEqual([2, 24000, 107]);
  });
});
