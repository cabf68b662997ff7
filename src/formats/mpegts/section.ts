/**
 * PSI section assembly from transport packet payloads (ISO/IEC 13818-1 §2.4.4.1-2.4.4.3): a packet
 * with payload_unit_start begins with pointer_field, the number of bytes that finish the previous
 * section before the next one starts; a section may span packets, several may share one; 0xFF
 * after a section is stuffing to the end of the packet. One reusable buffer per PID, no allocation.
 */

/** §2.4.4.3: PAT and PMT sections have section_length ≤ 1021, so at most 1024 bytes in all. */
export const MAX_SECTION_SIZE = 1024;

export interface SectionSink {
  /** A whole section (header to CRC_32 included): bytes [0, length) of `buf`, valid during the call. */
  onSection(pid: number, buf: Uint8Array, length: number): void;
}

export class SectionAssembler {
  readonly pid: number;
  private readonly buf: Uint8Array;
  private len: number;
  /** Bytes the current section needs in all; -1 while its 3-byte header is incomplete. */
  private need: number;
  /** A section is being collected (false after a CC error until the next payload_unit_start). */
  private active: boolean;
  /** Sections refused as too long (a counter for the demuxer). */
  oversized: number;

  constructor(pid: number) {
    this.pid = pid;
    this.buf = new Uint8Array(MAX_SECTION_SIZE);
    this.len = 0;
    this.need = -1;
    this.active = false;
    this.oversized = 0;
  }

  /** Drops the partial section (a continuity error). */
  reset(): void {
    this.active = false;
    this.len = 0;
    this.need = -1;
  }

  /** One packet's payload, [start, end) of `buf`. */
  push(buf: Uint8Array, start: number, end: number, payloadUnitStart: boolean, sink: SectionSink): void {
    let pos = start;
    if (payloadUnitStart) {
      if (pos >= end) return;
      const pointer = buf[pos++]!;
      const next = Math.min(end, pos + pointer);
      if (this.active) this.append(buf, pos, next, sink);
      pos = next;
      this.reset();
      this.active = true;
    }
    while (pos < end && this.active) {
      if (this.len === 0 && buf[pos] === 0xff) {
        this.reset(); // stuffing: nothing more in this packet
        return;
      }
      pos = this.append(buf, pos, end, sink);
    }
  }

  /** Appends up to the end of the current section; returns where it stopped. */
  private append(buf: Uint8Array, pos: number, end: number, sink: SectionSink): number {
    while (pos < end) {
      if (this.need < 0) {
        this.buf[this.len++] = buf[pos++]!;
        if (this.len === 3) {
          const total = 3 + (((this.buf[1]! & 0x0f) << 8) | this.buf[2]!);
          if (total > MAX_SECTION_SIZE) {
            this.oversized++;
            this.reset();
            return end;
          }
          this.need = total;
        }
        continue;
      }
      const stop = Math.min(end, pos + this.need - this.len);
      const dst = this.buf;
      let len = this.len;
      while (pos < stop) dst[len++] = buf[pos++]!; // ≤ 184 bytes: a loop, no subarray per packet
      this.len = len;
      if (len === this.need) {
        this.len = 0;
        this.need = -1;
        sink.onSection(this.pid, dst, len);
        return pos;
      }
    }
    return pos;
  }
}
