/**
 * A small reorder buffer in front of a depacketizer (which wants packets in sequence order): a
 * packet that arrives in order is delivered at once without a copy; one that jumps ahead is copied
 * into a slot and waits for the hole before it to fill, at most `maxWaitMs` or until the window of
 * `capacity` packets is full; then delivery skips the hole (the depacketizer sees the loss).
 * Late packets (behind what was delivered) and duplicates are dropped and counted.
 */
import { seqDelta } from "./wire/rtp-sequence.ts";

export const REORDER_SLOT_BYTES = 1500;

export interface PacketDelivery {
  /** `buf[0, len)` is one RTP packet; valid only during the call. */
  deliver(buf: Uint8Array, len: number): void;
  /** Packets `first`..`first + count - 1` (mod 2^16) were skipped by a newer one: worth a NACK. Once per hole. */
  missing?(first: number, count: number): void;
}

export class ReorderBuffer {
  late = 0;
  duplicates = 0;
  /** Holes given up on. */
  skipped = 0;
  private readonly mask: number;
  private readonly slots: Uint8Array;
  private readonly lens: Int32Array;
  /** Sequence number held in each slot, -1 when empty. */
  private readonly seqs: Int32Array;
  private held: number;
  /** Next sequence number to deliver, -1 before the first packet. */
  private expected: number;
  /** When the oldest held packet started waiting. */
  private waitingSinceMs: number;
  /** Newest sequence number seen, -1 before the first packet. */
  private newest: number;

  constructor(
    private readonly out: PacketDelivery,
    readonly capacity = 32,
    readonly maxWaitMs = 50,
  ) {
    if (capacity & (capacity - 1)) throw new Error(`reorder capacity ${capacity} is not a power of two`);
    this.mask = capacity - 1;
    this.slots = new Uint8Array(capacity * REORDER_SLOT_BYTES);
    this.lens = new Int32Array(capacity);
    this.seqs = new Int32Array(capacity).fill(-1);
    this.held = 0;
    this.expected = -1;
    this.waitingSinceMs = 0;
    this.newest = -1;
  }

  push(buf: Uint8Array, len: number, seq: number, nowMs: number): void {
    if (this.expected < 0) this.expected = this.newest = seq;
    const ahead = seqDelta(seq, this.newest);
    if (ahead > 0) {
      if (ahead > 1 && ahead < this.capacity) this.out.missing?.((this.newest + 1) & 0xffff, ahead - 1);
      this.newest = seq;
    }
    const d = seqDelta(seq, this.expected);
    if (d < 0) {
      this.late++;
      return;
    }
    if (d === 0) {
      this.expected = (seq + 1) & 0xffff;
      this.out.deliver(buf, len);
      if (this.held > 0) this.drain();
      return;
    }
    if (d >= this.capacity) {
      // Too far ahead to wait for: give up on everything before it.
      this.release(this.capacity);
      this.skipped++;
      this.expected = (seq + 1) & 0xffff;
      this.out.deliver(buf, len);
      return;
    }
    const i = seq & this.mask;
    if (this.seqs[i] === seq) {
      this.duplicates++;
      return;
    }
    if (len > REORDER_SLOT_BYTES) return;
    this.slots.set(buf.subarray(0, len), i * REORDER_SLOT_BYTES);
    this.lens[i] = len;
    this.seqs[i] = seq;
    if (this.held++ === 0) this.waitingSinceMs = nowMs;
    else if (nowMs - this.waitingSinceMs > this.maxWaitMs) this.tick(nowMs);
  }

  /** Gives up on a hole that has waited longer than maxWaitMs. */
  tick(nowMs: number): void {
    if (this.held === 0 || nowMs - this.waitingSinceMs <= this.maxWaitMs) return;
    // Skip to the first held packet, deliver the run after it.
    while (this.seqs[this.expected & this.mask] !== this.expected) this.expected = (this.expected + 1) & 0xffff;
    this.skipped++;
    this.drain();
    if (this.held > 0) this.waitingSinceMs = nowMs;
  }

  /** Delivers the consecutive run from `expected`. */
  private drain(): void {
    for (;;) {
      const i = this.expected & this.mask;
      if (this.seqs[i] !== this.expected) return;
      this.seqs[i] = -1;
      this.held--;
      this.expected = (this.expected + 1) & 0xffff;
      this.out.deliver(this.slots.subarray(i * REORDER_SLOT_BYTES, i * REORDER_SLOT_BYTES + this.lens[i]!), this.lens[i]!);
    }
  }

  /** Delivers up to `n` slots' worth of held packets in order, skipping holes. */
  private release(n: number): void {
    for (let k = 0; k < n && this.held > 0; k++) {
      const i = this.expected & this.mask;
      if (this.seqs[i] === this.expected) {
        this.seqs[i] = -1;
        this.held--;
        this.out.deliver(this.slots.subarray(i * REORDER_SLOT_BYTES, i * REORDER_SLOT_BYTES + this.lens[i]!), this.lens[i]!);
      }
      this.expected = (this.expected + 1) & 0xffff;
    }
  }
}
