/**
 * The two SRTP protection profiles spate negotiates over DTLS-SRTP (RFC 5764 §4.1.2), preferred
 * first: AEAD_AES_128_GCM (RFC 7714 §14.2) and AES_CM_128_HMAC_SHA1_80 (RFC 5764 §4.1.2). The ids
 * are the IANA "DTLS-SRTP Protection Profiles" values, which werift uses too.
 */

export const SRTP_AES128_CM_HMAC_SHA1_80 = 0x0001;
export const SRTP_AEAD_AES_128_GCM = 0x0007;
export type SrtpProfileId = typeof SRTP_AES128_CM_HMAC_SHA1_80 | typeof SRTP_AEAD_AES_128_GCM;

/** What we offer in use_srtp, in order of preference (we are the DTLS server: our order wins). */
export const SRTP_PROFILES_PREFERRED: readonly SrtpProfileId[] = [SRTP_AEAD_AES_128_GCM, SRTP_AES128_CM_HMAC_SHA1_80];

export interface SrtpProfile {
  readonly id: SrtpProfileId;
  readonly name: string;
  readonly aead: boolean;
  /** Master and session encryption key. */
  readonly keyBytes: number;
  /** Master salt; RFC 7714 §12: 96 bits for GCM, RFC 3711 §8.2: 112 bits for AES-CM. */
  readonly saltBytes: number;
  /** Session authentication key (HMAC-SHA1, RFC 3711 §4.2.1); 0 for AEAD. */
  readonly authKeyBytes: number;
  /** Tag appended to SRTP and SRTCP packets. */
  readonly tagBytes: number;
}

export const AES_CM_128_HMAC_SHA1_80: SrtpProfile = {
  id: SRTP_AES128_CM_HMAC_SHA1_80,
  name: "SRTP_AES128_CM_HMAC_SHA1_80",
  aead: false,
  keyBytes: 16,
  saltBytes: 14,
  authKeyBytes: 20,
  tagBytes: 10,
};

export const AEAD_AES_128_GCM: SrtpProfile = {
  id: SRTP_AEAD_AES_128_GCM,
  name: "SRTP_AEAD_AES_128_GCM",
  aead: true,
  keyBytes: 16,
  saltBytes: 12,
  authKeyBytes: 0,
  tagBytes: 16,
};

export function srtpProfile(id: number): SrtpProfile | null {
  return id === SRTP_AEAD_AES_128_GCM ? AEAD_AES_128_GCM : id === SRTP_AES128_CM_HMAC_SHA1_80 ? AES_CM_128_HMAC_SHA1_80 : null;
}

/** RFC 3711 §4.3.1 / §4.3.2: key derivation labels. */
export const LABEL_RTP_ENCRYPTION = 0x00;
export const LABEL_RTP_AUTH = 0x01;
export const LABEL_RTP_SALT = 0x02;
export const LABEL_RTCP_ENCRYPTION = 0x03;
export const LABEL_RTCP_AUTH = 0x04;
export const LABEL_RTCP_SALT = 0x05;
