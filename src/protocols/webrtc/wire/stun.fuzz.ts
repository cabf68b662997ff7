/**
 * Fuzz target: any datagram through the STUN decoder, then MESSAGE-INTEGRITY when it has one. Each
 * input runs twice, as is and with its FINGERPRINT recomputed, or nearly every mutant would stop at
 * the CRC.
 */
import { ProtocolError } from "../../../core/errors.ts";
import type { FuzzTarget } from "../../../core/fuzz-target.ts";
import { crc32 } from "./stun-crc32.ts";
import { stunKey, verifyIntegrity } from "./stun-integrity.ts";
import { decodeStun, FINGERPRINT_XOR, StunMessage } from "./stun.ts";
import { RFC5769_PASSWORD, STUN_CASES } from "./stun.cases.ts";

const m = new StunMessage();
const key = stunKey(RFC5769_PASSWORD);
const scratch = new Uint8Array(2048);
const view = new DataView(scratch.buffer);

function check(b: Uint8Array): unknown {
  const n = decodeStun(b, m);
  if (n > 0 && m.integrityOffset >= 0) return verifyIntegrity(b, m, key);
  return n;
}

export const target: FuzzTarget = {
  name: "webrtc/stun",
  seeds: STUN_CASES.map((c) => c.bytes),
  maxInputBytes: 1600,
  run(input: Uint8Array): unknown {
    const at = input.length - 8;
    if (at >= 20 && input[at] === 0x80 && input[at + 1] === 0x28) {
      scratch.set(input);
      view.setUint32(at + 4, (crc32(scratch, 0, at) ^ FINGERPRINT_XOR) >>> 0);
      try {
        check(scratch.subarray(0, input.length));
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw e;
      }
    }
    return check(input);
  },
};
