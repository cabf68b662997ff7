/**
 * RFC 5764 §4.2: the DTLS exporter ("EXTRACTOR-dtls_srtp") yields
 * client_write_SRTP_master_key | server_write_SRTP_master_key | client_write_SRTP_master_salt |
 * server_write_SRTP_master_salt. Spate is always the DTLS server (a=setup:passive), so it protects
 * with the server's key and salt and unprotects with the client's.
 */
import { assert } from "../../../core/errors.ts";
import { SrtpContext } from "./context.ts";
import type { SrtpCrypto } from "./crypto.ts";
import type { SrtpProfile } from "./profile.ts";

/** DTLS exporter label for DTLS-SRTP (RFC 5764 §4.2). */
export const DTLS_SRTP_EXPORTER_LABEL = "EXTRACTOR-dtls_srtp";

export function keyingMaterialLength(profile: SrtpProfile): number {
  return 2 * (profile.keyBytes + profile.saltBytes);
}

export interface MasterKeys {
  clientKey: Uint8Array;
  serverKey: Uint8Array;
  clientSalt: Uint8Array;
  serverSalt: Uint8Array;
}

export function splitKeyingMaterial(profile: SrtpProfile, material: Uint8Array): MasterKeys {
  const k = profile.keyBytes;
  const s = profile.saltBytes;
  assert(material.length === keyingMaterialLength(profile), `${profile.name} keying material of ${material.length} bytes`);
  return {
    clientKey: material.slice(0, k),
    serverKey: material.slice(k, 2 * k),
    clientSalt: material.slice(2 * k, 2 * k + s),
    serverSalt: material.slice(2 * k + s, 2 * k + 2 * s),
  };
}

export interface SrtpPair {
  /** What we send (RTP to viewers, RTCP to anyone). */
  protect: SrtpContext;
  /** What the peer sends us. */
  unprotect: SrtpContext;
}

/** The two contexts of a session in which we are `role` ("server" for spate). */
export function srtpContexts(profile: SrtpProfile, material: Uint8Array, role: "server" | "client" = "server", crypto?: SrtpCrypto): SrtpPair {
  const m = splitKeyingMaterial(profile, material);
  const server = SrtpContext.fromMasterKey(profile, m.serverKey, m.serverSalt, crypto);
  const client = SrtpContext.fromMasterKey(profile, m.clientKey, m.clientSalt, crypto);
  return role === "server" ? { protect: server, unprotect: client } : { protect: client, unprotect: server };
}
