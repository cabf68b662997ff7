/**
 * The packets of one outgoing RTP stream (one SSRC) by sequence number, so a NACK (RFC 4585 §6.2.1)
 * from any viewer is answered with the original bytes. Nothing is copied: a slot points at the
 * packet inside the writer's ring, as (ring entry, offset in the entry), which survives the ring
 * growing and compacting; an entry the ring has evicted is reported missing. The slots are a
 * power-of-two table indexed by `seq & mask`; a slot holds the newest packet with those low bits.
 */
import { assert } from "../../core/errors.ts";
import type { ByteRing } from "../../core/byte-ring.ts";

/** ~2 s of a 2.5 Mbit/s stream in 1,200-byte payloads; a NACK older than that is rarely useful. */
export const DEFAULT_HISTORY_SIZE = 512;
/** RTP sequence numbers are 16 bits: more slots than that could never all hold a distinct packet. */
export const MAX_HISTORY_SIZE = 1 << 15;

export class PacketHistory {
  readonly size: number;
  /** Packets answered from the history. */
  hits: number;
  /** Packets asked for but no longer held (overwritten here or evicted from the ring), or never sent. */
  misses: number;
  /** Length of the packet `find` returned last. */
  length: number;
  private readonly mask: number;
  /** RTP sequence number held by each slot, -1 for none. */
  private readonly seqs: Int32Array;
  /** Ring entry (seq) of the packet: a Float64Array because ring seqs outgrow 31 bits in time. */
  private readonly entries: Float64Array;
  private readonly offsets: Int32Array;
  private readonly lengths: Int32Array;

  constructor(
    readonly ring: ByteRing,
    size = DEFAULT_HISTORY_SIZE,
  ) {
    assert(size > 0 && size <= MAX_HISTORY_SIZE && (size & (size - 1)) === 0, `history size ${size} is not a power of two in 1..${MAX_HISTORY_SIZE}`);
    this.size = size;
    this.hits = 0;
    this.misses = 0;
    this.length = 0;
    this.mask = size - 1;
    this.seqs = new Int32Array(size).fill(-1);
    this.entries = new Float64Array(size);
    this.offsets = new Int32Array(size);
    this.lengths = new Int32Array(size);
  }

  /** Records packet `seq`: `length` bytes at `offset` from the start of ring entry `entry`. */
  add(seq: number, entry: number, offset: number, length: number): void {
    const i = seq & this.mask;
    this.seqs[i] = seq & 0xffff;
    this.entries[i] = entry;
    this.offsets[i] = offset;
    this.lengths[i] = length;
  }

  /**
   * Where packet `seq` is in `ring.buf` (its length in `length`), or -1 when it is not held (counted).
   * The position is valid until the ring is written to again.
   */
  find(seq: number): number {
    const i = seq & this.mask;
    const entry = this.entries[i]!;
    if (this.seqs[i] !== (seq & 0xffff) || !this.ring.has(entry)) {
      this.misses++;
      this.length = 0;
      return -1;
    }
    this.hits++;
    this.length = this.lengths[i]!;
    return this.ring.start(entry) + this.offsets[i]!;
  }

  /** Forgets every packet (a new SSRC or a cleared ring). */
  clear(): void {
    this.seqs.fill(-1);
  }
}
