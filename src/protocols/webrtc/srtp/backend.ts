/**
 * Which implementation of the SRTP primitives this process uses: libcrypto through bun:ffi when
 * libcrypto.so.3 opens, node:crypto otherwise. SPATE_SRTP_CRYPTO=node forces the fallback.
 */
import { nodeCrypto, type SrtpCrypto } from "./crypto.ts";
import { openLibcrypto } from "./libcrypto.ts";

let chosen: SrtpCrypto | null = null;

export function srtpCrypto(): SrtpCrypto {
  if (!chosen) chosen = (process.env.SPATE_SRTP_CRYPTO === "node" ? null : openLibcrypto()) ?? nodeCrypto;
  return chosen;
}
