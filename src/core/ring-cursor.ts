import type { ByteRing } from "./byte-ring.ts";

/**
 * Where bytes go: returns how many of `data[offset, offset+length)` it took (fewer than offered = the
 * kernel buffer is full). Offset and length instead of a view: no object per write (Bun's
 * `socket.write(data, byteOffset, byteLength)` takes the same form).
 */
export interface ByteSink {
  write(data: Uint8Array, offset: number, length: number): number;
}

export const PUMP_DONE = 0;
/** The sink took less than offered: wait for drain. */
export const PUMP_BLOCKED = 1;
/**
 * The reader now stands at a keyframe it did not reach in order (it was too far behind, or it was
 * waiting for the first one): the caller sends headers if its format needs them, then pumps again.
 */
export const PUMP_SKIPPED = 2;
/** A half-sent entry was overwritten: the byte stream cannot be continued, the reader must go. */
export const PUMP_LOST = 3;

/** Bytes handed to one write() at most: big enough to batch, small enough not to starve others. */
const MAX_WRITE_BYTES = 256 * 1024;

/**
 * A reader's position in a writer's output ring: the same bytes for every reader, no queue of its
 * own. A reader that lags more than `maxLagMs` (by the wall-clock time of the frames) jumps to the
 * newest keyframe; contiguous entries are sent in one write.
 */
export class RingCursor {
  seq: number;
  /** Bytes of entry `seq` already sent (a partial write). */
  offset: number;
  skips: number;
  bytesSent: number;
  /** Entries are passed over until a keyframe entry (a reader that joined before the first one). */
  waitKey: boolean;

  /** Starts at the newest keyframe, or waits for the next one. */
  constructor(readonly ring: ByteRing) {
    this.seq = ring.lastKey >= ring.tail ? ring.lastKey : ring.head;
    this.offset = 0;
    this.skips = 0;
    this.bytesSent = 0;
    this.waitKey = ring.lastKey < ring.tail;
  }

  get atBoundary(): boolean {
    return this.offset === 0;
  }

  /** Milliseconds between the newest entry and this reader's next one (0 when caught up). */
  lagMs(): number {
    const r = this.ring;
    if (this.seq >= r.head || !r.has(this.seq)) return 0;
    return r.time(r.head - 1) - r.time(this.seq);
  }

  pump(sink: ByteSink, maxLagMs: number): number {
    const r = this.ring;
    // A half-sent entry is finished on its own, so the lag check below runs at every boundary.
    if (this.offset > 0) {
      const st = this.finishEntry(sink);
      if (st !== PUMP_DONE) return st;
    }
    while (this.seq < r.head) {
      if (this.offset === 0) {
        if (this.waitKey) {
          if (!r.isKey(this.seq) || !r.has(this.seq)) {
            this.seq++;
            continue;
          }
          this.waitKey = false;
          return PUMP_SKIPPED; // landed on a keyframe: the caller sends headers first
        }
        if (!r.has(this.seq) || (this.seq < r.lastKey && r.time(r.head - 1) - r.time(this.seq) > maxLagMs)) {
          if (r.lastKey < r.tail) {
            this.seq = r.head; // no keyframe to land on: wait for the next one
            this.waitKey = true;
            return PUMP_DONE;
          }
          this.seq = r.lastKey;
          this.skips++;
          return PUMP_SKIPPED;
        }
      } else if (!r.has(this.seq)) {
        return PUMP_LOST;
      }
      const runEnd = r.runEnd(this.seq, MAX_WRITE_BYTES);
      const from = r.start(this.seq) + this.offset;
      const to = r.end(runEnd - 1);
      const n = sink.write(r.buf, from, to - from);
      this.bytesSent += n;
      if (n === to - from) {
        this.seq = runEnd;
        this.offset = 0;
        continue;
      }
      this.advance(n);
      return PUMP_BLOCKED;
    }
    return PUMP_DONE;
  }

  /**
   * Sends nothing more until the next keyframe entry (a reader whose backlog is out of our hands, in
   * its kernel buffers). Only at a boundary; returns whether it started waiting.
   */
  skipToNextKey(): boolean {
    if (this.offset !== 0 || this.waitKey) return false;
    this.waitKey = true;
    this.skips++;
    return true;
  }

  /**
   * Sends the rest of a half-sent entry, so the caller may put bytes of its own between entries.
   * Returns PUMP_DONE (now at a boundary), PUMP_BLOCKED or PUMP_LOST.
   */
  finishEntry(sink: ByteSink): number {
    if (this.offset === 0) return PUMP_DONE;
    const r = this.ring;
    if (!r.has(this.seq)) return PUMP_LOST;
    const from = r.start(this.seq) + this.offset;
    const to = r.end(this.seq);
    const n = sink.write(r.buf, from, to - from);
    this.bytesSent += n;
    if (n < to - from) {
      this.offset += n;
      return PUMP_BLOCKED;
    }
    this.seq++;
    this.offset = 0;
    return PUMP_DONE;
  }

  /** Moves past `n` bytes sent from the current position. */
  private advance(n: number): void {
    const r = this.ring;
    while (n > 0) {
      const left = r.end(this.seq) - r.start(this.seq) - this.offset;
      if (n < left) {
        this.offset += n;
        return;
      }
      n -= left;
      this.seq++;
      this.offset = 0;
    }
  }
}
