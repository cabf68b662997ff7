/**
 * The sender's packet store: every packet sent and not yet acknowledged, whole (header included,
 * already encrypted), in a power-of-two ring of fixed-size slots indexed by unwrapped sequence
 * number. Retransmission sends the stored bytes again (with the R flag set in place); each slot
 * has a cached full-size view, so sending allocates nothing. The ring starts small and doubles up
 * to a cap.
 */
import { assert } from "../../core/errors.ts";
import { HEADER_SIZE, MAX_PAYLOAD_SIZE } from "./wire/constants.ts";

export const SEND_SLOT_BYTES = HEADER_SIZE + MAX_PAYLOAD_SIZE;
export const INITIAL_SEND_SLOTS = 64;

export class SendBuffer {
  private capacity: number;
  private mask: number;
  readonly maxCapacity: number;
  private data: Uint8Array;
  private views: Uint8Array[];
  /** Packet length (header + payload) per slot. */
  private length: Int32Array;
  /** When the payload was handed to us (µs, our clock): the drop deadline counts from it. */
  private originUs: Float64Array;
  /** When it last went out, 0 = never. */
  private sentUs: Float64Array;
  private msgNo: Int32Array;

  constructor(maxCapacity: number, initial = INITIAL_SEND_SLOTS) {
    assert((maxCapacity & (maxCapacity - 1)) === 0 && maxCapacity > 0, "send buffer cap must be a power of two");
    this.maxCapacity = maxCapacity;
    this.capacity = Math.min(initial, maxCapacity);
    this.mask = this.capacity - 1;
    this.data = new Uint8Array(0);
    this.views = [];
    this.length = new Int32Array(0);
    this.originUs = new Float64Array(0);
    this.sentUs = new Float64Array(0);
    this.msgNo = new Int32Array(0);
    this.allocate(this.capacity);
  }

  get slots(): number {
    return this.capacity;
  }

  /** Room for sequence numbers [first, seq]; false past the cap. */
  reserve(first: number, seq: number): boolean {
    const span = seq - first + 1;
    if (span <= this.capacity) return true;
    if (span > this.maxCapacity) return false;
    let cap = this.capacity;
    while (cap < span) cap *= 2;
    const old = { data: this.data, length: this.length, originUs: this.originUs, sentUs: this.sentUs, msgNo: this.msgNo, mask: this.mask };
    this.allocate(cap);
    for (let s = first; s < seq; s++) {
      const j = s & old.mask;
      const i = s & this.mask;
      this.data.set(old.data.subarray(j * SEND_SLOT_BYTES, j * SEND_SLOT_BYTES + old.length[j]!), i * SEND_SLOT_BYTES);
      this.length[i] = old.length[j]!;
      this.originUs[i] = old.originUs[j]!;
      this.sentUs[i] = old.sentUs[j]!;
      this.msgNo[i] = old.msgNo[j]!;
    }
    return true;
  }

  /** The slot for `seq`, to write a packet into (its full-size view). */
  slot(seq: number): Uint8Array {
    return this.views[seq & this.mask]!;
  }

  store(seq: number, length: number, originUs: number, msgNo: number): void {
    const i = seq & this.mask;
    this.length[i] = length;
    this.originUs[i] = originUs;
    this.sentUs[i] = 0;
    this.msgNo[i] = msgNo;
  }

  lengthOf(seq: number): number {
    return this.length[seq & this.mask]!;
  }

  originOf(seq: number): number {
    return this.originUs[seq & this.mask]!;
  }

  sentAt(seq: number): number {
    return this.sentUs[seq & this.mask]!;
  }

  markSent(seq: number, nowUs: number): void {
    this.sentUs[seq & this.mask] = nowUs;
  }

  msgNoOf(seq: number): number {
    return this.msgNo[seq & this.mask]!;
  }

  private allocate(capacity: number): void {
    this.capacity = capacity;
    this.mask = capacity - 1;
    this.data = new Uint8Array(capacity * SEND_SLOT_BYTES);
    this.views = Array.from({ length: capacity }, (_, i) => this.data.subarray(i * SEND_SLOT_BYTES, (i + 1) * SEND_SLOT_BYTES));
    this.length = new Int32Array(capacity);
    this.originUs = new Float64Array(capacity);
    this.sentUs = new Float64Array(capacity);
    this.msgNo = new Int32Array(capacity);
  }
}
