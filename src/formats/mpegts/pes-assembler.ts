/**
 * Reassembles one PID's PES packets from transport packet payloads into one buffer that grows (by
 * doubling, up to MAX_PES_SIZE) to the largest packet seen and is then reused: no allocation per
 * packet. A PES with a PES_packet_length is complete when that many bytes are in; one without
 * (video, §2.4.3.7) when the next payload_unit_start arrives, which the demuxer decides.
 */
import { PES_PREFIX_SIZE } from "./pes.ts";

/** A reassembled PES larger than this is dropped: a 4K key frame is ~2 MiB. */
export const MAX_PES_SIZE = 4 * 1024 * 1024;
const INITIAL_SIZE = 16 * 1024;

export const APPEND_MORE = 0;
export const APPEND_COMPLETE = 1;
export const APPEND_TOO_LARGE = -1;

export class PesAssembler {
  buf: Uint8Array;
  len: number;
  /** Collecting a packet (false before the first payload_unit_start and after a drop). */
  active: boolean;
  /** The whole packet's size from PES_packet_length; 0 unbounded; -1 not read yet. */
  expected: number;

  constructor() {
    this.buf = new Uint8Array(INITIAL_SIZE);
    this.len = 0;
    this.active = false;
    this.expected = -1;
  }

  begin(): void {
    this.active = true;
    this.len = 0;
    this.expected = -1;
  }

  drop(): void {
    this.active = false;
    this.len = 0;
    this.expected = -1;
  }

  /** Appends [start, end) of `src`; returns APPEND_COMPLETE, APPEND_MORE or APPEND_TOO_LARGE. */
  append(src: Uint8Array, start: number, end: number): number {
    let n = end - start;
    if (this.expected > 0) n = Math.min(n, this.expected - this.len); // bytes after the packet are not part of it
    let len = this.len;
    if (len + n > MAX_PES_SIZE) return APPEND_TOO_LARGE;
    if (len + n > this.buf.length) this.grow(len + n);
    const dst = this.buf;
    for (let i = start, stop = start + n; i < stop; i++) dst[len++] = src[i]!; // ≤ 184 bytes
    this.len = len;
    if (this.expected < 0 && len >= PES_PREFIX_SIZE) {
      const field = (dst[4]! << 8) | dst[5]!;
      this.expected = field === 0 ? 0 : PES_PREFIX_SIZE + field;
      if (this.expected > 0 && len > this.expected) this.len = this.expected;
    }
    return this.expected > 0 && this.len >= this.expected ? APPEND_COMPLETE : APPEND_MORE;
  }

  private grow(need: number): void {
    let size = this.buf.length * 2;
    while (size < need) size *= 2;
    const next = new Uint8Array(Math.min(size, MAX_PES_SIZE));
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }
}
