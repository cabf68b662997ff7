/**
 * RFC 3711 §4.3: session keys from a master key and salt with the AES-CM PRF (§4.3.3), key
 * derivation rate 0 (what DTLS-SRTP uses, RFC 5764 §4.1.2), so r = 0 and only the label varies.
 * RFC 7714 §12: a 96-bit GCM master salt is zero-padded to 112 bits for the same PRF, and the
 * session salt is the first 96 bits of its output. Runs once per session: allocation is fine here.
 */
import { createCipheriv } from "node:crypto";
import { assert } from "../../../core/errors.ts";
import { LABEL_RTCP_ENCRYPTION, LABEL_RTP_ENCRYPTION, type SrtpProfile } from "./profile.ts";

/** §4.3.3: the PRF input is a 112-bit value; the AES-CM IV is that value shifted left 16 bits. */
const PRF_SALT_BYTES = 14;

/** §4.3.1: x = key_id XOR master_salt with key_id = label || r (r = 0): the label lands on byte 7. */
export function deriveSessionKey(masterKey: Uint8Array, masterSalt: Uint8Array, label: number, length: number): Uint8Array {
  assert(masterKey.length === 16 || masterKey.length === 32, `SRTP master key of ${masterKey.length} bytes`);
  assert(masterSalt.length <= PRF_SALT_BYTES, `SRTP master salt of ${masterSalt.length} bytes`);
  const iv = new Uint8Array(16);
  iv.set(masterSalt, 0);
  iv[7] = iv[7]! ^ label;
  const blocks = Math.ceil(length / 16);
  const cipher = createCipheriv(`aes-${masterKey.length * 8}-ctr`, masterKey, iv);
  const stream = cipher.update(new Uint8Array(blocks * 16));
  return new Uint8Array(stream.subarray(0, length));
}

/** The session keys of one kind of packet (RTP or RTCP). */
export interface SrtpSessionKeys {
  key: Uint8Array;
  /** 12 bytes (GCM) or 14 (AES-CM). */
  salt: Uint8Array;
  /** HMAC-SHA1 key; empty for AEAD profiles. */
  authKey: Uint8Array;
}

export interface SrtpKeys {
  rtp: SrtpSessionKeys;
  rtcp: SrtpSessionKeys;
}

/** §4.3.1 / §4.3.2: labels 0, 1, 2 for SRTP and 3, 4, 5 for SRTCP. */
export function deriveSrtpKeys(profile: SrtpProfile, masterKey: Uint8Array, masterSalt: Uint8Array): SrtpKeys {
  assert(masterKey.length === profile.keyBytes && masterSalt.length === profile.saltBytes, `${profile.name} master key ${masterKey.length} / salt ${masterSalt.length} bytes`);
  const derive = (label: number): SrtpSessionKeys => ({
    key: deriveSessionKey(masterKey, masterSalt, label, profile.keyBytes),
    salt: deriveSessionKey(masterKey, masterSalt, label + 2, profile.saltBytes),
    authKey: deriveSessionKey(masterKey, masterSalt, label + 1, profile.authKeyBytes),
  });
  return { rtp: derive(LABEL_RTP_ENCRYPTION), rtcp: derive(LABEL_RTCP_ENCRYPTION) };
}
