/**
 * NAL unit framing shared by H.264 and H.265: length-prefixed (AVCC/HVCC, ISO 14496-15 §5.3.2) and
 * Annex B byte streams (H.264 Annex B, H.265 Annex B). Frame payloads in spate are length-prefixed
 * with 4-byte lengths; MPEG-TS and RTP ingest convert from Annex B once, on arrival.
 */
import { assert, ProtocolError } from "../core/errors.ts";

const EMPTY = new Uint8Array(0);

/**
 * Allocation-free walk over length-prefixed NAL units: `reset` once, then `while (r.next())` reads
 * `r.start`/`r.end` (the NAL unit, header included) and `r.header` (its first byte). Throws
 * ProtocolError when a length runs past the payload.
 */
export class NalReader {
  payload: Uint8Array;
  lengthSize: number;
  start: number;
  end: number;
  header: number;
  private pos: number;
  private limit: number;

  constructor() {
    this.payload = EMPTY;
    this.lengthSize = 4;
    this.start = 0;
    this.end = 0;
    this.header = 0;
    this.pos = 0;
    this.limit = 0;
  }

  reset(payload: Uint8Array, lengthSize: number, offset = 0, length = payload.length - offset): this {
    if (lengthSize < 1 || lengthSize > 4) throw new ProtocolError("codec", "invalid", `NAL length size ${lengthSize}`);
    this.payload = payload;
    this.lengthSize = lengthSize;
    this.pos = offset;
    this.limit = offset + length;
    this.start = this.end = offset;
    this.header = 0;
    return this;
  }

  next(): boolean {
    const p = this.payload;
    let pos = this.pos;
    if (pos >= this.limit) return false;
    if (pos + this.lengthSize > this.limit) {
      throw new ProtocolError("codec", "truncated", `NAL length field at ${pos} runs past ${this.limit}`);
    }
    let len = 0;
    for (let i = 0; i < this.lengthSize; i++) len = len * 256 + p[pos + i]!;
    pos += this.lengthSize;
    if (len > this.limit - pos) {
      throw new ProtocolError("codec", "truncated", `NAL length ${len} > ${this.limit - pos} bytes left`);
    }
    this.start = pos;
    this.end = pos + len;
    this.header = len > 0 ? p[pos]! : 0;
    this.pos = pos + len;
    return true;
  }
}


/** Calls `fn` with a view of each length-prefixed NAL unit (convenience form; see NalReader for hot use). */
export function forEachNal(payload: Uint8Array, lengthSize: number, fn: (nal: Uint8Array) => void): void {
  const r = new NalReader().reset(payload, lengthSize);
  while (r.next()) fn(payload.subarray(r.start, r.end));
}

/**
 * Allocation-free walk over an Annex B stream (start codes 00 00 01 / 00 00 00 01): `reset`, then
 * `while (r.next())` reads `start`/`end` of each NAL unit. Trailing zero bytes are stripped (a NAL
 * unit never ends in 0x00: H.264 §7.4.1.2.4), empty units skipped, bytes before the first start code
 * ignored.
 */
export class AnnexBReader {
  src: Uint8Array;
  start: number;
  end: number;
  private pos: number;

  constructor() {
    this.src = EMPTY;
    this.start = 0;
    this.end = 0;
    this.pos = -1;
  }

  reset(src: Uint8Array): this {
    this.src = src;
    const first = findStartCode(src, 0);
    this.pos = first < 0 ? -1 : first + 3;
    this.start = this.end = 0;
    return this;
  }

  next(): boolean {
    const src = this.src;
    while (this.pos >= 0) {
      const start = this.pos;
      const sc = findStartCode(src, start);
      let end = sc < 0 ? src.length : sc;
      while (end > start && src[end - 1] === 0) end--;
      this.pos = sc < 0 ? -1 : sc + 3;
      if (end > start) {
        this.start = start;
        this.end = end;
        return true;
      }
    }
    return false;
  }
}

/** Calls `fn(start, end)` for each NAL unit of an Annex B stream (convenience form of AnnexBReader). */
export function forEachAnnexBNal(src: Uint8Array, fn: (start: number, end: number) => void): void {
  const r = new AnnexBReader().reset(src);
  while (r.next()) fn(r.start, r.end);
}

/** Position of the next 00 00 01 at or after `from`, or -1. */
function findStartCode(src: Uint8Array, from: number): number {
  const n = src.length - 2;
  for (let i = from; i < n; i++) {
    if (src[i + 2]! > 1) {
      i += 2; // none of i, i+1, i+2 can start a start code ending at or before i+4
      continue;
    }
    if (src[i] === 0 && src[i + 1] === 0 && src[i + 2] === 1) return i;
  }
  return -1;
}

/** Bytes `annexBToAvcc` produces for `src` (4-byte lengths). */
export function annexBToAvccSize(src: Uint8Array): number {
  const r = annexB.reset(src);
  let size = 0;
  while (r.next()) size += 4 + r.end - r.start;
  r.reset(EMPTY);
  return size;
}

const annexB = new AnnexBReader();
/** Shared by the conversions below (none of them re-enters another while walking). */
const scratch = new NalReader();

/**
 * Annex B → 4-byte length-prefixed. Writes into `dst` when given (it must hold annexBToAvccSize(src)
 * bytes) and returns the written view; allocates otherwise.
 */
export function annexBToAvcc(src: Uint8Array, dst?: Uint8Array): Uint8Array {
  const size = annexBToAvccSize(src);
  const out = dst ?? new Uint8Array(size);
  assert(out.length >= size, `annexBToAvcc needs ${size} bytes, dst has ${out.length}`);
  const r = annexB.reset(src);
  let o = 0;
  while (r.next()) {
    const len = r.end - r.start;
    out[o] = len >>> 24;
    out[o + 1] = (len >>> 16) & 0xff;
    out[o + 2] = (len >>> 8) & 0xff;
    out[o + 3] = len & 0xff;
    out.set(src.subarray(r.start, r.end), o + 4);
    o += 4 + len;
  }
  r.reset(EMPTY);
  return out.subarray(0, o);
}

/** Bytes `avccToAnnexB` produces (4-byte start codes). */
export function avccToAnnexBSize(src: Uint8Array, lengthSize: number): number {
  const r = scratch.reset(src, lengthSize);
  let size = 0;
  while (r.next()) size += 4 + r.end - r.start;
  return size;
}

/**
 * Length-prefixed → Annex B with 4-byte start codes. With 4-byte lengths the output has the input's
 * size, and `dst` may be `src` itself: the lengths are then overwritten in place, nothing is copied.
 */
export function avccToAnnexB(src: Uint8Array, lengthSize: number, dst?: Uint8Array): Uint8Array {
  const size = avccToAnnexBSize(src, lengthSize);
  const out = dst ?? new Uint8Array(size);
  assert(out.length >= size, `avccToAnnexB needs ${size} bytes, dst has ${out.length}`);
  const inPlace = out.buffer === src.buffer && out.byteOffset === src.byteOffset;
  assert(!inPlace || lengthSize === 4, "in-place Annex B conversion needs 4-byte lengths");
  const r = scratch.reset(src, lengthSize);
  let o = 0;
  while (r.next()) {
    out[o] = 0;
    out[o + 1] = 0;
    out[o + 2] = 0;
    out[o + 3] = 1;
    if (!inPlace) out.set(src.subarray(r.start, r.end), o + 4);
    o += 4 + r.end - r.start;
  }
  return out.subarray(0, o);
}

/**
 * Rewrites length-prefixed NAL units with `lengthSize`-byte lengths (1 or 2, as an avcC/hvcC may
 * declare) into the 4-byte form frame payloads use. Returns `src` itself when it already is.
 */
export function toFourByteLengths(src: Uint8Array, lengthSize: number, dst?: Uint8Array): Uint8Array {
  if (lengthSize === 4) return src;
  const r = scratch.reset(src, lengthSize);
  let size = 0;
  while (r.next()) size += 4 + r.end - r.start;
  const out = dst ?? new Uint8Array(size);
  assert(out.length >= size, `toFourByteLengths needs ${size} bytes, dst has ${out.length}`);
  r.reset(src, lengthSize);
  let o = 0;
  while (r.next()) {
    const len = r.end - r.start;
    out[o] = len >>> 24;
    out[o + 1] = (len >>> 16) & 0xff;
    out[o + 2] = (len >>> 8) & 0xff;
    out[o + 3] = len & 0xff;
    out.set(src.subarray(r.start, r.end), o + 4);
    o += 4 + len;
  }
  return out.subarray(0, o);
}
