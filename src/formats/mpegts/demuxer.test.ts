import { describe, expect, test } from "bun:test";
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
