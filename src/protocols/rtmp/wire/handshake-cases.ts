/**
 * Handshakes (RTMP 1.0 §5.2) produced by our own client and server with a seeded random source, so
 * tests and fuzz seeds are reproducible: plain, and digest with both schemes.
 */
import { mulberry32 } from "../../../core/fuzz.ts";
import { ClientHandshake, type ClientHandshakeOptions, ServerHandshake } from "./handshake.ts";

export function seededRandom(seed: number): (buf: Uint8Array) => void {
  const rng = mulberry32(seed);
  return (buf) => {
    for (let i = 0; i < buf.length; i++) buf[i] = rng.next() & 0xff;
  };
}

export interface HandshakeCase {
  name: string;
  client: ClientHandshakeOptions;
  /** Whether the server answers with digests. */
  digest: boolean;
}

export const HANDSHAKE_CASES: HandshakeCase[] = [
  { name: "plain", client: { digest: false }, digest: false },
  { name: "digest, scheme 0 (offset from bytes 8..11)", client: { digest: true, scheme: 0 }, digest: true },
  { name: "digest, scheme 1 (offset from bytes 772..775)", client: { digest: true, scheme: 1 }, digest: true },
];

/** Runs a whole handshake in memory; returns every message for inspection and seeding. */
export function runHandshake(c: HandshakeCase, seed = 1) {
  const client = new ClientHandshake({ ...c.client, random: seededRandom(seed), timeMs: 1234 });
  const server = new ServerHandshake({ random: seededRandom(seed + 1), timeMs: 5678 });
  const c0c1 = client.start();
  if (server.feed(c0c1) !== c0c1.length) throw new Error("server did not take C0+C1");
  const s0s1s2 = server.takeOutput()!;
  if (client.feed(s0s1s2) !== s0s1s2.length) throw new Error("client did not take S0+S1+S2");
  const c2 = client.takeOutput()!;
  if (server.feed(c2) !== c2.length) throw new Error("server did not take C2");
  return { client, server, c0c1, s0s1s2, c2 };
}
