/** Fuzz target: any bytes through the relay message decoder, message after message, as a connection reads them. */
import type { FuzzTarget } from "../../../core/fuzz-target.ts";
import { RELAY_CASES, RELAY_STREAM } from "./message.cases.ts";
import { decodeRelayMessage, RelayMessage } from "./message.ts";

const m = new RelayMessage();

export const target: FuzzTarget = {
  name: "relay/message",
  seeds: [...RELAY_CASES.map((c) => c.bytes), RELAY_STREAM],
  maxInputBytes: 4096,
  run(input: Uint8Array): unknown {
    const view = new DataView(input.buffer, input.byteOffset, input.byteLength);
    let at = 0;
    let count = 0;
    for (;;) {
      const n = decodeRelayMessage(input, at, m, view);
      if (n === 0) return count;
      at += n;
      count++;
    }
  },
};
