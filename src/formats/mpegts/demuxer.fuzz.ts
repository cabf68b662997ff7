import { readFileSync } from "node:fs";
import { concatBytes } from "../../core/bytes.ts";
import type { FuzzTarget } from "../../core/fuzz-target.ts";
import { DEMUX_CASES } from "./demuxer.cases.ts";
import { demuxAll } from "./demux-recorder.ts";

const FFMPEG_TS = new Uint8Array(readFileSync(new URL("./testdata/ffmpeg-h264-aac.mpegts", import.meta.url)));

/**
 * Whole transport streams through the demuxer. The first input byte picks the chunking (0: one
 * chunk, n: chunks of 8n bytes), the rest is the stream. Frames are only counted (bounded memory);
 * the count must match the demuxer's own.
 */
export const target: FuzzTarget = {
  name: "mpegts/demuxer",
  seeds: [
    ...DEMUX_CASES.map((c) => concatBytes([Uint8Array.of(0), c.input])),
    concatBytes([Uint8Array.of(0), FFMPEG_TS]),
    concatBytes([Uint8Array.of(165), FFMPEG_TS.subarray(188 * 3)]), // SRT-sized chunks, joined mid-stream
  ],
  maxInputBytes: 6144,
  run(input) {
    if (input.length === 0) return 0;
    const stream = input.subarray(1);
    const step = input[0]! * 8;
    const splits: number[] = [];
    if (step > 0) for (let at = step; at < stream.length; at += step) splits.push(at);
    const { rec, demuxer } = demuxAll(stream, splits, true);
    if (rec.frameCount !== demuxer.stats.frames) throw new Error(`${rec.frameCount} frames delivered, ${demuxer.stats.frames} counted`);
    return rec.frameCount;
  },
};
