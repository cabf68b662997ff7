/**
 * MESSAGE-INTEGRITY (RFC 8489 §14.5) with short-term credentials (§9.1): HMAC-SHA1 keyed with the
 * ICE password (RFC 8445 §7.2.2: the receiver's password authenticates a check) over the message
 * up to the attribute, the header's length field counting through MESSAGE-INTEGRITY and no
 * further. STUN arrives a few times a second per peer, never per media packet: node:crypto's
 * HMAC (which allocates) is fine here.
 */
import { createHmac, createSecretKey, type KeyObject } from "node:crypto";
import { MESSAGE_INTEGRITY_SIZE, STUN_HEADER_SIZE, stunError, type StunMessage } from "./stun.ts";

/**
 * A short-term credential key (§9.1.1: the OpaqueString-prepared password; ICE passwords are
 * ice-chars, RFC 8445 §5.3, so that is their UTF-8 bytes). Make it once per session.
 */
export function stunKey(password: string | Uint8Array): KeyObject {
  return createSecretKey(typeof password === "string" ? Buffer.from(password, "utf8") : password);
}

const LENGTH = new Uint8Array(2);

/**
 * HMAC-SHA1 over buf[start, integrityAt) where integrityAt is the MESSAGE-INTEGRITY attribute
 * header, as if the message ended 24 bytes later; the 20 bytes land in out[outOff].
 */
export function computeIntegrity(buf: Uint8Array, start: number, integrityAt: number, key: KeyObject, out: Uint8Array, outOff: number): void {
  const adjusted = integrityAt - start - STUN_HEADER_SIZE + 4 + MESSAGE_INTEGRITY_SIZE;
  LENGTH[0] = adjusted >>> 8;
  LENGTH[1] = adjusted & 0xff;
  const mac = createHmac("sha1", key)
    .update(buf.subarray(start, start + 2))
    .update(LENGTH)
    .update(buf.subarray(start + 4, integrityAt))
    .digest();
  out.set(mac, outOff);
}

const MAC = new Uint8Array(MESSAGE_INTEGRITY_SIZE);

/**
 * True when `m` (decoded from `buf`) carries MESSAGE-INTEGRITY and it matches `key`. Throws when
 * there is none: RFC 8445 §7.3 has a check without it answered 400, one that fails it 401.
 */
export function verifyIntegrity(buf: Uint8Array, m: StunMessage, key: KeyObject): boolean {
  if (m.integrityOffset < 0) throw stunError("no-integrity", "message has no MESSAGE-INTEGRITY");
  computeIntegrity(buf, 0, m.integrityOffset, key, MAC, 0);
  // Compare every byte: no early exit to time.
  const v = m.integrityOffset + 4;
  let diff = 0;
  for (let i = 0; i < MESSAGE_INTEGRITY_SIZE; i++) diff |= MAC[i]! ^ buf[v + i]!;
  return diff === 0;
}
