import { describe, expect, test } from "bun:test";
import { ProtocolError } from "../../core/errors.ts";
import type { Codec } from "../../core/track.ts";
import { hex } from "../../codecs/bits.ts";
import { AUDIO_CASES, BAD_CASES, VIDEO_CASES, type TagCase } from "./tag.cases.ts";
import { audioTagHeaderSize, decodeAudioTag, decodeVideoTag, FlvTag, tagPayload, videoTagHeaderSize, writeAudioTagHeader, writeVideoTagHeader } from "./tag.ts";

const tag = new FlvTag();

function check(c: TagCase): void {
  const t = c.audio ? decodeAudioTag(c.body, tag) : decodeVideoTag(c.body, tag);
  expect(t).toBe(tag);
  expect(t.kind).toBe(c.kind);
  expect(t.codec).toBe(c.codec);
  if (c.kind === "ignored") expect(t.reason).not.toBe("");
  if (c.keyframe !== undefined) expect(t.keyframe).toBe(c.keyframe);
  if (c.cts !== undefined) expect(t.cts).toBe(c.cts);
  if (c.payload) expect(hex(tagPayload(c.body, t))).toBe(hex(c.payload));
  if (c.enhanced !== undefined) expect(t.enhanced).toBe(c.enhanced);
  if (c.trackId !== undefined) expect(t.trackId).toBe(c.trackId);
  if (c.sampleRate !== undefined) expect(t.sampleRate).toBe(c.sampleRate);
  if (c.channels !== undefined) expect(t.channels).toBe(c.channels);
}

function encode(c: TagCase): Uint8Array {
  const e = c.encodes!;
  const codec = c.codec as Codec;
  const size = c.audio ? audioTagHeaderSize(codec, e.kind) : videoTagHeaderSize(codec, e.kind, e.cts ?? 0);
  const payload = c.payload ?? new Uint8Array(0);
  const buf = new Uint8Array(size + payload.length + 3).fill(0xee);
  const n = c.audio
    ? writeAudioTagHeader(buf, 3, codec, e.kind, e.sampleRate, e.channels)
    : writeVideoTagHeader(buf, 3, codec, e.kind, e.keyframe ?? true, e.cts ?? 0);
  expect(n).toBe(size);
  buf.set(payload, 3 + n);
  return buf.subarray(3, 3 + n + payload.length);
}

describe("video tags", () => {
  for (const c of VIDEO_CASES) test(c.name, () => check(c));
});

describe("audio tags", () => {
  for (const c of AUDIO_CASES) test(c.name, () => check(c));
});

describe("round trip: the writers produce the case bytes", () => {
  for (const c of [...VIDEO_CASES, ...AUDIO_CASES].filter((c) => c.encodes)) {
    test(c.name, () => {
      const body = encode(c);
      expect(hex(body)).toBe(hex(c.body));
      check({ ...c, body });
    });
  }

  test("composition time out of SI24 range and impossible codec/kind pairs", () => {
    const buf = new Uint8Array(16);
    expect(() => writeVideoTagHeader(buf, 0, "h264", "frame", true, 0x800000)).toThrow(ProtocolError);
    expect(() => writeVideoTagHeader(buf, 0, "aac", "frame", true, 0)).toThrow();
    expect(() => writeAudioTagHeader(buf, 0, "aac", "eos")).toThrow();
    expect(() => writeAudioTagHeader(buf, 0, "h264", "frame")).toThrow();
  });
});

describe("malformed", () => {
  for (const c of BAD_CASES) {
    test(c.name, () => {
      let err: unknown;
      try {
        if (c.audio) decodeAudioTag(c.body, tag);
        else decodeVideoTag(c.body, tag);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ProtocolError);
      expect((err as ProtocolError).code).toBe(c.code);
    });
  }
});
