/**
 * RTMP chunk stream encoder (RTMP 1.0 §5.3). Every message starts with a type-0 chunk and continues
 * with type-3 chunks: the bytes then do not depend on what a given peer received before, so one
 * encoding of a message serves every viewer (only the 4 msgStreamId bytes may need patching, at
 * `MSG_STREAM_ID_OFFSET` after the basic header).
 */
import { EMPTY } from "../../../core/frame.ts";
import { EXTENDED_TIMESTAMP, MAX_CSID, MIN_CSID, basicHeaderSize } from "./chunk-header.ts";
import { assert } from "../../../core/errors.ts";

/** Offset of the little-endian msgStreamId inside a type-0 message header (§5.3.1.2.1). */
export const MSG_STREAM_ID_OFFSET = 7;

/** Bytes `encodeMessageTo` writes for a message of `msgLength` bytes. */
export function chunkedSize(msgLength: number, chunkSize: number, timestamp: number, csid = 3): number {
  const chunks = msgLength === 0 ? 1 : Math.ceil(msgLength / chunkSize);
  const ext = (timestamp >>> 0) >= EXTENDED_TIMESTAMP ? 4 : 0;
  const basic = basicHeaderSize(csid);
  return msgLength + basic + 11 + ext + (chunks - 1) * (basic + ext);
}

/**
 * Writes one message (body = `header` then `payload`) as chunks at `buf[off]`; returns the bytes
 * written (`chunkedSize(...)`). `header` lets a caller prepend a few bytes (an FLV tag header) and
 * still copy the payload only once. Timestamps wrap at 2^32 ms.
 */
export function encodeMessageTo(
  buf: Uint8Array,
  off: number,
  csid: number,
  timestamp: number,
  msgTypeId: number,
  msgStreamId: number,
  chunkSize: number,
  header: Uint8Array | null,
  payload: Uint8Array,
): number {
  assert(csid >= MIN_CSID && csid <= MAX_CSID, `csid ${csid}`);
  assert(chunkSize >= 1, `chunk size ${chunkSize}`);
  const head = header ?? EMPTY;
  const msgLength = head.length + payload.length;
  assert(msgLength <= 0xffffff, `message length ${msgLength}`);
  const ts = timestamp >>> 0;
  const ext = ts >= EXTENDED_TIMESTAMP;

  let p = writeBasicHeader(buf, off, 0, csid);
  const tsField = ext ? EXTENDED_TIMESTAMP : ts;
  buf[p] = tsField >>> 16;
  buf[p + 1] = tsField >>> 8;
  buf[p + 2] = tsField;
  buf[p + 3] = msgLength >>> 16;
  buf[p + 4] = msgLength >>> 8;
  buf[p + 5] = msgLength;
  buf[p + 6] = msgTypeId;
  buf[p + 7] = msgStreamId;
  buf[p + 8] = msgStreamId >>> 8;
  buf[p + 9] = msgStreamId >>> 16;
  buf[p + 10] = msgStreamId >>> 24;
  p += 11;
  if (ext) p = writeU32(buf, p, ts);

  // Body, chunkSize bytes at a time; continuation chunks are type 3 and, as ffmpeg and librtmp
  // expect (§5.3.1.3), repeat the extended timestamp.
  let done = 0;
  let room = chunkSize;
  while (done < msgLength) {
    if (room === 0) {
      p = writeBasicHeader(buf, p, 3, csid);
      if (ext) p = writeU32(buf, p, ts);
      room = chunkSize;
    }
    let n: number;
    if (done < head.length) {
      n = Math.min(room, head.length - done);
      buf.set(n === head.length ? head : head.subarray(done, done + n), p);
    } else {
      const from = done - head.length;
      n = Math.min(room, payload.length - from);
      buf.set(n === payload.length ? payload : payload.subarray(from, from + n), p);
    }
    p += n;
    done += n;
    room -= n;
  }
  return p - off;
}

/** Allocating convenience for rare messages (commands, control). */
export function encodeMessage(
  csid: number,
  timestamp: number,
  msgTypeId: number,
  msgStreamId: number,
  chunkSize: number,
  body: Uint8Array,
): Uint8Array {
  const out = new Uint8Array(chunkedSize(body.length, chunkSize, timestamp, csid));
  encodeMessageTo(out, 0, csid, timestamp, msgTypeId, msgStreamId, chunkSize, null, body);
  return out;
}

function writeBasicHeader(buf: Uint8Array, p: number, fmt: number, csid: number): number {
  if (csid < 64) {
    buf[p] = (fmt << 6) | csid;
    return p + 1;
  }
  if (csid < 320) {
    buf[p] = fmt << 6;
    buf[p + 1] = csid - 64;
    return p + 2;
  }
  buf[p] = (fmt << 6) | 1;
  buf[p + 1] = (csid - 64) & 0xff;
  buf[p + 2] = (csid - 64) >>> 8;
  return p + 3;
}

function writeU32(buf: Uint8Array, p: number, v: number): number {
  buf[p] = v >>> 24;
  buf[p + 1] = v >>> 16;
  buf[p + 2] = v >>> 8;
  buf[p + 3] = v;
  return p + 4;
}
