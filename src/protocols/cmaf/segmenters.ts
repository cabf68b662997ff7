/**
 * The running CMAF segmenters, one per watched stream: started by the first HLS or DASH request for
 * a path, stopped after `idleTimeoutMs` without one (a sweep every quarter of it, only while any
 * runs) or when the stream ends. A running segmenter counts as one "cmaf" reader of its stream, so
 * a pulled stream keeps being pulled while HTTP players watch it. With nobody watching, none runs:
 * `count` says so in the API.
 */
import { wallMs } from "../../core/errors.ts";
import { isValidPath, type PathTable } from "../../core/path-table.ts";
import type { Stream } from "../../core/stream.ts";
import { CmafSegmenter, type SegmenterOptions } from "./segmenter.ts";

export interface SegmentersOptions extends SegmenterOptions {
  idleTimeoutMs: number;
}

/** Seconds since 2020: a new segmenter's first media sequence number (see firstMsn). */
const MSN_EPOCH_MS = Date.UTC(2020, 0, 1);

export class Segmenters {
  readonly running = new Map<Stream, CmafSegmenter>();
  /** Segmenters started since the server started. */
  started = 0;
  private sweeper: ReturnType<typeof setInterval> | null = null;
  /** Per path, the media sequence number after the last one a stopped segmenter produced. */
  private nextMsn = new Map<string, number>();

  constructor(
    readonly opts: SegmentersOptions,
    private readonly paths: PathTable,
  ) {}

  get count(): number {
    return this.running.size;
  }

  /**
   * The stream an HLS/DASH request names: one that is published (live, or waiting for its publisher
   * to come back), already segmented, or pullable from a source. Null means 404.
   */
  resolve(path: string): Stream | null {
    if (!isValidPath(path)) return null;
    const s = this.paths.get(path);
    if (s && (this.running.has(s) || s.state === "live" || s.state === "waiting" || this.paths.pulling(s))) return s;
    const r = this.paths.read(path); // starts a pull when a source knows the path
    if (r.state === "live" || this.paths.pulling(r)) return r;
    this.paths.readerLeft(r);
    return null;
  }

  /** The stream's segmenter, started when none runs; each call counts as a request (idle timeout). */
  acquire(stream: Stream): CmafSegmenter {
    const seg = stream.writer("cmaf", (s) => this.start(s));
    seg.lastRequestMs = wallMs();
    return seg;
  }

  /** The API's view of a stream's segmenter (null when none runs). */
  stats(stream: Stream) {
    const seg = this.running.get(stream);
    if (!seg) return null;
    const tl = seg.timeline;
    const newest = tl.nextPart > 0 ? { msn: tl.nextMsn, part: tl.nextPart - 1 } : null;
    return {
      version: tl.version,
      partTargetSec: tl.partTargetSec,
      targetDurationSec: tl.targetDurationSec,
      segments: tl.segments.length,
      next: { msn: tl.nextMsn, part: tl.nextPart },
      newestPart: newest,
      newestPartMs: seg.newestPartMs,
      partsProduced: seg.partsProduced,
      segmentsProduced: seg.segmentsProduced,
      fragmentsMuxed: seg.fragmentsMuxed,
      bytesMuxed: seg.bytesMuxed,
      playlistRenders: seg.playlistRenders,
      droppedSamples: seg.droppedSamples,
      restarts: seg.restarts,
      idleMs: Math.round(wallMs() - seg.lastRequestMs),
    };
  }

  /** Stops every segmenter (shutdown). */
  close(): void {
    for (const seg of [...this.running.values()]) seg.close();
  }

  private start(stream: Stream): CmafSegmenter {
    const seg = new CmafSegmenter(stream, this.opts, this.firstMsn(stream.path));
    this.started++;
    this.running.set(stream, seg);
    stream.addReader("cmaf");
    seg.onClose = () => {
      this.running.delete(stream);
      this.nextMsn.set(stream.path, seg.timeline.nextMsn + 1);
      stream.removeReader("cmaf");
      this.paths.readerLeft(stream);
      if (this.running.size === 0 && this.sweeper) {
        clearInterval(this.sweeper);
        this.sweeper = null;
      }
    };
    if (!this.sweeper) {
      this.sweeper = setInterval(this.sweep, Math.max(50, Math.min(1000, this.opts.idleTimeoutMs / 4)));
      this.sweeper.unref?.();
    }
    return seg;
  }

  /**
   * Segment and part names are cached as immutable, so a restarted segmenter must not reuse one a
   * client may still hold: it continues after the previous one of its path, and never below the
   * seconds since 2020 (unique across restarts of the server too).
   */
  private firstMsn(path: string): number {
    return Math.max(Math.floor((Date.now() - MSN_EPOCH_MS) / 1000), this.nextMsn.get(path) ?? 0);
  }

  private readonly sweep = (): void => {
    const idleBefore = wallMs() - this.opts.idleTimeoutMs;
    for (const seg of [...this.running.values()]) if (seg.lastRequestMs < idleBefore) seg.close();
  };
}
