/**
 * Case table for the chunk stream (RTMP 1.0 §5.3): byte streams written out by hand, field by field,
 * with the messages they must decode to. Feeds chunk.test.ts and the seeds of chunk.fuzz.ts.
 */
export interface ExpectedMessage {
  csid: number;
  timestamp: number;
  msgTypeId: number;
  msgStreamId: number;
  body: Uint8Array;
}

export interface ChunkCase {
  name: string;
  bytes: Uint8Array;
  messages: ExpectedMessage[];
}

export interface ChunkErrorCase {
  name: string;
  bytes: Uint8Array;
  /** ProtocolError code and a substring of its message. */
  code: string;
  message: string;
}

// --- a hand builder: each helper is one field of §5.3.1, nothing shared with the encoder ---

/** §5.3.1.1 basic header in its smallest form. */
function basic(fmt: number, csid: number): number[] {
  if (csid < 64) return [(fmt << 6) | csid];
  if (csid < 320) return [fmt << 6, csid - 64];
  return [(fmt << 6) | 1, (csid - 64) & 0xff, (csid - 64) >> 8];
}
const u24 = (v: number) => [(v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff];
const u32 = (v: number) => [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];
const u32le = (v: number) => [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24];
const ts24 = (v: number) => u24(v >= 0xffffff ? 0xffffff : v);
const ext = (v: number) => (v >= 0xffffff ? u32(v) : []);

const t0 = (csid: number, ts: number, len: number, type: number, sid: number) => [
  ...basic(0, csid), ...ts24(ts), ...u24(len), type, ...u32le(sid), ...ext(ts),
];
const t1 = (csid: number, delta: number, len: number, type: number) => [...basic(1, csid), ...ts24(delta), ...u24(len), type, ...ext(delta)];
const t2 = (csid: number, delta: number) => [...basic(2, csid), ...ts24(delta), ...ext(delta)];
const t3 = (csid: number, repeat?: number) => [...basic(3, csid), ...(repeat === undefined ? [] : u32(repeat))];

/** Recognisable payload: byte i of body `seed` is (seed * 31 + i) & 0xff, never starting 0x01 0x00 0x00. */
export function body(seed: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) out[i] = (seed * 31 + i * 7 + 0x40) & 0xff;
  return out;
}
const part = (b: Uint8Array, from: number, to: number) => [...b.subarray(from, to)];
const msg = (csid: number, timestamp: number, msgTypeId: number, msgStreamId: number, b: Uint8Array): ExpectedMessage => ({
  csid, timestamp, msgTypeId, msgStreamId, body: b,
});
const bytes = (...parts: number[][]) => Uint8Array.from(parts.flat());

const a = body(1, 20);
const b = body(2, 300);
const c = [body(3, 10), body(4, 12), body(5, 12), body(6, 12)];
const d = body(7, 5);
const e = body(8, 200);
const f = body(9, 5000);
const g = body(10, 300);
const h = body(11, 300);
const ping = Uint8Array.of(0, 6, 0, 0, 0x0d, 0x0f);

export const CHUNK_CASES: ChunkCase[] = [
  {
    name: "type 0, one chunk, 1-byte csid",
    bytes: bytes(t0(3, 1000, 20, 20, 0), part(a, 0, 20)),
    messages: [msg(3, 1000, 20, 0, a)],
  },
  {
    name: "type 0 then type 3 continuations at the default 128",
    bytes: bytes(t0(4, 0, 300, 8, 1), part(b, 0, 128), t3(4), part(b, 128, 256), t3(4), part(b, 256, 300)),
    messages: [msg(4, 0, 8, 1, b)],
  },
  {
    name: "type 1 and type 2 deltas, then type 3 starting a message reuses the delta (§5.3.1.2.4)",
    bytes: bytes(
      t0(6, 100, 10, 9, 1), [...c[0]!],
      t1(6, 33, 12, 9), [...c[1]!],
      t2(6, 34), [...c[2]!],
      t3(6), [...c[3]!],
    ),
    messages: [msg(6, 100, 9, 1, c[0]!), msg(6, 133, 9, 1, c[1]!), msg(6, 167, 9, 1, c[2]!), msg(6, 201, 9, 1, c[3]!)],
  },
  {
    name: "type 3 after type 0 adds the type-0 timestamp field",
    bytes: bytes(t0(5, 40, 5, 8, 1), [...d], t3(5), [...d]),
    messages: [msg(5, 40, 8, 1, d), msg(5, 80, 8, 1, d)],
  },
  {
    name: "2-byte basic headers (csid 64 and 319)",
    bytes: bytes(t0(64, 1, 5, 8, 1), [...d], t0(319, 2, 5, 9, 1), [...d]),
    messages: [msg(64, 1, 8, 1, d), msg(319, 2, 9, 1, d)],
  },
  {
    name: "3-byte basic headers (csid 320 and 65599) across chunks",
    bytes: bytes(t0(320, 3, 200, 9, 1), part(e, 0, 128), t3(320), part(e, 128, 200), t0(65599, 4, 5, 8, 1), [...d]),
    messages: [msg(320, 3, 9, 1, e), msg(65599, 4, 8, 1, d)],
  },
  {
    name: "extended timestamp on type 0, repeated in the type-3 continuation (ffmpeg, librtmp)",
    bytes: bytes(t0(6, 0x01000000, 200, 9, 1), part(e, 0, 128), t3(6, 0x01000000), part(e, 128, 200)),
    messages: [msg(6, 0x01000000, 9, 1, e)],
  },
  {
    name: "extended timestamp on type 0, not repeated in the type-3 continuation",
    bytes: bytes(t0(6, 0x01000000, 200, 9, 1), part(e, 0, 128), t3(6), part(e, 128, 200)),
    messages: [msg(6, 0x01000000, 9, 1, e)],
  },
  {
    name: "extended timestamp exactly 0xFFFFFF",
    bytes: bytes(t0(7, 0xffffff, 5, 8, 1), [...d]),
    messages: [msg(7, 0xffffff, 8, 1, d)],
  },
  {
    name: "extended delta on type 1, repeated by a type-3 chunk starting the next message",
    bytes: bytes(t0(6, 0xfffff0, 5, 9, 1), [...d], t1(6, 0x01000000, 5, 9), [...d], t3(6, 0x01000000), [...d]),
    messages: [msg(6, 0xfffff0, 9, 1, d), msg(6, 0x01fffff0, 9, 1, d), msg(6, 0x02fffff0, 9, 1, d)],
  },
  {
    name: "timestamp wraps at 2^32",
    bytes: bytes(t0(6, 0xfffffff0, 5, 9, 1), [...d], t2(6, 0x20), [...d]),
    messages: [msg(6, 0xfffffff0, 9, 1, d), msg(6, 0x10, 9, 1, d)],
  },
  {
    name: "Set Chunk Size takes effect on the very next chunk",
    bytes: bytes(t0(2, 0, 4, 1, 0), u32(4096), t0(6, 0, 5000, 9, 1), part(f, 0, 4096), t3(6), part(f, 4096, 5000)),
    messages: [msg(2, 0, 1, 0, Uint8Array.from(u32(4096))), msg(6, 0, 9, 1, f)],
  },
  {
    name: "interleaved chunk streams",
    bytes: bytes(
      t0(4, 10, 300, 8, 1), part(g, 0, 128), t0(6, 20, 300, 9, 1), part(h, 0, 128),
      t3(4), part(g, 128, 256), t3(6), part(h, 128, 256), t3(6), part(h, 256, 300), t3(4), part(g, 256, 300),
    ),
    messages: [msg(6, 20, 9, 1, h), msg(4, 10, 8, 1, g)],
  },
  {
    name: "Abort Message drops the partial message (§5.4.2)",
    bytes: bytes(t0(6, 0, 300, 9, 1), part(h, 0, 128), t0(2, 0, 4, 2, 0), u32(6), t0(6, 50, 5, 9, 1), [...d]),
    messages: [msg(2, 0, 2, 0, Uint8Array.from(u32(6))), msg(6, 50, 9, 1, d)],
  },
  {
    name: "librtmp ping: a fresh csid 2 starting with type 1",
    bytes: bytes(t1(2, 0, 6, 4), [...ping]),
    messages: [msg(2, 0, 4, 0, ping)],
  },
  {
    name: "zero-length messages",
    bytes: bytes(t0(3, 5, 0, 18, 1), t3(3), t0(3, 9, 5, 18, 1), [...d]),
    messages: [msg(3, 5, 18, 1, new Uint8Array(0)), msg(3, 10, 18, 1, new Uint8Array(0)), msg(3, 9, 18, 1, d)],
  },
  {
    name: "type 2 header on a continuation chunk (tolerated, timestamp unchanged)",
    bytes: bytes(t0(4, 10, 300, 8, 1), part(b, 0, 128), t2(4, 99), part(b, 128, 256), t1(4, 99, 300, 8), part(b, 256, 300)),
    messages: [msg(4, 10, 8, 1, b)],
  },
];

export const CHUNK_ERROR_CASES: ChunkErrorCase[] = [
  {
    name: "Set Chunk Size above the cap",
    bytes: bytes(t0(2, 0, 4, 1, 0), u32(70000)),
    code: "chunk-size",
    message: "chunk size 70000 > max 65536",
  },
  { name: "Set Chunk Size 0", bytes: bytes(t0(2, 0, 4, 1, 0), u32(0)), code: "chunk-size", message: "chunk size 0 < 1" },
  {
    name: "message length above MAX_MESSAGE_SIZE, refused at the header",
    bytes: bytes(t0(6, 0, 0xffffff, 9, 1)),
    code: "message-size",
    message: "message size 16777215 > max 8388608",
  },
  { name: "chunk stream starting with type 2", bytes: bytes(t2(5, 1), [1]), code: "chunk-header", message: "first chunk has type 2" },
  { name: "chunk stream starting with type 3", bytes: bytes(t3(5), [1]), code: "chunk-header", message: "first chunk has type 3" },
  {
    name: "type 0 in the middle of a message",
    bytes: bytes(t0(6, 0, 300, 9, 1), part(h, 0, 128), t0(6, 0, 300, 9, 1)),
    code: "chunk-header",
    message: "type 0 chunk with 128 of 300 bytes pending",
  },
  {
    name: "type 1 changing the length mid-message",
    bytes: bytes(t0(6, 0, 300, 9, 1), part(h, 0, 128), t1(6, 0, 200, 9)),
    code: "chunk-header",
    message: "length 200 changes mid-message",
  },
  {
    name: "more chunk streams than MAX_CHUNK_STREAMS",
    bytes: bytes(...Array.from({ length: 65 }, (_, i) => t0(3 + i, 0, 0, 9, 1))),
    code: "chunk-streams",
    message: "> max 64",
  },
];
