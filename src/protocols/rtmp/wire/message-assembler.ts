/**
 * Chunks to whole messages, for the paths that are not hot (commands, control, metadata) and for
 * simple users. A message that arrives in one chunk is passed on as the decoder's view (zero-copy);
 * a longer one is copied into a buffer kept per chunk stream, grown as its bytes arrive (never ahead
 * of them, so a peer declaring huge messages costs only what it actually sends).
 */
import { assert } from "../../../core/errors.ts";
import { type ChunkHeader, type ChunkSink, MAX_MESSAGE_SIZE, type MessageSink, rtmpError } from "./chunk-header.ts";
import { ChunkDecoder } from "./chunk-decoder.ts";
import { decodeAbort, decodeSetChunkSize } from "./control.ts";
import { ABORT, SET_CHUNK_SIZE } from "./message-types.ts";

/** First size of a per-stream buffer; it doubles up to the message length. */
const INITIAL_ASSEMBLY_BYTES = 64 * 1024;
/** All per-stream buffers of one connection together. */
export const MAX_ASSEMBLY_BYTES = 2 * MAX_MESSAGE_SIZE;

export class MessageAssembler implements ChunkSink {
  private readonly buffers = new Map<number, Uint8Array>();
  private allocated = 0;

  constructor(private readonly sink: MessageSink) {}

  /** Bytes held in per-stream buffers. */
  get bufferedBytes(): number {
    return this.allocated;
  }

  onChunk(h: ChunkHeader, data: Uint8Array, offset: number): void {
    const end = offset + data.length;
    if (offset === 0 && end === h.msgLength) {
      this.sink.onMessage(h, data);
      return;
    }
    let buf = this.buffers.get(h.csid);
    if (buf === undefined || buf.length < end) {
      assert(offset === 0 || buf !== undefined, `chunk stream ${h.csid}: continuation without a message`);
      buf = this.grow(h.csid, buf, offset, Math.min(h.msgLength, Math.max(end, INITIAL_ASSEMBLY_BYTES, 2 * (buf?.length ?? 0))));
    }
    buf.set(data, offset);
    if (end === h.msgLength) this.sink.onMessage(h, buf.subarray(0, end));
  }

  private grow(csid: number, old: Uint8Array | undefined, keep: number, size: number): Uint8Array {
    const oldSize = old?.length ?? 0;
    if (this.allocated - oldSize + size > MAX_ASSEMBLY_BYTES) {
      throw rtmpError("message-size", `assembly buffers ${this.allocated - oldSize + size} bytes > max ${MAX_ASSEMBLY_BYTES}`);
    }
    const buf = new Uint8Array(size);
    if (old !== undefined && keep > 0) buf.set(old.subarray(0, keep));
    this.allocated += size - oldSize;
    this.buffers.set(csid, buf);
    return buf;
  }

  /** Frees the buffer of a chunk stream (an Abort Message needs nothing else: offsets restart at 0). */
  release(csid: number): void {
    const buf = this.buffers.get(csid);
    if (buf === undefined) return;
    this.allocated -= buf.length;
    this.buffers.delete(csid);
  }
}

/**
 * Decoder plus assembler, applying Set Chunk Size and Abort (§5.4.1, §5.4.2) itself before passing
 * every message, those included, to the sink.
 */
export class MessageReader implements ChunkSink, MessageSink {
  readonly decoder: ChunkDecoder;
  private readonly assembler: MessageAssembler;

  constructor(private readonly sink: MessageSink) {
    this.assembler = new MessageAssembler(this);
    this.decoder = new ChunkDecoder(this);
  }

  /** Same contract as ChunkDecoder.decode: returns bytes consumed, keep the rest. */
  decode(buf: Uint8Array): number {
    return this.decoder.decode(buf);
  }

  onChunk(h: ChunkHeader, data: Uint8Array, offset: number): void {
    this.assembler.onChunk(h, data, offset);
  }

  onMessage(h: ChunkHeader, body: Uint8Array): void {
    if (h.msgTypeId === SET_CHUNK_SIZE) this.decoder.setChunkSize(decodeSetChunkSize(body));
    else if (h.msgTypeId === ABORT) {
      const csid = decodeAbort(body);
      this.decoder.abort(csid);
      this.assembler.release(csid);
    }
    this.sink.onMessage(h, body);
  }
}
