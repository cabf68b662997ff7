/**
 * Why an offer is refused. The WHIP/WHEP endpoints answer every SdpError with 400 Bad Request (or
 * 413 for `too-large`) and its message as the reason; nothing else escapes the SDP code for any
 * input.
 */
import { ProtocolError } from "../../../core/errors.ts";

export type SdpErrorCode =
  /** Over MAX_SDP_BYTES, MAX_LINES, MAX_MEDIA_SECTIONS or a per-section cap. */
  | "too-large"
  /** Not SDP: a line that is not `<type>=<value>`, no `v=0`, a malformed m= line or number. */
  | "syntax"
  /** No audio or video m= section we could accept. */
  | "no-media"
  /** No usable a=fingerprint (RFC 8842 §5). */
  | "no-fingerprint"
  /** No or malformed a=ice-ufrag / a=ice-pwd (RFC 8839 §5.4). */
  | "no-ice-credentials"
  /** More than one section and no BUNDLE group holding them (RFC 8843). */
  | "not-bundle"
  /** a=setup the answer cannot complement (RFC 8842 §5.3). */
  | "bad-setup"
  /** Two sections with one mid, or a section with none (RFC 8843 §7.2.1, JSEP §5.2.1). */
  | "bad-mid"
  /** A section in the wrong direction (a WHIP client must send, a WHEP viewer receive). */
  | "bad-direction"
  /** A section without a=rtcp-mux (RFC 8843 §9.3 / RFC 5761). */
  | "no-rtcp-mux"
  /** A section not UDP/TLS/RTP/SAVPF (e.g. a data channel, plain RTP/AVP). */
  | "bad-protocol"
  /** No payload type we can carry (WHIP) or none matching the stream's codec (WHEP). */
  | "no-codec";

export class SdpError extends ProtocolError {
  readonly status: 400 | 413;
  constructor(
    code: SdpErrorCode,
    message: string,
  ) {
    super("webrtc/sdp", code, message);
    this.name = "SdpError";
    this.status = code === "too-large" ? 413 : 400;
  }
}

/** How much of an offending value an error message quotes. */
const MAX_QUOTED_CHARS = 40;

export const quote = (value: string): string =>
  JSON.stringify(value.length > MAX_QUOTED_CHARS ? `${value.slice(0, MAX_QUOTED_CHARS)}...` : value);
