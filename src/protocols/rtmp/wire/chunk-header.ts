/**
 * RTMP chunk stream (RTMP 1.0 §5.3): shared constants and the header object the decoder hands out.
 */
import { ProtocolError } from "../../../core/errors.ts";
import { PROTOCOL } from "./message-types.ts";

/** §5.4.1: chunk size defaults to 128 until a Set Chunk Size arrives. */
export const DEFAULT_CHUNK_SIZE = 128;
/** §5.4.1 caps a chunk at 16777215 bytes; we refuse more than 64 KiB, like most servers. */
export const MAX_CHUNK_SIZE = 65536;
/** Largest message we accept (the 24-bit length field allows 16 MiB). Checked before any allocation. */
export const MAX_MESSAGE_SIZE = 8 * 1024 * 1024;
/** Distinct chunk stream ids one peer may use; real peers use fewer than 10. */
export const MAX_CHUNK_STREAMS = 64;
/** §5.3.1.1: 2..65599 are representable; 0 and 1 are the 2- and 3-byte escapes. */
export const MIN_CSID = 2;
export const MAX_CSID = 65599;
/** §5.3.1.3: a 24-bit timestamp field of 0xFFFFFF means "see the extended timestamp". */
export const EXTENDED_TIMESTAMP = 0xffffff;

/**
 * The header of the message a chunk belongs to. One object per chunk stream, reused for every chunk
 * on it: copy the fields you need to keep. `timestamp` is absolute and wraps at 2^32 ms.
 */
export class ChunkHeader {
  csid: number;
  timestamp: number;
  msgLength: number;
  msgTypeId: number;
  msgStreamId: number;

  constructor(csid: number) {
    this.csid = csid;
    this.timestamp = 0;
    this.msgLength = 0;
    this.msgTypeId = 0;
    this.msgStreamId = 0;
  }
}

/**
 * Receives chunks as they are decoded. `data` is a view into the decoder's input, valid only during
 * the call; `offset` counts the bytes of this message delivered before this chunk, so the message is
 * complete when `offset + data.length === h.msgLength`.
 */
export interface ChunkSink {
  onChunk(h: ChunkHeader, data: Uint8Array, offset: number): void;
}

/** Receives whole messages; `body` is valid only during the call (it may be a view or a reused buffer). */
export interface MessageSink {
  onMessage(h: ChunkHeader, body: Uint8Array): void;
}

export function rtmpError(code: string, message: string): ProtocolError {
  return new ProtocolError(PROTOCOL, code, message);
}

/** §5.4.1: the chunk size is 31 bits, at least 1; we cap it at MAX_CHUNK_SIZE. */
export function checkChunkSize(size: number): number {
  if (!Number.isInteger(size) || size < 1) throw rtmpError("chunk-size", `chunk size ${size} < 1`);
  if (size > MAX_CHUNK_SIZE) throw rtmpError("chunk-size", `chunk size ${size} > max ${MAX_CHUNK_SIZE}`);
  return size;
}

/** §5.3.1.1: bytes of the basic header for a chunk stream id. */
export function basicHeaderSize(csid: number): number {
  return csid < 64 ? 1 : csid < 320 ? 2 : 3;
}
