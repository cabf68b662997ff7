import { describe, expect, test } from "bun:test";
import { ProtocolError } from "../../../core/errors.ts";
import { fuzz } from "../../../core/fuzz.ts";
import { CHUNK_CASES, CHUNK_ERROR_CASES, type ExpectedMessage, body } from "./chunk-cases.ts";
import {
  ChunkDecoder,
  type ChunkHeader,
  MAX_ASSEMBLY_BYTES,
  MAX_MESSAGE_SIZE,
  MessageAssembler,
  MessageReader,
  chunkedSize,
  encodeMessageTo,
} from "./chunk.ts";
import { target } from "./chunk.fuzz.ts";

function collector() {
  const messages: ExpectedMessage[] = [];
  const sink = {
    onMessage(h: ChunkHeader, b: Uint8Array) {
      messages.push({ csid: h.csid, timestamp: h.timestamp, msgTypeId: h.msgTypeId, msgStreamId: h.msgStreamId, body: b.slice() });
    },
  };
  return { messages, reader: new MessageReader(sink) };
}

/** Feeds pieces the way a socket handler does: unconsumed bytes are prepended to the next piece. */
function feed(reader: MessageReader, pieces: Uint8Array[]): number {
  let pending = new Uint8Array(0);
  for (const piece of pieces) {
    const buf = new Uint8Array(pending.length + piece.length);
    buf.set(pending);
    buf.set(piece, pending.length);
    pending = buf.subarray(reader.decode(buf));
  }
  return pending.length;
}

function pieces(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += size) out.push(bytes.subarray(at, at + size));
  return out;
}

describe("chunk decoder: case table", () => {
  for (const c of CHUNK_CASES) {
    test(c.name, () => {
      const { messages, reader } = collector();
      expect(feed(reader, [c.bytes])).toBe(0);
      expect(messages).toEqual(c.messages);
    });

    test(`${c.name}: split at every byte boundary and fed in 1..N-byte pieces`, () => {
      for (let i = 0; i <= c.bytes.length; i++) {
        const { messages, reader } = collector();
        expect(feed(reader, [c.bytes.subarray(0, i), c.bytes.subarray(i)])).toBe(0);
        expect(messages).toEqual(c.messages);
      }
      for (const size of [1, 2, 3, 5, 7, 11, 64, 127, 128, 129, 1000]) {
        const { messages, reader } = collector();
        expect(feed(reader, pieces(c.bytes, size))).toBe(0);
        expect(messages).toEqual(c.messages);
      }
    });
  }

  for (const c of CHUNK_ERROR_CASES) {
    test(`refuses: ${c.name}`, () => {
      const { reader } = collector();
      let error: unknown;
      try {
        reader.decode(c.bytes);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(ProtocolError);
      expect((error as ProtocolError).code).toBe(c.code);
      expect((error as ProtocolError).message).toContain(c.message);
    });
  }
});

describe("chunk decoder: hot path API", () => {
  test("chunks are views into the input with their offset in the message", () => {
    const c = CHUNK_CASES.find((x) => x.name.startsWith("interleaved"))!;
    const seen: [number, number, number, number][] = [];
    const decoder = new ChunkDecoder({
      onChunk(h, data, offset) {
        expect(data.buffer).toBe(c.bytes.buffer);
        seen.push([h.csid, offset, data.length, h.msgLength]);
      },
    });
    expect(decoder.decode(c.bytes)).toBe(c.bytes.length);
    expect(seen).toEqual([
      [4, 0, 128, 300], [6, 0, 128, 300], [4, 128, 128, 300], [6, 128, 128, 300], [6, 256, 44, 300], [4, 256, 44, 300],
    ]);
  });

  test("a one-chunk message reaches the message sink without a copy", () => {
    const c = CHUNK_CASES[0]!;
    let view: Uint8Array | undefined;
    new MessageReader({ onMessage: (_h, b) => (view = b) }).decode(c.bytes);
    expect(view!.buffer).toBe(c.bytes.buffer);
  });

  test("saveState/restoreState carry type 1/2/3 context to a new decoder", () => {
    const c = CHUNK_CASES.find((x) => x.name.startsWith("type 1 and type 2"))!;
    const cut = 1 + 11 + 10; // after the first (type 0) message
    const first = collector();
    first.reader.decode(c.bytes.subarray(0, cut));
    expect(first.reader.decoder.idle).toBe(true);
    const state = JSON.parse(JSON.stringify(first.reader.decoder.saveState()));
    const second = collector();
    second.reader.decoder.restoreState(state);
    second.reader.decode(c.bytes.subarray(cut));
    expect([...first.messages, ...second.messages]).toEqual(c.messages);
  });
});

describe("message assembler: memory", () => {
  test("a huge declared message costs only what arrived", () => {
    const assembler = new MessageAssembler({ onMessage() {} });
    const decoder = new ChunkDecoder(assembler);
    const head = Uint8Array.of(0x06, 0, 0, 0, 0x80, 0, 0, 9, 1, 0, 0, 0); // csid 6, 8 MiB video
    const buf = new Uint8Array(head.length + 128);
    buf.set(head);
    decoder.decode(buf);
    expect(assembler.bufferedBytes).toBe(64 * 1024);
  });

  test("interleaved huge messages are refused past MAX_ASSEMBLY_BYTES", () => {
    const { reader } = collector();
    reader.decoder.setChunkSize(65536);
    const chunk = new Uint8Array(65536);
    const out = new Uint8Array(chunkedSize(MAX_MESSAGE_SIZE, 65536, 0, 63) + 16);
    const piece = (csid: number, first: boolean) => {
      let n: number;
      if (first) {
        n = 12;
        out.set([csid, 0, 0, 0, 0x80, 0, 0, 9, 1, 0, 0, 0]);
      } else {
        n = 1;
        out[0] = 0xc0 | csid;
      }
      out.set(chunk, n);
      return out.subarray(0, n + chunk.length);
    };
    const sent = (csid: number, count: number) => {
      for (let i = 0; i < count; i++) expect(reader.decode(piece(csid, i === 0))).toBeGreaterThan(0);
    };
    sent(4, 80); // 5 MiB received: an 8 MiB buffer
    sent(5, 80);
    expect(() => sent(6, 1)).toThrow(`> max ${MAX_ASSEMBLY_BYTES}`);
  });
});

describe("chunk encoder -> decoder round trip", () => {
  const sizes = [0, 1, 127, 128, 129, 256, 1000, 4095, 4096, 4097, 70000];
  const chunkSizes = [1, 128, 4096, 65536];
  const timestamps = [0, 1, 0xfffffe, 0xffffff, 0x1000000, 0x7fffffff, 0xffffffff];
  const csids = [2, 3, 63, 64, 319, 320, 65599];

  test(`${sizes.length * chunkSizes.length * timestamps.length} (size, chunkSize, timestamp) combinations`, () => {
    let k = 0;
    for (const chunkSize of chunkSizes) {
      const { messages, reader } = collector();
      reader.decoder.setChunkSize(chunkSize);
      const expected: ExpectedMessage[] = [];
      for (const size of sizes) {
        if (chunkSize === 1 && size > 4097) continue;
        for (const ts of timestamps) {
          const csid = csids[k++ % csids.length]!;
          const payload = body(k, size);
          const split = Math.min(size, k % 12); // the first bytes go through `header`
          const len = chunkedSize(size, chunkSize, ts, csid);
          const out = new Uint8Array(len + 2);
          const n = encodeMessageTo(out, 1, csid, ts, 9, k, chunkSize, payload.subarray(0, split), payload.subarray(split));
          expect(n).toBe(len);
          expect(feed(reader, pieces(out.subarray(1, 1 + n), 1 + (k % 300)))).toBe(0);
          expected.push({ csid, timestamp: ts, msgTypeId: 9, msgStreamId: k, body: payload });
        }
      }
      expect(messages).toEqual(expected);
    }
  });

  test("type-3 continuations repeat the extended timestamp", () => {
    const out = new Uint8Array(chunkedSize(200, 128, 0x01000000));
    encodeMessageTo(out, 0, 3, 0x01000000, 9, 1, 128, null, new Uint8Array(200));
    expect([...out.subarray(1, 4)]).toEqual([0xff, 0xff, 0xff]);
    expect([...out.subarray(12, 16)]).toEqual([1, 0, 0, 0]);
    expect([...out.subarray(144, 149)]).toEqual([0xc3, 1, 0, 0, 0]);
  });
});

test("fuzz rtmp/chunk: 2,000 mutations throw nothing but ProtocolError", () => {
  const result = fuzz(target, { iterations: 2000, seed: 0xc4c4 });
  expect(result.crashes.map((c) => String(c.error))).toEqual([]);
  expect(result.iterations).toBe(2000);
});
