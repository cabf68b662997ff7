/**
 * The parsed form of an SDP offer (RFC 8866), reduced to what WHIP (RFC 9725) and WHEP need. Values
 * that may sit at session or media level (ICE credentials and options, fingerprints, setup) are
 * resolved onto each media section: a media-level attribute wins, the session-level one is the
 * fallback (RFC 8839 §5.4, RFC 8842 §5.1).
 */

export type Direction = "sendrecv" | "sendonly" | "recvonly" | "inactive";
/** RFC 8842 §5.3 / RFC 4145 §4. */
export type SetupRole = "actpass" | "active" | "passive" | "holdconn";

export interface Fingerprint {
  /** Lower case hash function name as in RFC 8122 §5: "sha-256". */
  algorithm: string;
  /** Upper case hex pairs joined by ':' as written (normalised to upper case). */
  value: string;
}

/** RFC 8839 §5.1 candidate-attribute. */
export interface IceCandidate {
  foundation: string;
  component: number;
  /** Lower case: "udp", "tcp". */
  transport: string;
  priority: number;
  /** IP address or an mDNS name (".local"). */
  address: string;
  port: number;
  type: "host" | "srflx" | "prflx" | "relay";
  relatedAddress?: string;
  relatedPort?: number;
  tcpType?: string;
}

/** One payload type of an m= line with its rtpmap, fmtp and rtcp-fb lines. */
export interface RtpCodec {
  payloadType: number;
  /** Encoding name as written in a=rtpmap ("H264", "opus"); "" when the PT has no rtpmap. */
  name: string;
  clockRate: number;
  /** Audio channels from a=rtpmap (1 when absent, RFC 8866 §6.6). */
  channels: number;
  /** The a=fmtp value as written ("" when absent). */
  fmtp: string;
  /** Its `key=value` pairs, keys lower-cased (RFC 6184 §8.1 names are case-insensitive). */
  params: Record<string, string>;
  /** a=rtcp-fb values for this PT and for `*`, as written: "nack", "nack pli", "ccm fir", "transport-cc". */
  rtcpFb: string[];
}

export interface ExtMap {
  /** 1..14 (one-byte header) or 1..255 with two-byte headers (RFC 8285 §5). */
  id: number;
  direction?: Direction;
  uri: string;
}

export interface SsrcInfo {
  ssrc: number;
  cname?: string;
  /** `msid:<stream> <track>` from a=ssrc (legacy Plan B form Chromium still writes). */
  msid?: string;
}

export interface SsrcGroup {
  /** "FID" (RTX), "SIM" (simulcast), "FEC-FR"... */
  semantics: string;
  ssrcs: number[];
}

export interface MediaSection {
  /** Position among the m= lines. */
  index: number;
  /** "audio", "video", "application", or whatever the m= line says. */
  kind: string;
  port: number;
  /** "UDP/TLS/RTP/SAVPF" for WebRTC media. */
  protocol: string;
  /** The fmt list of the m= line, in order. */
  formats: string[];
  mid: string | null;
  direction: Direction;
  rtcpMux: boolean;
  rtcpRsize: boolean;
  bundleOnly: boolean;
  setup: SetupRole | null;
  fingerprints: Fingerprint[];
  iceUfrag: string | null;
  icePwd: string | null;
  iceOptions: string[];
  candidates: IceCandidate[];
  /** Candidate lines we could not read (skipped: ICE-lite never connects to them). */
  badCandidates: number;
  endOfCandidates: boolean;
  /** RTP payload types in m= line order (RTP sections only). */
  codecs: RtpCodec[];
  extmaps: ExtMap[];
  ssrcs: SsrcInfo[];
  ssrcGroups: SsrcGroup[];
  /** a=msid:<stream> [<track>] (RFC 8830). */
  msid: { stream: string; track: string } | null;
  /** a=rid lines (simulcast layers, RFC 8851), by id. */
  rids: string[];
}

export interface SessionDescription {
  origin: { username: string; sessionId: string; sessionVersion: string; address: string } | null;
  sessionName: string;
  /** Session-level values as written (media sections already carry the resolved ones). */
  iceUfrag: string | null;
  icePwd: string | null;
  iceOptions: string[];
  iceLite: boolean;
  fingerprints: Fingerprint[];
  setup: SetupRole | null;
  /** a=group:BUNDLE lines, each a list of mids (RFC 8843 §7). */
  bundleGroups: string[][];
  extmapAllowMixed: boolean;
  media: MediaSection[];
}
