/**
 * ISO BMFF box writing (ISO/IEC 14496-12 §4.2) for the rarely written parts (init segments): one
 * writer runs twice over the same code, first without a buffer to measure (`BoxWriter.measure()`),
 * then into the caller's buffer, so encodedSize() and encodeTo() cannot disagree. A box is opened
 * with `begin` (its size is patched by `end`); boxes nest naturally. Fragments, the hot path, do not
 * use it (fragment.ts writes bytes directly).
 */
import { assert, ProtocolError } from "../../core/errors.ts";

/** A box whose size does not fit 32 bits would need the 64-bit `largesize` form, which spate never writes. */
export const MAX_BOX_SIZE = 0xffff_ffff;
const TWO_32 = 2 ** 32;

export class BoxWriter {
  /** null: only count (measure pass). */
  readonly buf: Uint8Array | null;
  off: number;

  constructor(buf: Uint8Array | null, offset: number) {
    this.buf = buf;
    this.off = offset;
  }

  static measure(): BoxWriter {
    return new BoxWriter(null, 0);
  }

  u8(v: number): void {
    if (this.buf) this.buf[this.off] = v;
    this.off += 1;
  }

  u16(v: number): void {
    if (this.buf) writeU16(this.buf, this.off, v);
    this.off += 2;
  }

  u24(v: number): void {
    if (this.buf) {
      this.buf[this.off] = v >>> 16;
      this.buf[this.off + 1] = v >>> 8;
      this.buf[this.off + 2] = v;
    }
    this.off += 3;
  }

  u32(v: number): void {
    if (this.buf) writeU32(this.buf, this.off, v);
    this.off += 4;
  }

  /** Unsigned 64-bit from a safe integer. */
  u64(v: number): void {
    if (this.buf) writeU64(this.buf, this.off, v);
    this.off += 8;
  }

  zeros(n: number): void {
    if (this.buf) this.buf.fill(0, this.off, this.off + n);
    this.off += n;
  }

  bytes(b: Uint8Array): void {
    if (this.buf) this.buf.set(b, this.off);
    this.off += b.length;
  }

  /** Four ASCII characters. */
  fourcc(s: string): void {
    assert(s.length === 4, `fourcc '${s}'`);
    if (this.buf) for (let i = 0; i < 4; i++) this.buf[this.off + i] = s.charCodeAt(i);
    this.off += 4;
  }

  /** A NUL-terminated UTF-8 (here: ASCII) string. */
  cstring(s: string): void {
    for (let i = 0; i < s.length; i++) this.u8(s.charCodeAt(i) & 0x7f);
    this.u8(0);
  }

  /** Opens a box; returns where it starts, for `end`. */
  begin(type: string): number {
    const at = this.off;
    this.u32(0);
    this.fourcc(type);
    return at;
  }

  /** Opens a FullBox (§4.2: version, 24-bit flags). */
  beginFull(type: string, version: number, flags: number): number {
    const at = this.begin(type);
    this.u8(version);
    this.u24(flags);
    return at;
  }

  /** Closes the box opened at `at`: patches its size. */
  end(at: number): void {
    const size = this.off - at;
    if (size > MAX_BOX_SIZE) throw new ProtocolError("fmp4", "too-large", `box of ${size} bytes > max ${MAX_BOX_SIZE}`);
    if (this.buf) writeU32(this.buf, at, size);
  }
}

export function writeU16(b: Uint8Array, off: number, v: number): void {
  b[off] = v >>> 8;
  b[off + 1] = v;
}

export function writeU32(b: Uint8Array, off: number, v: number): void {
  b[off] = v >>> 24;
  b[off + 1] = v >>> 16;
  b[off + 2] = v >>> 8;
  b[off + 3] = v;
}

/** Unsigned 64-bit big-endian from a non-negative safe integer. */
export function writeU64(b: Uint8Array, off: number, v: number): void {
  writeU32(b, off, Math.floor(v / TWO_32));
  writeU32(b, off + 4, v % TWO_32);
}
