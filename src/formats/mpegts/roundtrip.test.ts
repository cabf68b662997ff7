/** Muxer → demuxer: the same frames, timestamps (shifted by the PCR delay) and configurations come back. */
import { describe, expect, test } from "bun:test";
import { hex } from "../../codecs/bits.ts";
import { concatBytes } from "../../core/bytes.ts";
import type { Frame } from "../../core/frame.ts";
import { demuxAll } from "./demux-recorder.ts";
import { makeFrames, makeTrack } from "./mux-fixtures.ts";
import { FIRST_ES_PID, TsMuxer } from "./muxer.ts";

const CASES = [
  { name: "H.264 with B-frames + AAC", video: "h264", audio: "aac", samples: 1024 },
  { name: "H.265 with B-frames + Opus", video: "h265", audio: "opus", samples: 960 },
] as const;

describe("round trip", () => {
  for (const c of CASES) {
    test(c.name, () => {
      const tracks = [makeTrack(0, c.video), makeTrack(1, c.audio)];
      const frames = makeFrames({ id: 0, codec: c.video, fps: 30, gop: 15 }, { id: 1, samples: c.samples }, 2);
      const muxer = new TsMuxer(tracks);
      const parts: Uint8Array[] = [];
      for (const f of frames) {
        const out = new Uint8Array(muxer.encodedSize(f));
        muxer.encodeTo(out, 0);
        parts.push(out);
      }
      expect(muxer.framesSkipped).toBe(0);
      const { rec, demuxer } = demuxAll(concatBytes(parts), [], false);
      expect({ ...demuxer.stats, frames: 0 }).toEqual({ ...demuxer.stats, frames: 0, ccErrors: 0, pesErrors: 0, esErrors: 0, psiErrors: 0, framesDropped: 0 });
      const offset = (trackId: number) => (muxer.timestampOffset90 * tracks[trackId]!.clockRate) / 90000;
      const expected = (f: Frame) => ({ pid: FIRST_ES_PID + f.track, dts: f.dts + offset(f.track), pts: f.pts + offset(f.track), key: f.keyframe, payload: hex(f.payload) });
      const byPid = (pid: number) => rec.frames.filter((f) => f.pid === pid).map((f) => ({ ...f, payload: hex(f.payload) }));
      for (const t of [0, 1]) {
        expect(byPid(FIRST_ES_PID + t)).toEqual(frames.filter((f) => f.track === t).map(expected));
      }
      expect(rec.frames.some((f) => f.pts !== f.dts)).toBe(true);
      // The audio is announced first: the video PES waits for the next one to close it.
      expect(rec.tracks.map((t) => [t.pid, hex(t.config), t.clockRate]).sort()).toEqual(tracks.map((t) => [FIRST_ES_PID + t.id, hex(t.config!), t.clockRate]));
    });
  }
});
