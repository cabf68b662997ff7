/**
 * Fuzz target: mutated PATCH bodies through parseTrickleFragment. Only SdpError may escape; a
 * fragment that parses must carry both credentials or neither, and our restart answer built from
 * it must parse back with the same credentials, or it is a crash.
 */
import type { FuzzTarget } from "../../../core/fuzz-target.ts";
import { formatRestartFragment, MAX_SDPFRAG_BYTES, parseTrickleFragment } from "./trickle.ts";
import { TRICKLE_CASES } from "./trickle.cases.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder(); // not fatal: an HTTP body with bad UTF-8 reaches us with U+FFFD
const UFRAG = "Fuzz0001";
const PWD = "FuzzFuzzFuzzFuzzFuzzFuzz";

export const target: FuzzTarget = {
  name: "webrtc/trickle",
  seeds: TRICKLE_CASES.filter((c) => c.error !== "too-large").map((c) => encoder.encode(c.text)),
  maxInputBytes: MAX_SDPFRAG_BYTES,
  run(input: Uint8Array): unknown {
    const f = parseTrickleFragment(decoder.decode(input));
    if ((f.ufrag === null) !== (f.pwd === null)) throw new Error("credentials half present");
    const back = parseTrickleFragment(formatRestartFragment(UFRAG, PWD, [{ address: "127.0.0.1", port: 8189 }], f.sections[0]));
    if (back.ufrag !== UFRAG || back.pwd !== PWD) throw new Error("restart answer lost its credentials");
    if (f.sections[0] && back.sections[0]?.mid !== f.sections[0].mid) throw new Error("restart answer lost the mid");
    return f.candidates.length;
  },
};
