import { Stream, type Publisher } from "./stream.ts";

export interface PathTableOptions {
  /** How long viewers wait for a publisher that dropped before they get end-of-stream. */
  graceMs: number;
  /** A second publisher replaces the live one instead of being refused. */
  takeover: boolean;
  ringBytes: number;
  ringFrames: number;
  /** Media every stream's ring keeps at least (it grows for it): what a viewer may lag behind. */
  retainMs?: number;
  /** Audio-only batches wait up to this long for video to share a write with (Stream.coalesceMs). */
  coalesceMs?: number;
  /** Pull sources tried, in order, when a reader asks for a path nobody publishes. */
  sources?: SourceProvider[];
  /** A pulled path with no readers left stops pulling after this long (default 5 s). */
  sourceLingerMs?: number;
  /** Wall-clock ms source for the streams (tests pass a fake one). */
  clock?: () => number;
}

/**
 * Publishes a path on demand (an SRT caller pulling from a remote listener; later the cluster
 * relay). It publishes through `PathTable.publish` like any publisher.
 */
export interface SourceProvider {
  /** Starts pulling `path` when this provider knows it; null when it does not. */
  start(path: string): SourceHandle | null;
}

export interface SourceHandle {
  stop(reason: string): void;
}

/** A publish on a path that already has a live publisher (and takeover is off). */
export class PathBusyError extends Error {
  constructor(readonly path: string) {
    super(`path ${path} already has a publisher`);
    this.name = "PathBusyError";
  }
}

/** Stream paths: one or more segments of [A-Za-z0-9_.~-], no empty or dot-only segment. */
const PATH_RE = /^[A-Za-z0-9_.~-]+(\/[A-Za-z0-9_.~-]+)*$/;
export const MAX_PATH_LENGTH = 256;

export function isValidPath(path: string): boolean {
  return path.length <= MAX_PATH_LENGTH && PATH_RE.test(path) && !path.split("/").some((s) => s === "." || s === "..");
}

/**
 * Every stream by path. Publishing claims a path (refused or taken over when live); a publisher that
 * drops leaves its stream waiting for `graceMs`; readers of a path nobody publishes yet wait on an
 * idle stream, which goes away with its last reader.
 */
export class PathTable {
  readonly streams = new Map<string, Stream>();
  private graceTimers = new Map<Stream, ReturnType<typeof setTimeout>>();
  /** Streams fed by a pull source, and the timer that stops an unwatched one. */
  private pulls = new Map<Stream, { handle: SourceHandle; linger: ReturnType<typeof setTimeout> | null }>();

  constructor(readonly opts: PathTableOptions) {}

  get(path: string): Stream | undefined {
    return this.streams.get(path);
  }

  /** Claims `path` for `publisher`; throws PathBusyError when it is live and takeover is off. */
  publish(path: string, publisher: Publisher): Stream {
    let stream = this.streams.get(path);
    if (stream?.state === "live" && stream.publisher) {
      if (!this.opts.takeover) throw new PathBusyError(path);
      const old = stream.publisher;
      stream.publisher = null; // its unpublish must not start a grace period
      old.close("taken over by a new publisher");
    }
    if (!stream) stream = this.create(path);
    const timer = this.graceTimers.get(stream);
    if (timer) clearTimeout(timer);
    this.graceTimers.delete(stream);
    stream.beginEpoch(publisher);
    return stream;
  }

  /** The publisher is gone: readers stay for the grace period, then get end-of-stream. */
  unpublish(stream: Stream, publisher: Publisher): void {
    if (stream.publisher !== publisher) return; // already replaced
    stream.setState("waiting");
    const timer = setTimeout(() => this.end(stream), this.opts.graceMs);
    timer.unref?.();
    this.graceTimers.set(stream, timer);
  }

  /** A reader asks for `path`: the stream, or an idle one to wait on. */
  read(path: string): Stream {
    let stream = this.streams.get(path);
    if (!stream) stream = this.create(path);
    const pull = this.pulls.get(stream);
    if (pull?.linger) {
      clearTimeout(pull.linger);
      pull.linger = null;
    } else if (!pull && !stream.publisher) {
      for (const p of this.opts.sources ?? []) {
        const handle = p.start(path);
        if (handle) {
          this.pulls.set(stream, { handle, linger: null });
          break;
        }
      }
    }
    return stream;
  }

  /** A pull source feeds (or is connecting to feed) this stream. */
  pulling(stream: Stream): boolean {
    return this.pulls.has(stream);
  }

  private create(path: string): Stream {
    const stream = new Stream(path, this.opts.ringBytes, this.opts.ringFrames, this.opts.clock);
    stream.coalesceMs = this.opts.coalesceMs ?? 0;
    stream.ring.retainMs = this.opts.retainMs ?? 0;
    this.streams.set(path, stream);
    return stream;
  }

  /** A reader left: an idle stream with no readers left is forgotten. */
  readerLeft(stream: Stream): void {
    if (stream.readerCount > 0) return;
    const pull = this.pulls.get(stream);
    if (pull && !pull.linger) {
      pull.linger = setTimeout(() => {
        pull.linger = null;
        if (stream.readerCount > 0) return; // a reader came without read() (an HLS segmenter): its leaving lingers again
        this.stopPull(stream, "no readers left");
        if (stream.state !== "live") this.end(stream);
      }, this.opts.sourceLingerMs ?? 5000);
      pull.linger.unref?.();
      return;
    }
    if (stream.state === "idle" && this.streams.get(stream.path) === stream) this.streams.delete(stream.path);
  }

  private stopPull(stream: Stream, reason: string): void {
    const pull = this.pulls.get(stream);
    if (!pull) return;
    this.pulls.delete(stream);
    if (pull.linger) clearTimeout(pull.linger);
    pull.handle.stop(reason);
  }

  /** Ends a stream now: readers get end-of-stream, the path is free. */
  end(stream: Stream): void {
    const timer = this.graceTimers.get(stream);
    if (timer) clearTimeout(timer);
    this.graceTimers.delete(stream);
    if (this.streams.get(stream.path) === stream) this.streams.delete(stream.path);
    this.stopPull(stream, "stream ended");
    stream.setState("ended");
  }

  /** Everything, at shutdown. */
  close(): void {
    for (const s of [...this.streams.values()]) {
      s.publisher?.close("server shutting down");
      this.end(s);
    }
  }
}
