/**
 * Bit-level reading for codec headers (H.264/H.265 RBSP, AV1 OBUs, VP9 and AAC headers): MSB-first,
 * exp-Golomb per H.264 §9.1. Every overrun throws ProtocolError("codec", "truncated"), so parsers built
 * on it cannot read past their input.
 */
import { ProtocolError } from "../core/errors.ts";

export class BitReader {
  private readonly buf: Uint8Array;
  /** Absolute bit position in `buf`. */
  private pos: number;
  private readonly endBit: number;

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start * 8;
    this.endBit = Math.min(end, buf.length) * 8;
  }

  get bitsLeft(): number {
    return this.endBit - this.pos;
  }

  /** Absolute bit position in the buffer (bit 0 = MSB of byte 0). */
  get bitPos(): number {
    return this.pos;
  }

  private need(n: number): void {
    if (this.pos + n > this.endBit) {
      throw new ProtocolError("codec", "truncated", `read of ${n} bits with ${this.endBit - this.pos} left`);
    }
  }

  readBit(): number {
    this.need(1);
    const p = this.pos++;
    return (this.buf[p >>> 3]! >>> (7 - (p & 7))) & 1;
  }

  /** Reads n ≤ 32 bits as an unsigned number. */
  readBits(n: number): number {
    if (n === 0) return 0;
    if (n > 32 || n < 0) throw new ProtocolError("codec", "invalid", `bit read of ${n} > 32`);
    this.need(n);
    let v = 0;
    let p = this.pos;
    let left = n;
    while (left > 0) {
      const bitInByte = p & 7;
      const take = Math.min(8 - bitInByte, left);
      const byte = this.buf[p >>> 3]!;
      const bits = (byte >>> (8 - bitInByte - take)) & ((1 << take) - 1);
      v = v * (1 << take) + bits; // multiply, not shift: keeps 32-bit values unsigned
      p += take;
      left -= take;
    }
    this.pos = p;
    return v;
  }

  readFlag(): boolean {
    return this.readBit() === 1;
  }

  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }

  /** Advances to the next byte boundary. */
  alignByte(): void {
    this.pos = (this.pos + 7) & ~7;
    if (this.pos > this.endBit) this.pos = this.endBit;
  }

  /** ue(v), H.264 §9.1: values up to 2^32 - 2. */
  readUE(): number {
    let zeros = 0;
    while (this.readBit() === 0) {
      if (++zeros > 31) throw new ProtocolError("codec", "invalid", "exp-Golomb code longer than 32 bits");
    }
    return 2 ** zeros - 1 + this.readBits(zeros);
  }

  /** se(v), H.264 §9.1.1. */
  readSE(): number {
    const k = this.readUE();
    return k & 1 ? (k + 1) / 2 : -(k / 2);
  }

  /** ue(v) that must not exceed `max` (a field's legal range): the caps that keep loops bounded. */
  readUEMax(max: number, field: string): number {
    const v = this.readUE();
    if (v > max) throw new ProtocolError("codec", "invalid", `${field} ${v} > max ${max}`);
    return v;
  }
}

/**
 * Strips emulation prevention bytes (H.264 §7.4.1, H.265 §7.4.2): 0x000003 → 0x0000. Returns the input
 * itself when it holds none, a copy otherwise.
 */
export function removeEmulationPrevention(nal: Uint8Array): Uint8Array {
  const first = findEpb(nal, 0);
  if (first < 0) return nal;
  const out = new Uint8Array(nal.length);
  let o = 0;
  let zeros = 0;
  for (let i = 0; i < nal.length; i++) {
    const b = nal[i]!;
    if (zeros >= 2 && b === 3) {
      zeros = 0;
      continue;
    }
    out[o++] = b;
    zeros = b === 0 ? zeros + 1 : 0;
  }
  return out.subarray(0, o);
}

function findEpb(nal: Uint8Array, from: number): number {
  for (let i = from + 2; i < nal.length; i++) {
    if (nal[i] === 3 && nal[i - 1] === 0 && nal[i - 2] === 0) return i;
  }
  return -1;
}

/** Reads an unsigned leb128 (AV1 §4.10.5) at `off`; returns [value, bytes] via `out`, or bytes = 0 if truncated. */
export function readLeb128(buf: Uint8Array, off: number, end: number, out: { value: number }): number {
  let value = 0;
  for (let i = 0; i < 8; i++) {
    if (off + i >= end) return 0;
    const b = buf[off + i]!;
    value += (b & 0x7f) * 2 ** (7 * i);
    if ((b & 0x80) === 0) {
      if (value > 0xffffffff) throw new ProtocolError("codec", "invalid", `leb128 value ${value} > 2^32-1`);
      out.value = value;
      return i + 1;
    }
  }
  throw new ProtocolError("codec", "invalid", "leb128 longer than 8 bytes");
}

export function leb128Size(value: number): number {
  let n = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    n++;
  }
  return n;
}

export function writeLeb128(buf: Uint8Array, off: number, value: number): number {
  let n = 0;
  do {
    let b = value & 0x7f;
    value = Math.floor(value / 128);
    if (value > 0) b |= 0x80;
    buf[off + n++] = b;
  } while (value > 0);
  return n;
}

export function hex(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += bytes[i]!.toString(16).padStart(2, "0");
  return s;
}

export function fromHex(s: string): Uint8Array {
  const clean = s.replace(/[^0-9a-fA-F]/g, "");
  const out = new Uint8Array(clean.length >> 1);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/** MSB-first bit writer, for the few headers spate builds bit by bit (ASC, test vectors). */
export class BitWriter {
  private bytes: number[] = [];
  private cur = 0;
  private n = 0;

  writeBits(n: number, v: number): this {
    for (let i = n - 1; i >= 0; i--) {
      this.cur = (this.cur << 1) | (Math.floor(v / 2 ** i) & 1);
      if (++this.n === 8) {
        this.bytes.push(this.cur);
        this.cur = 0;
        this.n = 0;
      }
    }
    return this;
  }

  writeUE(v: number): this {
    const len = Math.floor(Math.log2(v + 1));
    this.writeBits(len, 0);
    return this.writeBits(len + 1, v + 1);
  }

  writeSE(v: number): this {
    return this.writeUE(v > 0 ? 2 * v - 1 : -2 * v);
  }

  /** Pads with zero bits to a byte boundary and returns the bytes. */
  finish(): Uint8Array {
    if (this.n > 0) this.writeBits(8 - this.n, 0);
    return Uint8Array.from(this.bytes);
  }
}
