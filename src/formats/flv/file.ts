/**
 * FLV files (FLV spec v10.1 Annex E.2 header, E.3 body, E.4.1 tag header): a reader yielding tags
 * with views of their bodies, and a writer. Used by `spate bench` to publish a file and by tests.
 */
import { ProtocolError } from "../../core/errors.ts";
import { readU24, readU32, writeU32 } from "./tag-common.ts";

export const FLV_HEADER_SIZE = 9;
/** The header plus PreviousTagSize0. */
export const FLV_FILE_HEADER_SIZE = 13;
export const FLV_TAG_HEADER_SIZE = 11;
/** PreviousTagSize after each tag. */
export const FLV_TAG_TRAILER_SIZE = 4;
/** A header may announce a longer DataOffset (E.2); more than this is not a real file. */
export const MAX_FLV_HEADER_SIZE = 1024;
/** The DataSize field allows 16 MiB; a single tag past 8 MiB is refused (a 4K key frame is ~2 MiB). */
export const MAX_TAG_SIZE = 8 * 1024 * 1024;

export const TAG_AUDIO = 8;
export const TAG_VIDEO = 9;
export const TAG_SCRIPT = 18;

export interface FlvHeader {
  version: number;
  hasAudio: boolean;
  hasVideo: boolean;
}

/** Decodes the file header at `off`; returns the bytes up to the first tag (DataOffset + PreviousTagSize0), 0 = need more. */
export function decodeFlvHeader(buf: Uint8Array, off: number, out: FlvHeader): number {
  if (buf.length - off < FLV_HEADER_SIZE) return 0;
  if (buf[off] !== 0x46 || buf[off + 1] !== 0x4c || buf[off + 2] !== 0x56) throw new ProtocolError("flv", "invalid", "no 'FLV' signature");
  const dataOffset = readU32(buf, off + 5);
  if (dataOffset < FLV_HEADER_SIZE || dataOffset > MAX_FLV_HEADER_SIZE) {
    throw new ProtocolError("flv", "invalid", `FLV DataOffset ${dataOffset} outside ${FLV_HEADER_SIZE}..${MAX_FLV_HEADER_SIZE}`);
  }
  if (buf.length - off < dataOffset + FLV_TAG_TRAILER_SIZE) return 0;
  out.version = buf[off + 3]!;
  out.hasAudio = (buf[off + 4]! & 0x04) !== 0;
  out.hasVideo = (buf[off + 4]! & 0x01) !== 0;
  return dataOffset + FLV_TAG_TRAILER_SIZE;
}

export class FlvFileTag {
  /** TagType: 8 audio, 9 video, 18 script data (others passed through). */
  type: number;
  /** Timestamp | TimestampExtended << 24, in ms (E.4.1). */
  timestampMs: number;
  streamId: number;
  /** View into the input. */
  body: Uint8Array;

  constructor() {
    this.type = 0;
    this.timestampMs = 0;
    this.streamId = 0;
    this.body = new Uint8Array(0);
  }
}

/**
 * Decodes the tag at `off` (header, body and the PreviousTagSize after it) into `out`; returns the
 * bytes consumed, 0 = need more. PreviousTagSize is not checked: writers get it wrong often enough
 * and the tag header alone delimits the tag.
 */
export function decodeFlvTag(buf: Uint8Array, off: number, out: FlvFileTag): number {
  if (buf.length - off < FLV_TAG_HEADER_SIZE) return 0;
  const b0 = buf[off]!;
  if (b0 & 0x20) throw new ProtocolError("flv", "unsupported", "encrypted (Filter) FLV tag");
  const dataSize = readU24(buf, off + 1);
  if (dataSize > MAX_TAG_SIZE) throw new ProtocolError("flv", "too-large", `FLV tag of ${dataSize} bytes > max ${MAX_TAG_SIZE}`);
  const total = FLV_TAG_HEADER_SIZE + dataSize + FLV_TAG_TRAILER_SIZE;
  if (buf.length - off < total) return 0;
  out.type = b0 & 0x1f;
  out.timestampMs = ((buf[off + 7]! << 24) | readU24(buf, off + 4)) >>> 0;
  out.streamId = readU24(buf, off + 8);
  out.body = buf.subarray(off + FLV_TAG_HEADER_SIZE, off + FLV_TAG_HEADER_SIZE + dataSize);
  return total;
}

/**
 * Every tag of a whole FLV file, each a new FlvFileTag with a view of its body. A truncated last tag
 * (a recording cut short) ends the iteration; a bad header or tag throws ProtocolError.
 */
export function* readFlvFile(data: Uint8Array, header: FlvHeader = { version: 0, hasAudio: false, hasVideo: false }): Generator<FlvFileTag> {
  let off = decodeFlvHeader(data, 0, header);
  if (off === 0) throw new ProtocolError("flv", "truncated", `FLV file of ${data.length} bytes has no whole header`);
  for (;;) {
    const tag = new FlvFileTag();
    const n = decodeFlvTag(data, off, tag);
    if (n === 0) return;
    off += n;
    yield tag;
  }
}

export function flvTagSize(bodyLength: number): number {
  return FLV_TAG_HEADER_SIZE + bodyLength + FLV_TAG_TRAILER_SIZE;
}

/** Writes the 9-byte header and PreviousTagSize0; returns FLV_FILE_HEADER_SIZE. */
export function writeFlvHeader(buf: Uint8Array, off: number, flags: { audio: boolean; video: boolean }): number {
  buf[off] = 0x46;
  buf[off + 1] = 0x4c;
  buf[off + 2] = 0x56;
  buf[off + 3] = 1;
  buf[off + 4] = (flags.audio ? 0x04 : 0) | (flags.video ? 0x01 : 0);
  writeU32(buf, off + 5, FLV_HEADER_SIZE);
  writeU32(buf, off + 9, 0);
  return FLV_FILE_HEADER_SIZE;
}

/** Writes a tag header; the caller writes `bodyLength` body bytes after it, then `writeFlvTagTrailer`. */
export function writeFlvTagHeader(buf: Uint8Array, off: number, type: number, timestampMs: number, bodyLength: number): number {
  if (bodyLength > MAX_TAG_SIZE) throw new ProtocolError("flv", "too-large", `FLV tag of ${bodyLength} bytes > max ${MAX_TAG_SIZE}`);
  const ts = timestampMs >>> 0;
  buf[off] = type & 0x1f;
  buf[off + 1] = bodyLength >>> 16;
  buf[off + 2] = (bodyLength >>> 8) & 0xff;
  buf[off + 3] = bodyLength & 0xff;
  buf[off + 4] = (ts >>> 16) & 0xff;
  buf[off + 5] = (ts >>> 8) & 0xff;
  buf[off + 6] = ts & 0xff;
  buf[off + 7] = ts >>> 24; // TimestampExtended
  buf[off + 8] = buf[off + 9] = buf[off + 10] = 0; // StreamID, always 0
  return FLV_TAG_HEADER_SIZE;
}

export function writeFlvTagTrailer(buf: Uint8Array, off: number, bodyLength: number): number {
  writeU32(buf, off, FLV_TAG_HEADER_SIZE + bodyLength);
  return FLV_TAG_TRAILER_SIZE;
}

/** Writes a whole tag (header, body, PreviousTagSize); returns flvTagSize(body.length). */
export function writeFlvTag(buf: Uint8Array, off: number, type: number, timestampMs: number, body: Uint8Array): number {
  let n = writeFlvTagHeader(buf, off, type, timestampMs, body.length);
  buf.set(body, off + n);
  n += body.length;
  return n + writeFlvTagTrailer(buf, off + n, body.length);
}

/** Collects tags into one file in memory (tests, bench fixtures). */
export class FlvFileWriter {
  private readonly parts: Uint8Array[] = [];
  private size = 0;

  constructor(flags: { audio: boolean; video: boolean }) {
    const head = new Uint8Array(FLV_FILE_HEADER_SIZE);
    writeFlvHeader(head, 0, flags);
    this.push(head);
  }

  addTag(type: number, timestampMs: number, body: Uint8Array): this {
    const tag = new Uint8Array(flvTagSize(body.length));
    writeFlvTag(tag, 0, type, timestampMs, body);
    return this.push(tag);
  }

  finish(): Uint8Array {
    const out = new Uint8Array(this.size);
    let off = 0;
    for (const p of this.parts) {
      out.set(p, off);
      off += p.length;
    }
    return out;
  }

  private push(p: Uint8Array): this {
    this.parts.push(p);
    this.size += p.length;
    return this;
  }
}
