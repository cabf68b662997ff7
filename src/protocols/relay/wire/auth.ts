/**
 * Node-to-node authentication: the downstream node proves it knows the cluster secret without
 * sending it. The upstream sends a fresh random nonce in HELLO; the downstream answers with
 * HMAC-SHA256(secret, nonce | path | nodeId) in AUTH, so a MAC is good for one connection, one path
 * and one node only.
 */
import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { MAC_BYTES, NONCE_BYTES } from "./message.ts";

const utf8 = new TextEncoder();

export function relayNonce(): Uint8Array {
  return new Uint8Array(randomBytes(NONCE_BYTES));
}

export function relayMac(secret: string, nonce: Uint8Array, path: string, nodeId: string): Uint8Array {
  const h = createHmac("sha256", secret);
  h.update(nonce);
  // Length-prefixed fields: ("a/b", "c") and ("a", "b/c") must not give the same MAC.
  const p = utf8.encode(path);
  const n = utf8.encode(nodeId);
  h.update(new Uint8Array([p.length >> 8, p.length & 0xff]));
  h.update(p);
  h.update(new Uint8Array([n.length]));
  h.update(n);
  return new Uint8Array(h.digest());
}

/** Constant-time check of a MAC received in AUTH. */
export function verifyRelayMac(secret: string, nonce: Uint8Array, path: string, nodeId: string, mac: Uint8Array): boolean {
  if (mac.length !== MAC_BYTES) return false;
  return timingSafeEqual(relayMac(secret, nonce, path, nodeId), mac);
}
