/**
 * The receiver's packet store: a power-of-two ring of payload slots indexed by unwrapped sequence
 * number (seq & mask). It starts small and doubles, up to a cap, when a packet lands beyond its
 * window. Each slot takes a whole datagram (header included: one `set` of the input, no view made),
 * the payload is decrypted in place and handed out as a view cached per slot (no allocation while
 * payload sizes repeat).
 */
import { assert } from "../../core/errors.ts";
import { HEADER_SIZE, MAX_PAYLOAD_SIZE } from "./wire/constants.ts";

const SLOT_BYTES = HEADER_SIZE + MAX_PAYLOAD_SIZE;

export const INITIAL_RECEIVE_SLOTS = 256;

export class ReceiveBuffer {
  private capacity: number;
  private mask: number;
  readonly maxCapacity: number;
  private data: Uint8Array;
  /** Payload length per slot, -1 when empty. */
  private length: Int32Array;
  /** The sequence number a slot holds (to tell a stale slot from a fresh one). */
  private seqOf: Float64Array;
  private timestamp: Float64Array;
  private views: (Uint8Array | null)[];
  /** Packets held. */
  count: number;

  constructor(maxCapacity: number, initial = INITIAL_RECEIVE_SLOTS) {
    assert((maxCapacity & (maxCapacity - 1)) === 0 && maxCapacity > 0, "receive buffer cap must be a power of two");
    this.maxCapacity = maxCapacity;
    this.capacity = Math.min(initial, maxCapacity);
    this.mask = this.capacity - 1;
    this.data = new Uint8Array(this.capacity * SLOT_BYTES);
    this.length = new Int32Array(this.capacity).fill(-1);
    this.seqOf = new Float64Array(this.capacity).fill(-1);
    this.timestamp = new Float64Array(this.capacity);
    this.views = new Array(this.capacity).fill(null);
    this.count = 0;
  }

  get slots(): number {
    return this.capacity;
  }

  /** Makes room for sequence numbers up to `seq` given the oldest one still held is `base`; false past the cap. */
  reserve(base: number, seq: number): boolean {
    const span = seq - base + 1;
    if (span <= this.capacity) return true;
    if (span > this.maxCapacity) return false;
    let cap = this.capacity;
    while (cap < span) cap *= 2;
    this.grow(cap);
    return true;
  }

  has(seq: number): boolean {
    const i = seq & this.mask;
    return this.length[i]! >= 0 && this.seqOf[i] === seq;
  }

  /**
   * Copies a datagram (header + payload of at most MAX_PAYLOAD_SIZE) in; returns the offset of its
   * payload in `bytes()` for in-place decryption.
   */
  put(seq: number, datagram: Uint8Array, timestampUs: number): number {
    const i = seq & this.mask;
    this.data.set(datagram, i * SLOT_BYTES);
    if (this.length[i]! < 0) this.count++;
    this.length[i] = datagram.length - HEADER_SIZE;
    this.seqOf[i] = seq;
    this.timestamp[i] = timestampUs;
    return i * SLOT_BYTES + HEADER_SIZE;
  }

  bytes(): Uint8Array {
    return this.data;
  }

  timestampOf(seq: number): number {
    return this.timestamp[seq & this.mask]!;
  }

  /** A view of the payload, valid until the slot is reused. */
  payload(seq: number): Uint8Array {
    const i = seq & this.mask;
    const len = this.length[i]!;
    let v = this.views[i];
    if (!v || v.length !== len) {
      const at = i * SLOT_BYTES + HEADER_SIZE;
      v = this.data.subarray(at, at + len);
      this.views[i] = v;
    }
    return v;
  }

  release(seq: number): void {
    const i = seq & this.mask;
    if (this.length[i]! >= 0 && this.seqOf[i] === seq) {
      this.length[i] = -1;
      this.count--;
    }
  }

  private grow(capacity: number): void {
    const old = { data: this.data, length: this.length, seqOf: this.seqOf, timestamp: this.timestamp, capacity: this.capacity };
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.data = new Uint8Array(capacity * SLOT_BYTES);
    this.length = new Int32Array(capacity).fill(-1);
    this.seqOf = new Float64Array(capacity).fill(-1);
    this.timestamp = new Float64Array(capacity);
    this.views = new Array(capacity).fill(null);
    for (let j = 0; j < old.capacity; j++) {
      const len = old.length[j]!;
      if (len < 0) continue;
      const seq = old.seqOf[j]!;
      const i = seq & this.mask;
      this.data.set(old.data.subarray(j * SLOT_BYTES, j * SLOT_BYTES + HEADER_SIZE + len), i * SLOT_BYTES);
      this.length[i] = len;
      this.seqOf[i] = seq;
      this.timestamp[i] = old.timestamp[j]!;
    }
  }
}
