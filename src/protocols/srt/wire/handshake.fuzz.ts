/** Fuzz target: handshake CIFs with their extensions (HSREQ/HSRSP, KM, stream id, the rest). */
import type { FuzzTarget } from "../../../core/fuzz-target.ts";
import { decodeHandshake, Handshake } from "./handshake.ts";
import { HANDSHAKE_CASES } from "./handshake-cases.ts";

export const target: FuzzTarget = {
  name: "srt/handshake",
  seeds: HANDSHAKE_CASES.map((c) => c.cif),
  maxInputBytes: 1500,
  run(input: Uint8Array): number {
    const hs = new Handshake();
    const n = decodeHandshake(input, 0, input.length, hs);
    // What decodes must encode again (the session answers with the same objects).
    const out = new Uint8Array(hs.encodedSize());
    hs.encodeTo(out, 0);
    return n;
  },
};
