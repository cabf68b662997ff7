/**
 * Node-to-node authentication, both ways, without the cluster secret ever on the wire. The upstream
 * sends a fresh random nonce in HELLO; the downstream answers in AUTH with its own nonce and
 * HMAC-SHA256(secret, "down" | upstream nonce | path | downstream id); the upstream answers in
 * ACCEPT with HMAC-SHA256(secret, "up" | upstream nonce | downstream nonce | path | upstream id). A
 * MAC is good for one connection, one path, one node and one direction only, so a node without the
 * secret can neither pull a stream nor pose as a holder of one.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { MAC_BYTES, NONCE_BYTES } from "./message.ts";

const utf8 = new TextEncoder();
const DOWN = utf8.encode("spate relay down");
const UP = utf8.encode("spate relay up");

export function relayNonce(): Uint8Array {
  return new Uint8Array(randomBytes(NONCE_BYTES));
}

function mac(secret: string, label: Uint8Array, nonces: Uint8Array[], path: string, nodeId: string): Uint8Array {
  const h = createHmac("sha256", secret);
  h.update(label);
  for (const n of nonces) h.update(n);
  // Length-prefixed fields: ("a/b", "c") and ("a", "b/c") must not give the same MAC.
  const p = utf8.encode(path);
  const id = utf8.encode(nodeId);
  h.update(new Uint8Array([p.length >> 8, p.length & 0xff]));
  h.update(p);
  h.update(new Uint8Array([id.length]));
  h.update(id);
  return new Uint8Array(h.digest());
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === MAC_BYTES && b.length === MAC_BYTES && timingSafeEqual(a, b);
}

/** The downstream's proof in AUTH. */
export function relayMac(secret: string, nonce: Uint8Array, path: string, nodeId: string): Uint8Array {
  return mac(secret, DOWN, [nonce], path, nodeId);
}

/** Constant-time check of a MAC received in AUTH. */
export function verifyRelayMac(secret: string, nonce: Uint8Array, path: string, nodeId: string, received: Uint8Array): boolean {
  return same(relayMac(secret, nonce, path, nodeId), received);
}

/** The upstream's proof in ACCEPT: over both nonces, so it answers this AUTH and no other. */
export function upstreamMac(secret: string, upstreamNonce: Uint8Array, downstreamNonce: Uint8Array, path: string, upstreamId: string): Uint8Array {
  return mac(secret, UP, [upstreamNonce, downstreamNonce], path, upstreamId);
}

export function verifyUpstreamMac(secret: string, upstreamNonce: Uint8Array, downstreamNonce: Uint8Array, path: string, upstreamId: string, received: Uint8Array): boolean {
  return same(upstreamMac(secret, upstreamNonce, downstreamNonce, path, upstreamId), received);
}
