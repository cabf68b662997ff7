import { expect, test } from "bun:test";
import { ProtocolError } from "../core/errors.ts";
import { newMpegAudioHeader, parseMpegAudioHeader } from "./mp3.ts";

test("MPEG audio headers", () => {
  const h = newMpegAudioHeader();
  // MPEG-1 layer III, 128 kbit/s, 44.1 kHz, joint stereo: the classic ff fb 90 64
  expect(parseMpegAudioHeader(Uint8Array.of(0xff, 0xfb, 0x90, 0x64), 0, h)).toBe(4);
  expect(h).toEqual({ version: 1, layer: 3, sampleRate: 44100, channels: 2, samplesPerFrame: 1152, bitrateKbps: 128, frameLength: 417 });
  // MPEG-2 layer III, 64 kbit/s, 24 kHz, mono
  parseMpegAudioHeader(Uint8Array.of(0xff, 0xf3, 0x84, 0xc0), 0, h);
  expect([h.version, h.sampleRate, h.channels, h.samplesPerFrame, h.bitrateKbps, h.frameLength]).toEqual([2, 24000, 1, 576, 64, 192]);
  expect(parseMpegAudioHeader(Uint8Array.of(0xff, 0xfb, 0x90), 0, h)).toBe(0);
  expect(() => parseMpegAudioHeader(Uint8Array.of(0xff, 0xfb, 0xf0, 0x64), 0, h)).toThrow(ProtocolError);
  expect(() => parseMpegAudioHeader(Uint8Array.of(0x00, 0xfb, 0x90, 0x64), 0, h)).toThrow(ProtocolError);
});
