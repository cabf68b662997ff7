/** Fuzz target: the chunk decoder and message assembler over mutated chunk streams. */
import type { FuzzTarget } from "../../../core/fuzz-target.ts";
import { CHUNK_CASES, CHUNK_ERROR_CASES } from "./chunk-cases.ts";
import type { ChunkHeader } from "./chunk-header.ts";
import { encodeMessage } from "./chunk-encoder.ts";
import { MessageReader } from "./message-assembler.ts";

const sink = {
  messages: 0,
  onMessage(_h: ChunkHeader, _body: Uint8Array): void {
    this.messages++;
  },
};

/** Feeds `input` in pieces of `step` bytes, keeping the unconsumed tail as a real caller does. */
function feed(input: Uint8Array, step: number): number {
  const reader = new MessageReader(sink);
  let pending = new Uint8Array(0);
  for (let at = 0; at < input.length; at += step) {
    const piece = input.subarray(at, at + step);
    const buf = new Uint8Array(pending.length + piece.length);
    buf.set(pending);
    buf.set(piece, pending.length);
    pending = buf.subarray(reader.decode(buf));
  }
  return pending.length;
}

const seeds = [
  ...CHUNK_CASES.map((c) => c.bytes),
  ...CHUNK_ERROR_CASES.map((c) => c.bytes),
  // Extended timestamps, large csids and a declared size at the cap, from the encoder.
  encodeMessage(65599, 0x12345678, 9, 1, 128, new Uint8Array(300).fill(0x17)),
  encodeMessage(64, 0xffffff, 8, 1, 100, new Uint8Array(250).fill(0x27)),
  Uint8Array.of(0x06, 0, 0, 0, 0x80, 0, 0, 9, 1, 0, 0, 0, 1, 2, 3),
];

export const target: FuzzTarget = {
  name: "rtmp/chunk",
  seeds,
  maxInputBytes: 8192,
  run(input: Uint8Array): number {
    return feed(input, input.length || 1) + feed(input, 1 + (input.length % 13));
  },
};
