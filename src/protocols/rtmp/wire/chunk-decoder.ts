/**
 * RTMP chunk stream decoder (RTMP 1.0 §5.3). Consumes only complete chunks and hands each one to a
 * sink as a view into the input: nothing is allocated or copied per chunk beyond that view.
 */
import {
  ChunkHeader,
  type ChunkSink,
  DEFAULT_CHUNK_SIZE,
  EXTENDED_TIMESTAMP,
  MAX_CHUNK_STREAMS,
  MAX_MESSAGE_SIZE,
  checkChunkSize,
  rtmpError,
} from "./chunk-header.ts";

/** §5.3.1.2: message header bytes for chunk types 0..3. */
const MESSAGE_HEADER_SIZE = [11, 7, 3, 0] as const;

/** Per chunk stream state: the header of the current message plus what type 1/2/3 chunks inherit. */
class ChunkStream {
  header: ChunkHeader;
  /** Timestamp field of the last type 0/1/2 chunk: a type-3 chunk starting a message adds it. */
  delta: number;
  /** The last type 0/1/2 chunk carried an extended timestamp (§5.3.1.3), with this value. */
  extended: boolean;
  extendedValue: number;
  /** Bytes of the current message received; 0 between messages. */
  received: number;
  started: boolean;

  constructor(csid: number) {
    this.header = new ChunkHeader(csid);
    this.delta = 0;
    this.extended = false;
    this.extendedValue = 0;
    this.received = 0;
    this.started = false;
  }
}

/** A plain, serialisable record of the decoder, for handing a session to another process. */
export interface ChunkDecoderState {
  chunkSize: number;
  streams: {
    csid: number;
    timestamp: number;
    msgLength: number;
    msgTypeId: number;
    msgStreamId: number;
    delta: number;
    extended: boolean;
    extendedValue: number;
  }[];
}

export class ChunkDecoder {
  private readonly streams = new Map<number, ChunkStream>();
  private size = DEFAULT_CHUNK_SIZE;

  constructor(private readonly sink: ChunkSink) {}

  get chunkSize(): number {
    return this.size;
  }

  /** §5.4.1: applies to the next chunk, even one already in the buffer being decoded. */
  setChunkSize(size: number): void {
    this.size = checkChunkSize(size);
  }

  /** §5.4.2 Abort Message: drop the partly received message on `csid`. */
  abort(csid: number): void {
    const cs = this.streams.get(csid);
    if (cs) cs.received = 0;
  }

  /** True when no message is partly received: the moment `saveState` loses nothing. */
  get idle(): boolean {
    for (const cs of this.streams.values()) if (cs.received !== 0) return false;
    return true;
  }

  /** Decodes every complete chunk in `buf`; returns the bytes consumed. Keep the rest for next time. */
  decode(buf: Uint8Array): number {
    let pos = 0;
    while (pos < buf.length) {
      const n = this.decodeChunk(buf, pos);
      if (n === 0) break;
      pos += n;
    }
    return pos;
  }

  private decodeChunk(buf: Uint8Array, pos: number): number {
    const end = buf.length;
    // §5.3.1.1 basic header: csid 2..63 in one byte, 0 and 1 escape to 2- and 3-byte forms.
    const b0 = buf[pos]!;
    const fmt = b0 >> 6;
    let csid = b0 & 0x3f;
    let p = pos + 1;
    if (csid === 0) {
      if (end < p + 1) return 0;
      csid = 64 + buf[p]!;
      p += 1;
    } else if (csid === 1) {
      if (end < p + 2) return 0;
      csid = 64 + buf[p]! + (buf[p + 1]! << 8);
      p += 2;
    }
    const mh = MESSAGE_HEADER_SIZE[fmt]!;
    if (end < p + mh) return 0;

    let cs = this.streams.get(csid);
    if (cs === undefined) {
      if (this.streams.size >= MAX_CHUNK_STREAMS) {
        throw rtmpError("chunk-streams", `chunk stream ${csid}: ${this.streams.size} streams > max ${MAX_CHUNK_STREAMS}`);
      }
      cs = new ChunkStream(csid);
      this.streams.set(csid, cs);
    }
    const h = cs.header;
    // §5.3.1.2.1: a chunk stream starts with type 0. librtmp starts its ping on csid 2 with type 1,
    // which carries everything but the stream id (0 for control), so that is accepted too.
    if (!cs.started && fmt >= 2) throw rtmpError("chunk-header", `chunk stream ${csid}: first chunk has type ${fmt}`);
    const inProgress = cs.received !== 0;
    if (inProgress && fmt === 0) {
      throw rtmpError("chunk-header", `chunk stream ${csid}: type 0 chunk with ${cs.received} of ${h.msgLength} bytes pending`);
    }

    let tsField = 0;
    let length = h.msgLength;
    let typeId = h.msgTypeId;
    let streamId = fmt === 0 ? 0 : h.msgStreamId;
    if (fmt <= 2) tsField = (buf[p]! << 16) | (buf[p + 1]! << 8) | buf[p + 2]!;
    if (fmt <= 1) {
      length = (buf[p + 3]! << 16) | (buf[p + 4]! << 8) | buf[p + 5]!;
      typeId = buf[p + 6]!;
      if (length > MAX_MESSAGE_SIZE) throw rtmpError("message-size", `message size ${length} > max ${MAX_MESSAGE_SIZE}`);
      if (inProgress && length !== h.msgLength) {
        throw rtmpError("chunk-header", `chunk stream ${csid}: length ${length} changes mid-message (${h.msgLength})`);
      }
    }
    if (fmt === 0) streamId = (buf[p + 7]! | (buf[p + 8]! << 8) | (buf[p + 9]! << 16) | (buf[p + 10]! << 24)) >>> 0;
    p += mh;

    // §5.3.1.3 extended timestamp.
    let extended = cs.extended;
    if (fmt <= 2) {
      extended = tsField === EXTENDED_TIMESTAMP;
      if (extended) {
        if (end < p + 4) return 0;
        tsField = readU32(buf, p);
        p += 4;
      }
    } else if (extended) {
      // Type-3 chunks after an extended timestamp repeat it (ffmpeg, librtmp, Flash); a few senders
      // omit it. Like SRS, take the 4 bytes as the repeat only when they equal the value last sent.
      if (end < p + 4) return 0;
      if (readU32(buf, p) === cs.extendedValue) p += 4;
    }

    const n = Math.min(this.size, length - cs.received);
    if (end < p + n) return 0;

    // The chunk is complete: commit the header state.
    if (!inProgress) {
      if (fmt === 0) h.timestamp = tsField;
      else if (fmt <= 2) h.timestamp = (h.timestamp + tsField) >>> 0;
      else h.timestamp = (h.timestamp + cs.delta) >>> 0; // §5.3.1.2.4: a new message reuses the delta
      h.msgLength = length;
      h.msgTypeId = typeId;
      h.msgStreamId = streamId;
      if (fmt <= 2) {
        cs.delta = tsField;
        cs.extended = extended;
        cs.extendedValue = tsField;
      }
    }
    cs.started = true;
    const offset = cs.received;
    cs.received = offset + n === length ? 0 : offset + n;
    this.sink.onChunk(h, buf.subarray(p, p + n), offset);
    return p + n - pos;
  }

  saveState(): ChunkDecoderState {
    const streams: ChunkDecoderState["streams"] = [];
    for (const cs of this.streams.values()) {
      const h = cs.header;
      streams.push({
        csid: h.csid,
        timestamp: h.timestamp,
        msgLength: h.msgLength,
        msgTypeId: h.msgTypeId,
        msgStreamId: h.msgStreamId,
        delta: cs.delta,
        extended: cs.extended,
        extendedValue: cs.extendedValue,
      });
    }
    return { chunkSize: this.size, streams };
  }

  /** Restores a record from `saveState` (taken while `idle`) into a fresh decoder. */
  restoreState(state: ChunkDecoderState): void {
    this.size = checkChunkSize(state.chunkSize);
    this.streams.clear();
    for (const s of state.streams) {
      const cs = new ChunkStream(s.csid);
      Object.assign(cs.header, { timestamp: s.timestamp, msgLength: s.msgLength, msgTypeId: s.msgTypeId, msgStreamId: s.msgStreamId });
      cs.delta = s.delta;
      cs.extended = s.extended;
      cs.extendedValue = s.extendedValue;
      cs.started = true;
      this.streams.set(s.csid, cs);
    }
  }
}

function readU32(buf: Uint8Array, p: number): number {
  return ((buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!) >>> 0;
}
