/**
 * Cuts a byte stream into 188-byte transport packets, whatever the chunking (UDP payloads of 1316
 * bytes, single bytes, anything), and finds the packet boundary again after garbage. In sync, a packet
 * is expected at the next byte and only its sync byte is checked; out of sync, a 0x47 counts as a
 * packet start only when another 0x47 follows 188 bytes later, so the result does not depend on where
 * the chunks were split. Whole packets inside a chunk are handed over in place; only a packet split
 * across chunks is copied (into one 189-byte buffer).
 */
import { ProtocolError } from "../../core/errors.ts";
import { SYNC_BYTE, TS_PACKET_SIZE } from "./packet.ts";

/** Out of sync for this many bytes in a row: the peer is not sending a transport stream. */
export const MAX_UNSYNCED_BYTES = 256 * 1024;

export interface PacketSink {
  /** One packet: bytes [off, off + 188) of `buf`, valid during the call. */
  onPacket(buf: Uint8Array, off: number): void;
}

export class PacketFramer {
  /** Times the stream lost sync, and bytes skipped while finding it again (counters). */
  syncLosses: number;
  skippedBytes: number;
  private readonly sink: PacketSink;
  /** A partial packet (in sync) or the candidate window (hunting), starting with a sync byte. */
  private readonly carry: Uint8Array;
  private carryLen: number;
  private synced: boolean;
  private unsynced: number;

  constructor(sink: PacketSink) {
    this.sink = sink;
    this.syncLosses = 0;
    this.skippedBytes = 0;
    this.carry = new Uint8Array(TS_PACKET_SIZE + 1);
    this.carryLen = 0;
    this.synced = true;
    this.unsynced = 0;
  }

  push(chunk: Uint8Array): void {
    let off = 0;
    const n = chunk.length;
    while (off < n) {
      if (!this.synced) {
        off = this.hunt(chunk, off);
        continue;
      }
      if (this.carryLen > 0) {
        const take = Math.min(TS_PACKET_SIZE - this.carryLen, n - off);
        this.carry.set(chunk.subarray(off, off + take), this.carryLen);
        this.carryLen += take;
        off += take;
        if (this.carryLen < TS_PACKET_SIZE) return;
        this.carryLen = 0;
        this.sink.onPacket(this.carry, 0);
        continue;
      }
      while (off + TS_PACKET_SIZE <= n && chunk[off] === SYNC_BYTE) {
        this.sink.onPacket(chunk, off);
        off += TS_PACKET_SIZE;
      }
      if (off >= n) return;
      if (chunk[off] !== SYNC_BYTE) {
        this.lose();
        continue;
      }
      this.carry.set(chunk.subarray(off, n), 0); // the start of a packet the next chunk finishes
      this.carryLen = n - off;
      return;
    }
  }

  /**
   * End of input: a candidate packet still waiting for its confirmation is taken as it is; a partial
   * packet is dropped.
   */
  end(): void {
    if (!this.synced && this.carryLen === TS_PACKET_SIZE) {
      this.carryLen = 0;
      this.sink.onPacket(this.carry, 0);
    } else this.skippedBytes += this.carryLen;
    this.carryLen = 0;
    this.synced = true;
  }

  private lose(): void {
    this.synced = false;
    this.syncLosses++;
    this.carryLen = 0;
  }

  /** Out of sync: grows the candidate window byte by byte (rare, so simple). Returns the new offset. */
  private hunt(chunk: Uint8Array, off: number): number {
    const win = this.carry;
    while (off < chunk.length) {
      const b = chunk[off++]!;
      if (this.carryLen === 0 && b !== SYNC_BYTE) {
        this.skip(1);
        continue;
      }
      win[this.carryLen++] = b;
      if (this.carryLen <= TS_PACKET_SIZE) continue;
      if (win[TS_PACKET_SIZE] === SYNC_BYTE) {
        // Confirmed: deliver the packet, and the sync byte after it starts the next one.
        this.carryLen = 1;
        this.synced = true;
        this.unsynced = 0;
        this.sink.onPacket(win, 0);
        win[0] = SYNC_BYTE;
        return off;
      }
      // Not a boundary: slide the window to the next 0x47 in it.
      let next = 1;
      while (next < this.carryLen && win[next] !== SYNC_BYTE) next++;
      this.skip(next);
      win.copyWithin(0, next, this.carryLen);
      this.carryLen -= next;
    }
    return off;
  }

  private skip(n: number): void {
    this.skippedBytes += n;
    this.unsynced += n;
    if (this.unsynced > MAX_UNSYNCED_BYTES) {
      throw new ProtocolError("mpegts", "no-sync", `no transport packet boundary in ${this.unsynced} bytes`);
    }
  }
}
