import { describe, expect, test } from "bun:test";
import { ProtocolError } from "../../../core/errors.ts";
import { fuzz } from "../../../core/fuzz.ts";
import { HANDSHAKE_CASES, runHandshake, seededRandom } from "./handshake-cases.ts";
import { HANDSHAKE_SIZE, SERVER_KEY, SERVER_KEY_TEXT, findDigest } from "./handshake-digest.ts";
import { ClientHandshake, ServerHandshake } from "./handshake.ts";
import { target } from "./handshake.fuzz.ts";

const C0C1 = 1 + HANDSHAKE_SIZE;
const S0S1S2 = 1 + 2 * HANDSHAKE_SIZE;

describe("handshake case table", () => {
  for (const c of HANDSHAKE_CASES) {
    test(c.name, () => {
      const { client, server, c0c1, s0s1s2, c2 } = runHandshake(c);
      expect(c0c1.length).toBe(C0C1);
      expect(s0s1s2.length).toBe(S0S1S2);
      expect(c2.length).toBe(HANDSHAKE_SIZE);
      expect(server.done && client.done).toBe(true);
      expect(server.digest).toBe(c.digest);
      expect(client.serverDigest).toBe(c.digest);
      const s1 = s0s1s2.subarray(1, C0C1);
      expect([...s1.subarray(0, 4)]).toEqual([0, 0, 0x16, 0x2e]); // time 5678
      if (!c.digest) {
        expect([...s1.subarray(4, 8)]).toEqual([0, 0, 0, 0]);
        expect(s0s1s2.subarray(C0C1)).toEqual(c0c1.subarray(1)); // §5.2.4 S2 echoes C1
        expect(c2).toEqual(s1); // and C2 echoes S1
      } else {
        expect(server.scheme).toBe(c.client.scheme!);
        expect(findDigest(s1, SERVER_KEY.subarray(0, SERVER_KEY_TEXT))?.scheme).toBe(c.client.scheme!);
      }
    });
  }

  test("a C1 with a version but no valid digest gets the plain echo", () => {
    const { c0c1 } = runHandshake(HANDSHAKE_CASES[1]!);
    c0c1[1 + 600] ^= 0xff; // outside both digest positions' offset bytes, inside the signed area
    const server = new ServerHandshake({ random: seededRandom(3) });
    expect(server.feed(c0c1)).toBe(C0C1);
    expect(server.digest).toBe(false);
    expect(server.takeOutput()!.subarray(C0C1)).toEqual(c0c1.subarray(1));
  });

  test("the digest client refuses a bad server digest or S2 signature", () => {
    for (const [at, message] of [
      [1 + 100, "S1 has no valid server digest"],
      [C0C1 + 10, "S2 signature mismatch"],
    ] as const) {
      const client = new ClientHandshake({ random: seededRandom(4) });
      const server = new ServerHandshake({ random: seededRandom(5) });
      server.feed(client.start());
      const reply = server.takeOutput()!;
      reply[at] ^= 0x01;
      expect(() => client.feed(reply)).toThrow(message);
    }
  });

  test("version other than 3 is refused at the first byte", () => {
    expect(() => new ServerHandshake().feed(Uint8Array.of(6))).toThrow(ProtocolError);
    expect(() => new ServerHandshake().feed(Uint8Array.of(6))).toThrow("C0 version 6, expected 3");
    const client = new ClientHandshake();
    client.start();
    expect(() => client.feed(Uint8Array.of(0x10))).toThrow("S0 version 16, expected 3");
  });

  test("partial input: byte by byte, and what follows C2 is left to the caller", () => {
    for (const c of HANDSHAKE_CASES) {
      const { c0c1, c2 } = runHandshake(c);
      const stream = new Uint8Array(c0c1.length + c2.length + 5).fill(0x42);
      stream.set(c0c1);
      stream.set(c2, c0c1.length);
      const server = new ServerHandshake({ random: seededRandom(2) });
      let pos = 0;
      let end = 0;
      while (!server.done && end < stream.length) {
        end++;
        const n = server.feed(stream.subarray(pos, end));
        if (n === C0C1) expect(server.takeOutput()?.length).toBe(S0S1S2);
        pos += n;
      }
      expect(pos).toBe(C0C1 + HANDSHAKE_SIZE);
      expect(end).toBe(pos);
    }
  });
});

test("fuzz rtmp/handshake: 2,000 mutations throw nothing but ProtocolError", () => {
  const result = fuzz(target, { iterations: 2000, seed: 0x5a5a });
  expect(result.crashes.map((c) => String(c.error))).toEqual([]);
  expect(result.iterations).toBe(2000);
});
