/**
 * The framing of one HTTP/1.1 response (RFC 9112): status line (§4), the three header fields that
 * decide where the body ends (Content-Length, Transfer-Encoding, Connection; §6.3) and the body,
 * whole or chunked (§7.1), fed in whatever pieces the socket delivers. No I/O: bytes in, `done` and
 * `body` out. A body that arrives in one piece is handed out as a view of that piece; one split across
 * pieces, or chunked, is copied into one buffer the reader keeps and reuses, so a response costs no
 * allocation once the buffer has grown to the largest body.
 */
import { ProtocolError } from "../core/errors.ts";

/** A status line and header fields longer than this are refused. */
export const MAX_HEAD_BYTES = 16 * 1024;
/** A body longer than this is refused (an LL-HLS part is tens of kB, a segment a few MB). */
export const MAX_BODY_BYTES = 64 * 1024 * 1024;
const INITIAL_BODY_BYTES = 64 * 1024;

const CR = 0x0d;
const LF = 0x0a;
const EMPTY = new Uint8Array(0);

const enum State {
  Head,
  Body,
  ChunkSize,
  ChunkData,
  ChunkEnd,
  Trailers,
  Done,
}

export class HttpResponseReader {
  status = 0;
  /** Content-Length, or -1: chunked, or the body runs until the connection closes. */
  contentLength = -1;
  chunked = false;
  /** May the connection carry another request after this response (§9.3)? */
  keepAlive = true;
  /** The complete body once `done`: valid until the next `reset`. */
  body: Uint8Array = EMPTY;
  done = false;
  private state = State.Head;
  /** Head bytes that arrived in more than one piece. */
  private readonly head = new Uint8Array(MAX_HEAD_BYTES);
  private headLen = 0;
  private buf = new Uint8Array(INITIAL_BODY_BYTES);
  private bodyLen = 0;
  /** Bytes left in the current chunk, or the chunk size being read. */
  private chunkLeft = 0;
  private sawSizeDigit = false;
  private inExtension = false;
  /** Bytes on the current trailer line (CR not counted), and CRLF bytes seen after a chunk. */
  private lineLen = 0;

  /** Ready for the next response on the connection. */
  reset(): void {
    this.status = 0;
    this.contentLength = -1;
    this.chunked = false;
    this.keepAlive = true;
    this.body = EMPTY;
    this.done = false;
    this.state = State.Head;
    this.headLen = 0;
    this.bodyLen = 0;
    this.chunkLeft = 0;
    this.sawSizeDigit = false;
    this.inExtension = false;
    this.lineLen = 0;
  }

  /** Has any byte of the response arrived? */
  get started(): boolean {
    return this.state !== State.Head || this.headLen > 0;
  }

  /** Reads what it can of `data`; returns the bytes consumed (fewer than given only once `done`). */
  push(data: Uint8Array): number {
    let o = 0;
    while (o < data.length && this.state !== State.Done) {
      switch (this.state) {
        case State.Head:
          o = this.readHead(data, o);
          break;
        case State.Body:
          o = this.readBody(data, o);
          break;
        case State.ChunkSize:
          o = this.readChunkSize(data, o);
          break;
        case State.ChunkData: {
          const n = Math.min(this.chunkLeft, data.length - o);
          this.append(data, o, n);
          o += n;
          this.chunkLeft -= n;
          if (this.chunkLeft === 0) {
            this.state = State.ChunkEnd;
            this.lineLen = 0;
          }
          break;
        }
        case State.ChunkEnd: {
          const b = data[o++]!;
          if (b !== (this.lineLen === 0 ? CR : LF)) throw new ProtocolError("http", "bad-chunk", `chunk not followed by CRLF (byte 0x${b.toString(16)})`);
          if (++this.lineLen === 2) this.startChunkSize();
          break;
        }
        case State.Trailers:
          o = this.readTrailers(data, o);
          break;
      }
    }
    return o;
  }

  /** The connection closed: a body that runs until the close is complete; anything else is cut short (false). */
  end(): boolean {
    if (this.state === State.Body && this.contentLength < 0) this.finish(this.buf.subarray(0, this.bodyLen));
    return this.done;
  }

  private readHead(data: Uint8Array, o: number): number {
    if (this.headLen === 0) {
      // The usual case: the whole head in this piece, parsed where it lies.
      const end = headEnd(data, o, data.length);
      if (end >= 0) {
        if (end - o > MAX_HEAD_BYTES) throw new ProtocolError("http", "head-too-long", `response head of ${end - o} bytes > ${MAX_HEAD_BYTES}`);
        this.parseHead(data, o, end);
        return end;
      }
    }
    const n = Math.min(data.length - o, MAX_HEAD_BYTES - this.headLen);
    const from = Math.max(0, this.headLen - 3);
    this.head.set(data.subarray(o, o + n), this.headLen);
    this.headLen += n;
    const end = headEnd(this.head, from, this.headLen);
    if (end < 0) {
      if (this.headLen === MAX_HEAD_BYTES) throw new ProtocolError("http", "head-too-long", `response head over ${MAX_HEAD_BYTES} bytes`);
      return o + n;
    }
    this.parseHead(this.head, 0, end);
    const used = end - (this.headLen - n); // of this piece
    this.headLen = 0;
    return o + used;
  }

  /** Status line and header fields in b[start, end) (end is just past the blank line). */
  private parseHead(b: Uint8Array, start: number, end: number): void {
    // §4: HTTP-version SP status-code SP [reason-phrase]
    if (end - start < 12 || !isAscii(b, start, "HTTP/1.") || b[start + 8] !== 0x20) throw new ProtocolError("http", "bad-status-line", "response does not start with HTTP/1.x and a status");
    const http10 = b[start + 7] === 0x30;
    const status = digit(b[start + 9]!) * 100 + digit(b[start + 10]!) * 10 + digit(b[start + 11]!);
    if (!(status >= 100 && status <= 999)) throw new ProtocolError("http", "bad-status-line", "status code is not three digits");
    let keepAlive = !http10;
    let length = -1;
    let chunked = false;
    let line = indexOfLf(b, start, end) + 1;
    while (line < end - 2) {
      const eol = indexOfLf(b, line, end);
      const colon = b.indexOf(0x3a, line);
      if (colon < 0 || colon > eol) throw new ProtocolError("http", "bad-header", "header line without a colon");
      let v = colon + 1;
      let vEnd = eol > line && b[eol - 1] === CR ? eol - 1 : eol;
      while (v < vEnd && (b[v] === 0x20 || b[v] === 0x09)) v++;
      while (vEnd > v && (b[vEnd - 1] === 0x20 || b[vEnd - 1] === 0x09)) vEnd--;
      if (nameIs(b, line, colon, "content-length")) {
        length = 0;
        for (let i = v; i < vEnd; i++) {
          length = length * 10 + digit(b[i]!);
          if (!(length <= MAX_BODY_BYTES)) throw new ProtocolError("http", "body-too-long", `Content-Length over ${MAX_BODY_BYTES} or not a number`);
        }
      } else if (nameIs(b, line, colon, "transfer-encoding")) {
        // §6.1: chunked is the final coding; nothing else is accepted.
        if (!nameIs(b, vEnd - 7, vEnd, "chunked")) throw new ProtocolError("http", "bad-coding", "transfer coding other than chunked");
        chunked = true;
      } else if (nameIs(b, line, colon, "connection")) {
        if (hasToken(b, v, vEnd, "close")) keepAlive = false;
        else if (hasToken(b, v, vEnd, "keep-alive")) keepAlive = true;
      }
      line = eol + 1;
    }
    if (status < 200) {
      // §15.2: an interim response; the final one follows.
      return;
    }
    this.status = status;
    this.keepAlive = keepAlive;
    this.chunked = chunked;
    // §6.3: a 204 or 304 has no body; chunked overrides Content-Length; neither means "until close".
    if (status === 204 || status === 304 || (!chunked && length === 0)) {
      this.contentLength = 0;
      this.finish(EMPTY);
    } else if (chunked) {
      this.contentLength = -1;
      this.startChunkSize();
    } else {
      this.contentLength = length;
      if (length < 0) this.keepAlive = false;
      this.state = State.Body;
    }
  }

  private readBody(data: Uint8Array, o: number): number {
    const avail = data.length - o;
    if (this.contentLength < 0) {
      this.append(data, o, avail);
      return data.length;
    }
    const left = this.contentLength - this.bodyLen;
    if (this.bodyLen === 0 && avail >= left) {
      // The whole body in this piece: a view, no copy.
      this.finish(data.subarray(o, o + left));
      return o + left;
    }
    const n = Math.min(left, avail);
    if (this.bodyLen === 0) this.reserve(this.contentLength);
    this.append(data, o, n);
    if (this.bodyLen === this.contentLength) this.finish(this.buf.subarray(0, this.bodyLen));
    return o + n;
  }

  private startChunkSize(): void {
    this.state = State.ChunkSize;
    this.chunkLeft = 0;
    this.sawSizeDigit = false;
    this.inExtension = false;
  }

  /** chunk-size [ chunk-ext ] CRLF (§7.1), possibly split across pieces. */
  private readChunkSize(data: Uint8Array, o: number): number {
    while (o < data.length) {
      const b = data[o++]!;
      if (b === LF) {
        if (!this.sawSizeDigit) throw new ProtocolError("http", "bad-chunk", "chunk size line without a size");
        if (this.chunkLeft === 0) {
          this.state = State.Trailers;
          this.lineLen = 0;
        } else {
          if (this.bodyLen + this.chunkLeft > MAX_BODY_BYTES) throw new ProtocolError("http", "body-too-long", `chunked body over ${MAX_BODY_BYTES} bytes`);
          this.reserve(this.bodyLen + this.chunkLeft);
          this.state = State.ChunkData;
        }
        return o;
      }
      if (this.inExtension || b === CR) continue;
      if (b === 0x3b || b === 0x20 || b === 0x09) {
        this.inExtension = true;
        continue;
      }
      const d = hexDigit(b);
      if (d < 0) throw new ProtocolError("http", "bad-chunk", `chunk size has byte 0x${b.toString(16)}`);
      this.chunkLeft = this.chunkLeft * 16 + d;
      this.sawSizeDigit = true;
      if (this.chunkLeft > MAX_BODY_BYTES) throw new ProtocolError("http", "body-too-long", `chunk over ${MAX_BODY_BYTES} bytes`);
    }
    return o;
  }

  /** trailer-section CRLF (§7.1.2): lines until an empty one. */
  private readTrailers(data: Uint8Array, o: number): number {
    while (o < data.length) {
      const b = data[o++]!;
      if (b === LF) {
        if (this.lineLen === 0) {
          this.finish(this.buf.subarray(0, this.bodyLen));
          return o;
        }
        this.lineLen = 0;
      } else if (b !== CR) this.lineLen++;
    }
    return o;
  }

  private finish(body: Uint8Array): void {
    this.body = body;
    this.state = State.Done;
    this.done = true;
  }

  private reserve(n: number): void {
    if (n <= this.buf.length) return;
    const grown = new Uint8Array(Math.min(MAX_BODY_BYTES, Math.max(n, this.buf.length * 2)));
    grown.set(this.buf.subarray(0, this.bodyLen));
    this.buf = grown;
  }

  private append(data: Uint8Array, o: number, n: number): void {
    if (this.bodyLen + n > MAX_BODY_BYTES) throw new ProtocolError("http", "body-too-long", `body over ${MAX_BODY_BYTES} bytes`);
    this.reserve(this.bodyLen + n);
    this.buf.set(o === 0 && n === data.length ? data : data.subarray(o, o + n), this.bodyLen);
    this.bodyLen += n;
  }
}

/** Just past the CRLF CRLF that ends a head in b[from, to), or -1. */
function headEnd(b: Uint8Array, from: number, to: number): number {
  for (let i = b.indexOf(LF, from); i >= 0 && i + 2 < to; i = b.indexOf(LF, i + 1)) {
    if (b[i + 1] === CR && b[i + 2] === LF) return i + 3;
  }
  return -1;
}

function indexOfLf(b: Uint8Array, from: number, to: number): number {
  const i = b.indexOf(LF, from);
  return i < 0 || i >= to ? to : i;
}

/** Is b[start, end) `lower`, ignoring ASCII case? */
function nameIs(b: Uint8Array, start: number, end: number, lower: string): boolean {
  if (start < 0 || end - start !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) if ((b[start + i]! | 0x20) !== lower.charCodeAt(i)) return false;
  return true;
}

/** Does the comma-separated list in b[start, end) hold `lower` (ignoring case)? */
function hasToken(b: Uint8Array, start: number, end: number, lower: string): boolean {
  let t = start;
  for (let i = start; i <= end; i++) {
    if (i === end || b[i] === 0x2c) {
      let s = t;
      let e = i;
      while (s < e && b[s] === 0x20) s++;
      while (e > s && b[e - 1] === 0x20) e--;
      if (nameIs(b, s, e, lower)) return true;
      t = i + 1;
    }
  }
  return false;
}

function isAscii(b: Uint8Array, o: number, s: string): boolean {
  for (let i = 0; i < s.length; i++) if (b[o + i] !== s.charCodeAt(i)) return false;
  return true;
}

/** 0-9, or NaN (which fails every comparison the callers make). */
function digit(b: number): number {
  return b >= 0x30 && b <= 0x39 ? b - 0x30 : NaN;
}

function hexDigit(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  const l = b | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x61 + 10 : -1;
}
