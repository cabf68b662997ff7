/** A TsDemuxerSink that records what it is given (tests, fuzzing, tools): copies of frames and configurations. */
import { TsDemuxer } from "./demuxer.ts";
import type { TsDemuxerSink, TsTrack } from "./ts-track.ts";

export interface RecordedFrame {
  pid: number;
  dts: number;
  pts: number;
  key: boolean;
  payload: Uint8Array;
}

export class DemuxRecorder implements TsDemuxerSink {
  readonly frames: RecordedFrame[] = [];
  readonly tracks: { pid: number; config: Uint8Array; clockRate: number; track: TsTrack }[] = [];
  /** Keep only counts and the last frame (fuzzing: bounded memory). */
  countOnly = false;
  frameCount = 0;
  private buf = new Uint8Array(1024);

  onTrack(t: TsTrack): void {
    if (!this.countOnly) this.tracks.push({ pid: t.pid, config: t.config!.slice(), clockRate: t.clockRate, track: t });
  }

  reserve(size: number): Uint8Array {
    if (size > this.buf.length) this.buf = new Uint8Array(size * 2);
    return this.buf;
  }

  onFrame(t: TsTrack, size: number, dts: number, pts: number, key: boolean): void {
    this.frameCount++;
    if (this.countOnly) return;
    this.frames.push({ pid: t.pid, dts, pts, key, payload: this.buf.slice(0, size) });
  }
}

/** Demuxes `input` cut into chunks at `splits` (offsets); returns the recorder and the demuxer. */
export function demuxAll(input: Uint8Array, splits: number[] = [], countOnly = false): { rec: DemuxRecorder; demuxer: TsDemuxer } {
  const rec = new DemuxRecorder();
  rec.countOnly = countOnly;
  const demuxer = new TsDemuxer(rec);
  let at = 0;
  for (const s of [...splits, input.length]) {
    if (s > at) demuxer.push(input.subarray(at, s));
    at = Math.max(at, s);
  }
  demuxer.end();
  return { rec, demuxer };
}
