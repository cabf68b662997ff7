import { describe, expect, test } from "bun:test";
import { ProtocolError } from "../core/errors.ts";
import { hex } from "./bits.ts";
import { OPUS_HEAD_BAD_CASES, OPUS_HEAD_CASES, OPUS_PACKET_BAD, OPUS_PACKET_CASES } from "./opus.cases.ts";
import { buildOpusHead, describeOpus, opusPacketSamples, parseOpusHead } from "./opus.ts";

describe("OpusHead", () => {
  for (const c of OPUS_HEAD_CASES) {
    test(c.name, () => {
      const h = parseOpusHead(c.head);
      expect([h.channels, h.preSkip, h.mappingFamily, h.inputSampleRate]).toEqual([c.channels, c.preSkip, c.mappingFamily, 48000]);
      expect(describeOpus(c.head)).toEqual({ codecString: "opus", sampleRate: 48000, channels: c.channels });
      const rebuilt = buildOpusHead({ ...h });
      expect(hex(rebuilt)).toBe(hex(c.head));
    });
  }
  for (const c of OPUS_HEAD_BAD_CASES) {
    test(`rejects ${c.name}`, () => {
      let err: unknown;
      try {
        parseOpusHead(c.head);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ProtocolError);
      expect((err as ProtocolError).code).toBe(c.code);
    });
  }
  test("build refuses impossible layouts", () => {
    expect(() => buildOpusHead({ channels: 3 })).toThrow(ProtocolError);
    expect(() => buildOpusHead({ channels: 0 })).toThrow(ProtocolError);
    expect(() => buildOpusHead({ channels: 3, mappingFamily: 1 })).toThrow(ProtocolError);
  });
});

describe("packet duration", () => {
  for (const [name, packet, samples] of OPUS_PACKET_CASES) {
    test(name, () => expect(opusPacketSamples(packet)).toBe(samples));
  }
  for (const [name, packet] of OPUS_PACKET_BAD) {
    test(`rejects ${name}`, () => expect(() => opusPacketSamples(packet)).toThrow(ProtocolError));
  }
});
