import { assert } from "./errors.ts";

/** Per-ring caps: a ring never grows past these, whatever a publisher sends. */
export const MAX_RING_BYTES = 256 * 1024 * 1024;
export const MAX_RING_ENTRIES = 1 << 16;

/**
 * A ring of byte entries with sequence numbers: the one buffer shape of spate. The FrameRing keeps
 * the stream's frames in it; every writer keeps its encoded output (RTMP chunks, TS packets, ...) in
 * one, and viewers are cursors into it.
 *
 * Entries are written contiguously into one preallocated buffer and wrap to offset 0 when the next
 * entry does not fit at the end. Writing evicts the oldest entries the new bytes overlap. The ring
 * never evicts its newest keyframe entry, nor entries younger than `retainMs`: when it would have to
 * (a GOP or a bitrate larger than the budget), it doubles instead, up to MAX_RING_BYTES /
 * MAX_RING_ENTRIES, so a late joiner can always start at a keyframe and a lagging reader finds its
 * place. It starts small and settles at the size its stream needs.
 */
export class ByteRing {
  buf: Uint8Array;
  /** Entry slots, indexed by `seq & mask`. */
  starts: Int32Array;
  lens: Int32Array;
  keys: Uint8Array;
  /** Wall-clock ms of the frame each entry came from: the lag of a cursor is measured in time. */
  times: Float64Array;
  mask: number;
  /** Next seq to be committed; entries [tail, head) are readable. */
  head: number;
  tail: number;
  /** Newest keyframe entry, -1 before the first one. */
  lastKey: number;
  /** Where the next entry starts in `buf`. */
  writePos: number;
  /** Entries evicted, and times the ring had to grow to keep a GOP (both counters for the API). */
  evicted: number;
  grown: number;
  /**
   * Entries younger than this (ms, by their wall-clock time) are not evicted: the ring grows
   * instead, up to the caps. Set to what readers may lag behind, so a lagging reader finds its
   * entries still there. 0: only the newest keyframe is protected.
   */
  retainMs: number;
  private reserved: number;

  constructor(bytes: number, entries: number) {
    assert((entries & (entries - 1)) === 0 && entries > 0, "ring entries must be a power of two");
    this.buf = new Uint8Array(bytes);
    this.starts = new Int32Array(entries);
    this.lens = new Int32Array(entries);
    this.keys = new Uint8Array(entries);
    this.times = new Float64Array(entries);
    this.mask = entries - 1;
    this.head = 0;
    this.tail = 0;
    this.lastKey = -1;
    this.writePos = 0;
    this.evicted = 0;
    this.grown = 0;
    this.retainMs = 0;
    this.reserved = -1;
  }

  get capacity(): number {
    return this.mask + 1;
  }

  has(seq: number): boolean {
    return seq >= this.tail && seq < this.head;
  }

  view(seq: number): Uint8Array {
    const i = seq & this.mask;
    const s = this.starts[i]!;
    return this.buf.subarray(s, s + this.lens[i]!);
  }

  start(seq: number): number {
    return this.starts[seq & this.mask]!;
  }

  end(seq: number): number {
    const i = seq & this.mask;
    return this.starts[i]! + this.lens[i]!;
  }

  isKey(seq: number): boolean {
    return this.keys[seq & this.mask] === 1;
  }

  time(seq: number): number {
    return this.times[seq & this.mask]!;
  }

  /** The first seq after `seq` that is not stored right after it in `buf` (a run is one write). */
  runEnd(seq: number, maxBytes: number): number {
    const first = this.start(seq);
    let s = seq;
    let end = this.end(s);
    while (s + 1 < this.head && this.start(s + 1) === end && end - first < maxBytes) {
      s++;
      end = this.end(s);
    }
    return s + 1;
  }

  /**
   * A writable view of `n` bytes for the next entry, evicting what it overlaps. Only one reservation
   * is open at a time; `commit` closes it.
   */
  reserve(n: number): Uint8Array {
    const w = this.reserveAt(n);
    return this.buf.subarray(w, w + n);
  }

  /** `reserve` without the view: where the `n` bytes start in `buf` (a per-packet writer allocates nothing). */
  reserveAt(n: number): number {
    assert(this.reserved < 0, "ring reservation already open");
    if (n > this.buf.length >> 1) this.grow(n * 2, this.capacity);
    if (this.head - this.tail >= this.capacity) this.makeSlot();
    let w = this.writePos;
    if (w + n > this.buf.length) {
      // The end of the buffer is too short: the entries there are the oldest, drop them and wrap.
      while (this.tail < this.head && this.start(this.tail) >= w) {
        if (!this.evictTail(true)) return this.reserveAt(n);
      }
      w = 0;
    }
    while (this.tail < this.head && this.overlaps(this.tail, w, w + n)) {
      if (!this.evictTail(true)) return this.reserveAt(n); // grew instead: offsets changed, start over
    }
    this.reserved = w;
    return w;
  }

  /** Closes the reservation: the entry is bytes [skip, skip + len) of the reserved view. */
  commit(skip: number, len: number, key: boolean, timeMs: number): number {
    const w = this.reserved;
    assert(w >= 0, "commit without reserve");
    this.reserved = -1;
    const seq = this.head;
    const i = seq & this.mask;
    this.starts[i] = w + skip;
    this.lens[i] = len;
    this.keys[i] = key ? 1 : 0;
    this.times[i] = timeMs;
    this.writePos = w + skip + len;
    this.head = seq + 1;
    if (key) this.lastKey = seq;
    return seq;
  }

  /** Drops an open reservation (the message it was for turned out to be something else). */
  cancel(): void {
    this.reserved = -1;
  }

  /** Appends a whole entry by copying `src`. */
  append(src: Uint8Array, key: boolean, timeMs: number): number {
    this.reserve(src.length).set(src);
    return this.commit(0, src.length, key, timeMs);
  }

  /** Forgets everything (a new configuration that old entries cannot precede). */
  clear(): void {
    this.tail = this.head;
    this.lastKey = -1;
    this.writePos = 0;
  }

  private overlaps(seq: number, from: number, to: number): boolean {
    const s = this.start(seq);
    return s < to && this.end(seq) > from;
  }

  private makeSlot(): void {
    this.evictTail(false); // or grows the slots, which also makes room
  }

  /** Evicts the oldest entry; returns false when it grew the ring instead (the tail was the GOP). */
  private evictTail(forBytes: boolean): boolean {
    const keep = this.tail === this.lastKey || (this.retainMs > 0 && this.time(this.head - 1) - this.time(this.tail) < this.retainMs);
    if (keep) {
      const bytes = forBytes ? Math.min(this.buf.length * 2, MAX_RING_BYTES) : this.buf.length;
      const entries = forBytes ? this.capacity : Math.min(this.capacity * 2, MAX_RING_ENTRIES);
      if (bytes > this.buf.length || entries > this.capacity) {
        this.grow(bytes, entries);
        return false;
      }
      if (this.tail === this.lastKey) this.lastKey = -1; // a GOP larger than the caps: it cannot be kept whole
    }
    this.tail++;
    this.evicted++;
    return true;
  }

  /** Doubles the buffer or the slots, compacting live entries to the front in order. Rare. */
  protected grow(bytes: number, entries: number): void {
    const live = this.head - this.tail;
    let used = 0;
    for (let s = this.tail; s < this.head; s++) used += this.lens[s & this.mask]!;
    while (bytes < used * 2) bytes *= 2;
    const buf = new Uint8Array(Math.min(Math.max(bytes, this.buf.length), MAX_RING_BYTES * 2));
    const mask = entries - 1;
    const starts = new Int32Array(entries);
    const lens = new Int32Array(entries);
    const keys = new Uint8Array(entries);
    const times = new Float64Array(entries);
    let w = 0;
    for (let s = this.tail; s < this.head; s++) {
      const i = s & this.mask;
      const j = s & mask;
      const len = this.lens[i]!;
      buf.set(this.buf.subarray(this.starts[i]!, this.starts[i]! + len), w);
      starts[j] = w;
      lens[j] = len;
      keys[j] = this.keys[i]!;
      times[j] = this.times[i]!;
      w += len;
    }
    assert(live <= entries, "ring grow lost entries");
    this.buf = buf;
    this.starts = starts;
    this.lens = lens;
    this.keys = keys;
    this.times = times;
    this.mask = mask;
    this.writePos = w;
    this.grown++;
    this.relocated();
  }

  /** Called after `grow` moved the entries: subclasses re-point views they hold. */
  protected relocated(): void {}
}
