/**
 * What arrived on the shared WebRTC UDP port, by its first byte (RFC 7983 §7, updating RFC 5764
 * §5.1.2): 0..3 STUN, 20..63 DTLS, 128..191 RTP or RTCP. RTP and RTCP share the port too
 * (rtcp-mux, RFC 5761 §4): the second byte's payload types 192..223 are RTCP.
 */
export const KIND_UNKNOWN = 0;
export const KIND_STUN = 1;
export const KIND_DTLS = 2;
export const KIND_RTP = 3;
export const KIND_RTCP = 4;

/** A STUN message: first byte 0..3 and the magic cookie at bytes 4..8 (RFC 8489 §5). */
export function isStun(buf: Uint8Array): boolean {
  return buf.length >= 20 && buf[0]! < 4 && buf[4] === 0x21 && buf[5] === 0x12 && buf[6] === 0xa4 && buf[7] === 0x42;
}

export function isDtls(buf: Uint8Array): boolean {
  return buf.length > 0 && buf[0]! >= 20 && buf[0]! <= 63;
}

/** RTP or RTCP (version 2 puts the first byte in 128..191). */
export function isRtpOrRtcp(buf: Uint8Array): boolean {
  return buf.length > 1 && buf[0]! >= 128 && buf[0]! <= 191;
}

/** RFC 5761 §4: RTCP packet types 192..223 cannot be RTP payload types once the marker bit is folded in. */
export function isRtcp(buf: Uint8Array): boolean {
  return isRtpOrRtcp(buf) && buf[1]! >= 192 && buf[1]! <= 223;
}

export function classify(buf: Uint8Array): number {
  if (buf.length === 0) return KIND_UNKNOWN;
  const b = buf[0]!;
  if (b < 4) return isStun(buf) ? KIND_STUN : KIND_UNKNOWN;
  if (b >= 20 && b <= 63) return KIND_DTLS;
  if (b >= 128 && b <= 191) return buf.length < 2 ? KIND_UNKNOWN : buf[1]! >= 192 && buf[1]! <= 223 ? KIND_RTCP : KIND_RTP;
  return KIND_UNKNOWN;
}
