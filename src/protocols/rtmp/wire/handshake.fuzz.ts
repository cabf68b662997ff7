/** Fuzz target: both sides of the handshake fed mutated C0+C1+C2 and S0+S1+S2. */
import type { FuzzTarget } from "../../../core/fuzz-target.ts";
import { HANDSHAKE_CASES, runHandshake, seededRandom } from "./handshake-cases.ts";
import { ClientHandshake, ServerHandshake } from "./handshake.ts";

const seeds: Uint8Array[] = [];
for (const c of HANDSHAKE_CASES) {
  const { c0c1, s0s1s2, c2 } = runHandshake(c);
  const client = new Uint8Array(c0c1.length + c2.length);
  client.set(c0c1);
  client.set(c2, c0c1.length);
  seeds.push(client, s0s1s2);
}

export const target: FuzzTarget = {
  name: "rtmp/handshake",
  seeds,
  maxInputBytes: 4096,
  run(input: Uint8Array): number {
    let consumed = 0;
    // Server: fed in two pieces, the second starting where the first stopped being consumed.
    const server = new ServerHandshake({ random: seededRandom(1) });
    const cut = input.length >> 1;
    const first = server.feed(input.subarray(0, cut));
    consumed += first + server.feed(input.subarray(first));
    server.takeOutput();
    for (const digest of [true, false]) {
      const client = new ClientHandshake({ digest, random: seededRandom(2) });
      client.start();
      consumed += client.feed(input);
    }
    return consumed;
  },
};
