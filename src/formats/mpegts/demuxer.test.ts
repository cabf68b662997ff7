import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { describeConfig } from "../../codecs/describe.ts";
import { hex } from "../../codecs/bits.ts";
import { mulberry32 } from "../../core/fuzz.ts";
import { DEMUX_CASES, type DemuxCase } from "./demuxer.cases.ts";
import { demuxAll } from "./demux-recorder.ts";

function splitsOf(mode: string, length: number): number[] {
  if (mode === "whole") return [];
  if (mode === "bytes") return Array.from({ length }, (_, i) => i);
  if (mode === "srt") return Array.from({ length: Math.ceil(length / 1316) }, (_, i) => i * 1316);
  const rng = mulberry32(length);
  const out: number[] = [];
  for (let at = 0; at < length; at += 1 + rng.below(400)) out.push(at);
  return out;
}

function check(c: DemuxCase, mode: string): void {
  const { rec, demuxer } = demuxAll(c.input, splitsOf(mode, c.input.length));
  const frames = rec.frames.map((f) => ({ ...f, payload: hex(f.payload) }));
  expect(frames).toEqual(c.frames.map((f) => ({ ...f, payload: hex(f.payload) })));
  expect(rec.tracks.map((t) => ({ pid: t.pid, config: hex(t.config), clockRate: t.clockRate }))).toEqual(
    c.tracks.map((t) => ({ ...t, config: hex(t.config) })),
  );
  const stats: Record<string, number> = { ...demuxer.stats, syncLosses: demuxer.syncLosses, skippedBytes: demuxer.skippedBytes };
  for (const [k, v] of Object.entries(c.stats ?? {})) expect([k, stats[k]]).toEqual([k, v]);
  if (c.pcr !== undefined) expect(demuxer.pcr).toBe(c.pcr);
  expect(demuxer.stats.frames).toBe(c.frames.length);
}

describe("TsDemuxer case table", () => {
  for (const c of DEMUX_CASES) {
    test(c.name, () => {
      for (const mode of ["whole", "srt", "random", "bytes"]) check(c, mode);
    });
  }
});

describe("the ffmpeg fixture", () => {
  test("3 H.264 frames (B-frames) and 16 AAC frames, as ffprobe counts them", () => {
    const input = new Uint8Array(readFileSync(new URL("./testdata/ffmpeg-h264-aac.mpegts", import.meta.url)));
    const { rec, demuxer } = demuxAll(input, splitsOf("srt", input.length));
    const video = rec.frames.filter((f) => f.pid === 0x100);
    const audio = rec.frames.filter((f) => f.pid === 0x101);
    expect(video.map((f) => [f.dts, f.pts, f.key])).toEqual([[126000, 144000, true], [135000, 162000, false], [144000, 153000, false]]);
    expect(audio.length).toBe(16);
    expect(audio[0]!.dts).toBe((142080 * 48000) / 90000);
    expect(describeConfig("h264", rec.tracks[0]!.config)).toMatchObject({ width: 64, height: 64 });
    expect(describeConfig("aac", rec.tracks.find((t) => t.pid === 0x101)!.config)).toMatchObject({ sampleRate: 48000, channels: 1 });
    expect(demuxer.pcr).toBeGreaterThan(0);
    expect(demuxer.stats.packets).toBe(input.length / 188);
  });
});
