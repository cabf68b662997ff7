/**
 * The answer to a WHIP (RFC 9725) or WHEP (draft-ietf-wish-whep) offer, and what it negotiated.
 * spate is an ICE-lite (RFC 8445 §2.5), DTLS-server (a=setup:passive, RFC 8842 §5.3), BUNDLE
 * (RFC 8843) and rtcp-mux endpoint: every accepted section shares one transport, and sections keep
 * the offer's mids and order, refused ones with port 0 (RFC 3264 §6, JSEP RFC 8829 §5.3.1).
 */
import { formatHostCandidate } from "./candidate.ts";
import { selectWhepCodec, selectWhipCodec, type CodecChoice, type RtpAudioCodec, type RtpVideoCodec, type Selection, type SourceTrack, type WhepCodecOptions } from "./codecs.ts";
import type { Fingerprint, IceCandidate, MediaSection, SessionDescription, SetupRole } from "./model.ts";
import { quote, SdpError, type SdpErrorCode } from "./sdp-error.ts";

export const URI_MID = "urn:ietf:params:rtp-hdrext:sdes:mid";
export const URI_ABS_SEND_TIME = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time";
export const URI_TWCC = "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01";
const MEDIA_PROTOCOL = "UDP/TLS/RTP/SAVPF";
/** RFC 8839 §5.4: ice-ufrag 4..256 and ice-pwd 22..256 ice-chars. */
const ICE_UFRAG = /^[A-Za-z0-9+/]{4,256}$/;
const ICE_PWD = /^[A-Za-z0-9+/]{22,256}$/;
/** Hash functions the DTLS side can check, best first (RFC 8842 §5.1: pick one we support). */
const FINGERPRINT_PREFERENCE = ["sha-256", "sha-384", "sha-512", "sha-1"];

export interface RtcpFeedback {
  /** `nack`: generic NACK (RFC 4585 §6.2.1). */
  nack: boolean;
  /** `nack pli` (RFC 4585 §6.3.1). */
  pli: boolean;
  /** `ccm fir` (RFC 5104 §4.3.1). */
  fir: boolean;
  /** `goog-remb` (draft-alvestrand-rmcat-remb), with abs-send-time. */
  remb: boolean;
  /** `transport-cc` (draft-holmer-rmcat-transport-wide-cc-extensions), with its header extension. */
  twcc: boolean;
}

/** One-byte header extension ids (RFC 8285 §4.2), the offer's own. */
export interface HeaderExtensionIds {
  mid?: number;
  absSendTime?: number;
  twcc?: number;
}

export interface NegotiatedMedia {
  mid: string;
  /** Position of the m= section in offer and answer. */
  index: number;
  kind: "audio" | "video";
  payloadType: number;
  codec: RtpVideoCodec | RtpAudioCodec;
  clockRate: number;
  channels: number;
  /** Our a=fmtp value ("" when none was written). */
  fmtp: string;
  rtcpFb: RtcpFeedback;
  extensions: HeaderExtensionIds;
  rtcpRsize: boolean;
  /** The peer's media SSRCs from a=ssrc (RTX SSRCs of FID groups apart); empty if it lists none. */
  remoteSsrcs: number[];
  remoteRtxSsrcs: number[];
  remoteCname?: string;
  /** a=rid of a simulcast offer (we answer without simulcast: the peer then sends one layer). */
  rids: string[];
  /** WHEP: the SSRC we send and the source it carries. */
  localSsrc?: number;
  source?: number;
}

export interface RejectedMedia {
  mid: string | null;
  index: number;
  kind: string;
  code: SdpErrorCode;
  reason: string;
}

export interface Negotiation {
  /** The answer, CRLF line endings. */
  sdp: string;
  /** Accepted sections in offer order (the first is the BUNDLE tag carrying the transport). */
  media: NegotiatedMedia[];
  rejected: RejectedMedia[];
  remoteIce: { ufrag: string; pwd: string; lite: boolean; trickle: boolean; candidates: IceCandidate[] };
  remoteFingerprint: Fingerprint;
  remoteSetup: SetupRole | null;
}

/** Our side of the transport: the same for every section (one BUNDLE transport). */
export interface LocalTransport {
  iceUfrag: string;
  icePwd: string;
  /** Of our DTLS certificate (sha-256). */
  fingerprint: Fingerprint;
  /** Host candidates on the shared UDP port; none means the peer learns us from its checks only (not for ICE-lite). */
  candidates?: { address: string; port: number }[];
  /** o= line fields (JSEP §5.2.1: a random 62-bit id; the version grows per new answer). */
  sessionId?: string;
  sessionVersion?: number;
  /** Feedback to leave out even if offered (all on by default). */
  feedback?: Partial<RtcpFeedback>;
}

export interface WhepSource extends SourceTrack {
  /** The SSRC we send this track with. */
  ssrc: number;
  /** a=msid track id (default "<streamId>-<kind>"). */
  trackId?: string;
}

export interface WhepOptions extends LocalTransport, WhepCodecOptions {
  /** The stream's tracks we can offer the viewer (at most one per kind is used). */
  sources: WhepSource[];
  /** RTCP CNAME (RFC 7022) and a=msid stream id of what we send. */
  cname: string;
  streamId: string;
}

/** Answer a WHIP publisher: every section recvonly on our side. */
export function answerWhip(offer: SessionDescription, local: LocalTransport): Negotiation {
  return negotiate(offer, local, "whip", (m) => selectWhipCodec(m), null);
}

/** Answer a WHEP viewer: sendonly sections carrying the stream's tracks, one per kind. */
export function answerWhep(offer: SessionDescription, opts: WhepOptions): Negotiation {
  const used = new Set<number>();
  const pick = (m: MediaSection): Selection & { source?: number } => {
    const i = opts.sources.findIndex((s, i) => !used.has(i) && (s.codec === "opus" || s.codec === "aac" || s.codec === "mp3" ? "audio" : "video") === m.kind);
    if (i < 0) return { reason: `the stream has no ${used.size && opts.sources.some((s) => kindOf(s) === m.kind) ? "further " : ""}${m.kind} track` };
    const sel = selectWhepCodec(m, opts.sources[i]!, opts);
    if ("codec" in sel) used.add(i);
    return { ...sel, source: i };
  };
  return negotiate(offer, opts, "whep", pick, opts);
}

const kindOf = (s: SourceTrack) => (s.codec === "opus" || s.codec === "aac" || s.codec === "mp3" ? "audio" : "video");

type Accepted = { m: MediaSection; choice: CodecChoice; source?: number };

function negotiate(
  offer: SessionDescription,
  local: LocalTransport,
  role: "whip" | "whep",
  select: (m: MediaSection) => Selection & { source?: number },
  whep: WhepOptions | null,
): Negotiation {
  const av = offer.media.filter((m) => m.kind === "audio" || m.kind === "video");
  if (!av.length) throw new SdpError("no-media", "no video or audio section in the offer");
  const mids = new Set<string>();
  for (const m of offer.media) {
    // JSEP §5.2.1 gives every section a mid; BUNDLE (RFC 8843 §7.2.1) needs them unique.
    if (m.mid === null) throw new SdpError("bad-mid", `m=${m.kind} (section ${m.index}) has no a=mid`);
    if (mids.has(m.mid)) throw new SdpError("bad-mid", `two sections with a=mid:${m.mid}`);
    mids.add(m.mid);
  }
  const bundle = offer.bundleGroups[0] ?? null;
  const accepted: Accepted[] = [];
  const rejected: RejectedMedia[] = [];
  const reject = (m: MediaSection, code: SdpErrorCode, reason: string) => rejected.push({ mid: m.mid, index: m.index, kind: m.kind, code, reason });
  for (const m of offer.media) {
    if (m.kind !== "audio" && m.kind !== "video") reject(m, "bad-protocol", `m=${m.kind} is not carried (audio and video only)`);
    else if (m.port === 0 && !m.bundleOnly) reject(m, "no-media", `m=${m.kind} is disabled in the offer (port 0)`);
    else if (m.protocol !== MEDIA_PROTOCOL) reject(m, "bad-protocol", `m=${m.kind} uses ${quote(m.protocol)}, not ${MEDIA_PROTOCOL}`);
    else if (bundle && !bundle.includes(m.mid!)) reject(m, "not-bundle", `m=${m.kind} (mid ${m.mid}) is not in the BUNDLE group`);
    else if (!m.rtcpMux) reject(m, "no-rtcp-mux", `m=${m.kind} has no a=rtcp-mux (RTCP shares the RTP port here, RFC 5761)`);
    else if (role === "whip" && (m.direction === "recvonly" || m.direction === "inactive")) {
      reject(m, "bad-direction", `m=${m.kind} is ${m.direction}: a WHIP client sends (sendonly)`);
    } else if (role === "whep" && (m.direction === "sendonly" || m.direction === "inactive")) {
      reject(m, "bad-direction", `m=${m.kind} is ${m.direction}: a WHEP viewer receives (recvonly)`);
    } else {
      const sel = select(m);
      if ("reason" in sel) reject(m, "no-codec", sel.reason);
      else accepted.push({ m, choice: sel, source: sel.source });
    }
  }
  if (!accepted.length) {
    const first = rejected.find((r) => r.kind === "audio" || r.kind === "video")!;
    throw new SdpError(first.code, rejected.filter((r) => r.kind === "audio" || r.kind === "video").map((r) => r.reason).join("; "));
  }
  if (!bundle && accepted.length > 1) {
    throw new SdpError("not-bundle", `not BUNDLE: ${accepted.length} media sections and no a=group:BUNDLE; spate carries them all on one transport (RFC 8843)`);
  }

  // RFC 8843 §7.3.1: the transport is the BUNDLE tag's, our first accepted section.
  const tag = accepted[0]!.m;
  const fingerprint = FINGERPRINT_PREFERENCE.map((a) => tag.fingerprints.find((f) => f.algorithm === a)).find((f) => f);
  if (!fingerprint) {
    const have = tag.fingerprints.map((f) => f.algorithm).join(", ");
    throw new SdpError("no-fingerprint", have ? `no DTLS fingerprint with a hash we check (offered ${have})` : "no DTLS fingerprint (a=fingerprint, RFC 8842 §5.1)");
  }
  if (!tag.iceUfrag || !ICE_UFRAG.test(tag.iceUfrag)) throw new SdpError("no-ice-credentials", tag.iceUfrag ? `a=ice-ufrag:${quote(tag.iceUfrag)} is not 4..256 ice-chars` : "no a=ice-ufrag");
  if (!tag.icePwd || !ICE_PWD.test(tag.icePwd)) throw new SdpError("no-ice-credentials", tag.icePwd ? "a=ice-pwd is not 22..256 ice-chars" : "no a=ice-pwd");
  // RFC 8842 §5.3: we answer passive, so the offerer must be able to be active.
  if (tag.setup === "passive" || tag.setup === "holdconn") {
    throw new SdpError("bad-setup", `a=setup:${tag.setup} in the offer; spate is always the DTLS server and answers a=setup:passive`);
  }

  const feedbackOn: RtcpFeedback = { nack: true, pli: true, fir: true, remb: true, twcc: true, ...local.feedback };
  const media = accepted.map((a) => describe(a, role, feedbackOn, whep));
  const sdp = writeAnswer(offer, local, role, accepted, media, whep);
  return {
    sdp,
    media,
    rejected,
    remoteIce: {
      ufrag: tag.iceUfrag,
      pwd: tag.icePwd,
      lite: offer.iceLite,
      trickle: tag.iceOptions.includes("trickle"),
      candidates: accepted.flatMap((a) => a.m.candidates),
    },
    remoteFingerprint: fingerprint,
    remoteSetup: tag.setup,
  };
}

function describe(a: Accepted, role: "whip" | "whep", on: RtcpFeedback, whep: WhepOptions | null): NegotiatedMedia {
  const { m, choice } = a;
  const fb = choice.offered.rtcpFb;
  const rtcpFb: RtcpFeedback = {
    nack: on.nack && fb.includes("nack"),
    pli: on.pli && fb.includes("nack pli"),
    fir: on.fir && fb.includes("ccm fir"),
    remb: on.remb && fb.includes("goog-remb"),
    twcc: on.twcc && fb.includes("transport-cc"),
  };
  // The offerer's extmap direction is its own: skip what it will not send (WHIP) or receive (WHEP).
  const unusable = role === "whip" ? "recvonly" : "sendonly";
  const ext = (uri: string, wanted: boolean) => {
    const e = wanted ? m.extmaps.find((e) => e.uri === uri && e.direction !== "inactive" && e.direction !== unusable) : undefined;
    return e && e.id <= 14 ? e.id : undefined; // one-byte headers only: we do not answer extmap-allow-mixed
  };
  const extensions: HeaderExtensionIds = {};
  const mid = ext(URI_MID, true);
  if (mid !== undefined) extensions.mid = mid;
  const abs = ext(URI_ABS_SEND_TIME, on.remb);
  if (abs !== undefined) extensions.absSendTime = abs;
  const twcc = ext(URI_TWCC, on.twcc);
  if (twcc !== undefined) extensions.twcc = twcc;

  const rtx = new Set(m.ssrcGroups.filter((g) => g.semantics === "FID").flatMap((g) => g.ssrcs.slice(1)));
  const out: NegotiatedMedia = {
    mid: m.mid!,
    index: m.index,
    kind: m.kind as "audio" | "video",
    payloadType: choice.offered.payloadType,
    codec: choice.codec,
    clockRate: choice.offered.clockRate,
    channels: choice.offered.channels,
    fmtp: choice.fmtp,
    rtcpFb,
    extensions,
    rtcpRsize: m.rtcpRsize,
    remoteSsrcs: m.ssrcs.map((s) => s.ssrc).filter((s) => !rtx.has(s)),
    remoteRtxSsrcs: m.ssrcs.map((s) => s.ssrc).filter((s) => rtx.has(s)),
    rids: m.rids,
  };
  const cname = m.ssrcs.find((s) => s.cname)?.cname;
  if (cname !== undefined) out.remoteCname = cname;
  if (whep && a.source !== undefined) {
    out.localSsrc = whep.sources[a.source]!.ssrc >>> 0;
    out.source = a.source;
  }
  return out;
}

/** RFC 8830 §2: msid-id and msid-appdata are 1*64token-char; a stream path like "live/cam1" is not. */
export function msidToken(text: string): string {
  const t = text.replace(/[^!#$%&'*+\-.0-9A-Z^_`a-z{|}~]/g, "-").slice(0, 64);
  return t.length ? t : "-";
}

function randomSessionId(): string {
  const w = crypto.getRandomValues(new Uint32Array(2));
  return ((BigInt(w[0]! & 0x3fffffff) << 32n) | BigInt(w[1]!)).toString(); // JSEP §5.2.1: 62 bits
}

function writeAnswer(
  offer: SessionDescription,
  local: LocalTransport,
  role: "whip" | "whep",
  accepted: Accepted[],
  media: NegotiatedMedia[],
  whep: WhepOptions | null,
): string {
  const out: string[] = [];
  out.push("v=0", `o=- ${local.sessionId ?? randomSessionId()} ${local.sessionVersion ?? 2} IN IP4 0.0.0.0`, "s=-", "t=0 0");
  // RFC 8843 §7.3: the answer's group holds the accepted mids, tag first.
  if (offer.bundleGroups.length) out.push(`a=group:BUNDLE ${media.map((n) => n.mid).join(" ")}`);
  out.push("a=ice-lite");
  const streamId = whep ? msidToken(whep.streamId) : "";
  out.push(whep ? `a=msid-semantic: WMS ${streamId}` : "a=msid-semantic: WMS");

  const cands = local.candidates ?? [];
  const first = cands[0];
  const port = first ? first.port : 9; // RFC 8829 §5.3.1: 9 (discard) when no candidate is known
  const conn = first ? `c=IN ${first.address.includes(":") ? "IP6" : "IP4"} ${first.address}` : "c=IN IP4 0.0.0.0";
  const byIndex = new Map(accepted.map((a, i) => [a.m.index, i]));
  for (const m of offer.media) {
    const i = byIndex.get(m.index);
    if (i === undefined) {
      // RFC 3264 §6: refused, port 0, the offered protocol and a format from the offer.
      out.push(`m=${m.kind} 0 ${m.protocol} ${m.formats[0] ?? "0"}`, "c=IN IP4 0.0.0.0");
      if (m.mid !== null) out.push(`a=mid:${m.mid}`);
      continue;
    }
    const n = media[i]!;
    const c = accepted[i]!.choice.offered;
    out.push(`m=${m.kind} ${port} ${MEDIA_PROTOCOL} ${n.payloadType}`, conn);
    out.push(`a=ice-ufrag:${local.iceUfrag}`, `a=ice-pwd:${local.icePwd}`);
    out.push(`a=fingerprint:${local.fingerprint.algorithm} ${local.fingerprint.value}`, "a=setup:passive");
    out.push(`a=mid:${n.mid}`);
    const e = n.extensions;
    if (e.mid !== undefined) out.push(`a=extmap:${e.mid} ${URI_MID}`);
    if (e.absSendTime !== undefined) out.push(`a=extmap:${e.absSendTime} ${URI_ABS_SEND_TIME}`);
    if (e.twcc !== undefined) out.push(`a=extmap:${e.twcc} ${URI_TWCC}`);
    out.push(role === "whip" ? "a=recvonly" : "a=sendonly");
    const src = whep && n.source !== undefined ? whep.sources[n.source]! : null;
    const trackId = src ? msidToken(src.trackId ?? `${streamId}-${n.kind}`) : "";
    if (src) out.push(`a=msid:${streamId} ${trackId}`);
    out.push("a=rtcp-mux");
    if (n.rtcpRsize) out.push("a=rtcp-rsize");
    out.push(`a=rtpmap:${n.payloadType} ${c.name}/${c.clockRate}${c.channels > 1 ? `/${c.channels}` : ""}`);
    const fb = n.rtcpFb;
    if (fb.remb) out.push(`a=rtcp-fb:${n.payloadType} goog-remb`);
    if (fb.twcc) out.push(`a=rtcp-fb:${n.payloadType} transport-cc`);
    if (fb.fir) out.push(`a=rtcp-fb:${n.payloadType} ccm fir`);
    if (fb.nack) out.push(`a=rtcp-fb:${n.payloadType} nack`);
    if (fb.pli) out.push(`a=rtcp-fb:${n.payloadType} nack pli`);
    if (n.fmtp) out.push(`a=fmtp:${n.payloadType} ${n.fmtp}`);
    if (src) out.push(`a=ssrc:${n.localSsrc} cname:${whep!.cname}`, `a=ssrc:${n.localSsrc} msid:${streamId} ${trackId}`);
    // RFC 8843 §7.3.1: candidates go with the BUNDLE tag only; we have them all at once (no trickle).
    if (i === 0) {
      cands.forEach((cand, k) => out.push(`a=${formatHostCandidate(k + 1, cand.address, cand.port)}`));
      out.push("a=end-of-candidates");
    }
  }
  return out.join("\r\n") + "\r\n";
}
