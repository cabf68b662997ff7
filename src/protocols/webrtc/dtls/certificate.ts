/**
 * The DTLS certificate of this server process: one self-signed ECDSA P-256 certificate (what
 * browsers generate for themselves too), made at start and named in every SDP answer by its
 * SHA-256 fingerprint (RFC 8122 §5). Generated with werift's helper so that werift's DTLS server
 * reads it without conversion.
 */
import { createHash } from "node:crypto";
import { CipherContext, HashAlgorithm, NamedCurveAlgorithm, SignatureAlgorithm } from "werift";

export interface DtlsCertificate {
  readonly certPem: string;
  readonly keyPem: string;
  /** The TLS SignatureAndHashAlgorithm werift signs with (ecdsa, sha256). */
  readonly signatureHash: { hash: number; signature: number };
  /** DER bytes of the certificate. */
  readonly der: Uint8Array;
  /** `a=fingerprint:sha-256 <this>`: upper-case hex pairs joined by colons. */
  readonly fingerprintSha256: string;
}

export async function generateDtlsCertificate(): Promise<DtlsCertificate> {
  const { certPem, keyPem, signatureHash } = await CipherContext.createSelfSignedCertificateWithKey(
    { signature: SignatureAlgorithm.ecdsa_3, hash: HashAlgorithm.sha256_4 },
    NamedCurveAlgorithm.secp256r1_23,
  );
  const der = pemToDer(certPem);
  return { certPem, keyPem, signatureHash, der, fingerprintSha256: certificateFingerprint(der, "sha-256")! };
}

let processCertificate: Promise<DtlsCertificate> | null = null;

/** The process's certificate, generated on first use and shared by every session. */
export function serverDtlsCertificate(): Promise<DtlsCertificate> {
  processCertificate ??= generateDtlsCertificate();
  return processCertificate;
}

/** RFC 8122 §5 hash function names we can check, mapped to node:crypto's. */
const FINGERPRINT_HASHES: Record<string, string> = { "sha-1": "sha1", "sha-224": "sha224", "sha-256": "sha256", "sha-384": "sha384", "sha-512": "sha512" };

/** The fingerprint of a DER certificate in SDP form, or null for a hash function we do not know. */
export function certificateFingerprint(der: Uint8Array, algorithm: string): string | null {
  const hash = FINGERPRINT_HASHES[algorithm.toLowerCase()];
  if (!hash) return null;
  const hex = createHash(hash).update(der).digest("hex").toUpperCase();
  return hex.match(/../g)!.join(":");
}

/** An `a=fingerprint` line's value: hash function and hex pairs. */
export interface Fingerprint {
  algorithm: string;
  value: string;
}

/** True when `der` matches any of the fingerprints we can check (RFC 8122 §5: any one suffices). */
export function matchesFingerprint(der: Uint8Array, expected: readonly Fingerprint[]): boolean {
  for (const f of expected) {
    const actual = certificateFingerprint(der, f.algorithm);
    if (actual !== null && actual === f.value.trim().toUpperCase()) return true;
  }
  return false;
}

function pemToDer(pem: string): Uint8Array {
  const b64 = pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, "").replace(/\s+/g, "");
  return new Uint8Array(Buffer.from(b64, "base64"));
}
