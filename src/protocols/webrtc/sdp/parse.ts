/**
 * SDP text (RFC 8866) → SessionDescription. Reads every line but keeps only what WHIP and WHEP
 * use; unknown lines and attributes are skipped (RFC 8866 §5.13: unknown attributes are ignored).
 * Malformed lines we depend on throw SdpError("syntax"); every collection is capped before it grows.
 */
import { parseCandidate } from "./candidate.ts";
import type { Direction, ExtMap, Fingerprint, MediaSection, RtpCodec, SessionDescription, SetupRole, SsrcInfo } from "./model.ts";
import { quote, SdpError } from "./sdp-error.ts";

/** Chromium's offers are 5-8 KB; simulcast with many codecs stays far under this. */
export const MAX_SDP_BYTES = 64 * 1024;
export const MAX_LINES = 2048;
export const MAX_MEDIA_SECTIONS = 16;
export const MAX_LINE_CHARS = 4096;
/** Per section. */
export const MAX_CANDIDATES = 64;
export const MAX_SSRCS = 64;
export const MAX_EXTMAPS = 64;
export const MAX_FINGERPRINTS = 8;
export const MAX_BUNDLE_GROUPS = 8;

const DIRECTIONS = new Set<string>(["sendrecv", "sendonly", "recvonly", "inactive"]);
const SETUP_ROLES = new Set<string>(["actpass", "active", "passive", "holdconn"]);
/** RFC 8122 §5: hash-func token; value = 2UHEX *(":" 2UHEX) (upper case, we accept either). */
const HASH_FUNC = /^[a-z0-9-]{1,16}$/i;
const FINGERPRINT_VALUE = /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){15,63}$/;
const TOKEN = /^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]{1,256}$/;

function uint(text: string, max: number, what: string, lineNo: number): number {
  if (!/^\d{1,10}$/.test(text) || Number(text) > max) {
    throw new SdpError("syntax", `line ${lineNo}: ${what} ${quote(text)} is not an integer 0..${max}`);
  }
  return Number(text);
}

function newSection(index: number, kind: string, port: number, protocol: string, formats: string[]): MediaSection {
  return {
    index, kind, port, protocol, formats,
    mid: null, direction: "sendrecv", rtcpMux: false, rtcpRsize: false, bundleOnly: false, setup: null,
    fingerprints: [], iceUfrag: null, icePwd: null, iceOptions: [], candidates: [], badCandidates: 0, endOfCandidates: false,
    codecs: [], extmaps: [], ssrcs: [], ssrcGroups: [], msid: null, rids: [],
  };
}

/** Parses an SDP offer or answer. Throws SdpError on malformed input; never anything else. */
export function parseSdp(text: string): SessionDescription {
  if (text.length > MAX_SDP_BYTES) throw new SdpError("too-large", `SDP of ${text.length} bytes > max ${MAX_SDP_BYTES}`);
  const lines = text.split("\n");
  if (lines.length > MAX_LINES + 1) throw new SdpError("too-large", `SDP of ${lines.length} lines > max ${MAX_LINES}`);

  const session: SessionDescription = {
    origin: null, sessionName: "", iceUfrag: null, icePwd: null, iceOptions: [], iceLite: false,
    fingerprints: [], setup: null, bundleGroups: [], extmapAllowMixed: false, media: [],
  };
  let sessionDirection: Direction = "sendrecv";
  let media: MediaSection | null = null;
  /** rtpmap/fmtp/rtcp-fb of the current section, by PT, joined to its m= list at the end. */
  let pending = new Map<number, RtpCodec>();
  let sawVersion = false;

  const finishSection = () => {
    if (!media) return;
    const wildcardFb = pending.get(-1)?.rtcpFb ?? [];
    if (media.protocol.includes("RTP/")) {
      for (const fmt of media.formats) {
        const pt = Number(fmt);
        const c = pending.get(pt) ?? codec(pt);
        if (wildcardFb.length) c.rtcpFb.push(...wildcardFb);
        media.codecs.push(c);
      }
    }
    pending = new Map();
  };
  const codec = (pt: number): RtpCodec => ({ payloadType: pt, name: "", clockRate: 0, channels: 1, fmtp: "", params: {}, rtcpFb: [] });
  const codecFor = (pt: number): RtpCodec => {
    let c = pending.get(pt);
    if (!c) pending.set(pt, (c = codec(pt)));
    return c;
  };

  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    let line = lines[i]!;
    if (line.endsWith("\r")) line = line.slice(0, -1);
    if (line.length === 0) continue; // tolerated: a trailing newline, blank lines from hand-edited offers
    if (line.length > MAX_LINE_CHARS) throw new SdpError("too-large", `line ${lineNo} of ${line.length} characters > max ${MAX_LINE_CHARS}`);
    const type = line.charCodeAt(0);
    if (line.charCodeAt(1) !== 0x3d /* = */ || type < 0x61 || type > 0x7a) {
      throw new SdpError("syntax", `line ${lineNo}: ${quote(line)} is not <type>=<value>`);
    }
    const value = line.slice(2);
    if (!sawVersion) {
      // RFC 8866 §5: the description starts with v=0.
      if (line !== "v=0") throw new SdpError("syntax", `line ${lineNo}: SDP must start with v=0, got ${quote(line)}`);
      sawVersion = true;
      continue;
    }
    switch (line[0]) {
      case "o": {
        const f = value.split(" ");
        if (f.length !== 6) throw new SdpError("syntax", `line ${lineNo}: o= needs 6 fields, got ${f.length}`);
        session.origin = { username: f[0]!, sessionId: f[1]!, sessionVersion: f[2]!, address: f[5]! };
        break;
      }
      case "s":
        if (!media) session.sessionName = value;
        break;
      case "m": {
        finishSection();
        if (session.media.length >= MAX_MEDIA_SECTIONS) throw new SdpError("too-large", `more than ${MAX_MEDIA_SECTIONS} m= sections`);
        // RFC 8866 §5.14: m=<media> <port>[/<number of ports>] <proto> <fmt> ...
        const f = value.split(" ");
        if (f.length < 4 || !TOKEN.test(f[0]!)) throw new SdpError("syntax", `line ${lineNo}: m= line ${quote(value)} needs <media> <port> <proto> <fmt>...`);
        const port = uint(f[1]!.split("/")[0]!, 65535, "m= port", lineNo);
        const formats = f.slice(3);
        if (f[2]!.includes("RTP/")) for (const fmt of formats) uint(fmt, 127, "payload type", lineNo);
        media = newSection(session.media.length, f[0]!, port, f[2]!, formats);
        media.direction = sessionDirection;
        session.media.push(media);
        break;
      }
      case "a":
        attribute(value, lineNo);
        break;
      default:
        break; // c=, t=, b=, i=, u=, e=, p=, r=, z=, k=: nothing we need
    }
  }
  if (!sawVersion) throw new SdpError("syntax", "empty SDP");
  finishSection();

  for (const m of session.media) {
    m.iceUfrag ??= session.iceUfrag;
    m.icePwd ??= session.icePwd;
    if (m.iceOptions.length === 0) m.iceOptions = session.iceOptions;
    if (m.fingerprints.length === 0) m.fingerprints = session.fingerprints;
    m.setup ??= session.setup;
  }
  return session;

  function attribute(attr: string, lineNo: number): void {
    const colon = attr.indexOf(":");
    const name = colon < 0 ? attr : attr.slice(0, colon);
    const value = colon < 0 ? "" : attr.slice(colon + 1);
    const m = media;
    switch (name) {
      // Session or media level.
      case "ice-ufrag":
        if (m) m.iceUfrag = value;
        else session.iceUfrag = value;
        return;
      case "ice-pwd":
        if (m) m.icePwd = value;
        else session.icePwd = value;
        return;
      case "ice-options": {
        const opts = value.split(/[ ,]/).filter((o) => o.length > 0).slice(0, 16); // libdatachannel joins with ","
        if (m) m.iceOptions = opts;
        else session.iceOptions = opts;
        return;
      }
      case "fingerprint": {
        const fp = fingerprint(value, lineNo);
        const list = m ? m.fingerprints : session.fingerprints;
        if (list.length >= MAX_FINGERPRINTS) throw new SdpError("too-large", `more than ${MAX_FINGERPRINTS} a=fingerprint lines`);
        list.push(fp);
        return;
      }
      case "setup":
        if (!SETUP_ROLES.has(value)) throw new SdpError("bad-setup", `line ${lineNo}: a=setup:${quote(value)} is not actpass, active, passive or holdconn`);
        if (m) m.setup = value as SetupRole;
        else session.setup = value as SetupRole;
        return;
      case "sendrecv":
      case "sendonly":
      case "recvonly":
      case "inactive":
        if (m) m.direction = name;
        else sessionDirection = name;
        return;
    }
    if (!m) {
      if (name === "group") {
        const [semantics, ...mids] = value.split(" ");
        if (semantics === "BUNDLE") {
          if (session.bundleGroups.length >= MAX_BUNDLE_GROUPS) throw new SdpError("too-large", `more than ${MAX_BUNDLE_GROUPS} BUNDLE groups`);
          session.bundleGroups.push(mids.filter((id) => id.length > 0).slice(0, MAX_MEDIA_SECTIONS * 2));
        }
      } else if (name === "ice-lite") session.iceLite = true;
      else if (name === "extmap-allow-mixed") session.extmapAllowMixed = true;
      return;
    }
    switch (name) {
      case "mid":
        if (!TOKEN.test(value)) throw new SdpError("bad-mid", `line ${lineNo}: a=mid:${quote(value)} is not a token (RFC 8843 §5)`);
        m.mid = value;
        return;
      case "rtcp-mux":
        m.rtcpMux = true;
        return;
      case "rtcp-rsize":
        m.rtcpRsize = true;
        return;
      case "bundle-only":
        m.bundleOnly = true;
        return;
      case "end-of-candidates":
        m.endOfCandidates = true;
        return;
      case "candidate": {
        if (m.candidates.length + m.badCandidates >= MAX_CANDIDATES) throw new SdpError("too-large", `m=${m.kind} has more than ${MAX_CANDIDATES} candidates`);
        const c = parseCandidate(value);
        if (c) m.candidates.push(c);
        else m.badCandidates++;
        return;
      }
      case "rtpmap": {
        // RFC 8866 §6.6: a=rtpmap:<payload type> <encoding name>/<clock rate>[/<encoding parameters>]
        const sp = value.indexOf(" ");
        const pt = uint(sp < 0 ? value : value.slice(0, sp), 127, "rtpmap payload type", lineNo);
        const enc = sp < 0 ? [] : value.slice(sp + 1).split("/");
        if (enc.length < 2 || enc.length > 3 || !TOKEN.test(enc[0]!)) throw new SdpError("syntax", `line ${lineNo}: a=rtpmap:${quote(value)} is not <pt> <name>/<rate>[/<channels>]`);
        const c = codecFor(pt);
        c.name = enc[0]!;
        c.clockRate = uint(enc[1]!, 0xffffffff, "clock rate", lineNo);
        c.channels = enc.length === 3 ? uint(enc[2]!, 255, "channels", lineNo) : 1;
        return;
      }
      case "fmtp": {
        const sp = value.indexOf(" ");
        if (sp < 0) throw new SdpError("syntax", `line ${lineNo}: a=fmtp:${quote(value)} has no parameters`);
        const c = codecFor(uint(value.slice(0, sp), 127, "fmtp payload type", lineNo));
        c.fmtp = value.slice(sp + 1);
        c.params = {};
        for (const p of c.fmtp.split(";")) {
          const eq = p.indexOf("=");
          if (eq > 0) c.params[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim();
        }
        return;
      }
      case "rtcp-fb": {
        const sp = value.indexOf(" ");
        if (sp < 0) throw new SdpError("syntax", `line ${lineNo}: a=rtcp-fb:${quote(value)} has no feedback type`);
        const ptText = value.slice(0, sp);
        const c = codecFor(ptText === "*" ? -1 : uint(ptText, 127, "rtcp-fb payload type", lineNo));
        if (c.rtcpFb.length < 16) c.rtcpFb.push(value.slice(sp + 1).trim());
        return;
      }
      case "extmap": {
        // RFC 8285 §8: a=extmap:<value>["/"<direction>] <URI> <extensionattributes>
        const f = value.split(" ");
        const [idText, dir] = f[0]!.split("/");
        const ext: ExtMap = { id: uint(idText!, 255, "extmap id", lineNo), uri: f[1] ?? "" };
        if (ext.id === 0 || ext.uri.length === 0) throw new SdpError("syntax", `line ${lineNo}: a=extmap:${quote(value)} needs an id 1..255 and a URI`);
        if (dir !== undefined) {
          if (!DIRECTIONS.has(dir)) throw new SdpError("syntax", `line ${lineNo}: extmap direction ${quote(dir)}`);
          ext.direction = dir as Direction;
        }
        if (m.extmaps.length >= MAX_EXTMAPS) throw new SdpError("too-large", `m=${m.kind} has more than ${MAX_EXTMAPS} a=extmap lines`);
        m.extmaps.push(ext);
        return;
      }
      case "ssrc": {
        // RFC 5576 §4.1: a=ssrc:<ssrc-id> <attribute>[:<value>]
        const sp = value.indexOf(" ");
        const ssrc = uint(sp < 0 ? value : value.slice(0, sp), 0xffffffff, "ssrc", lineNo);
        let info = m.ssrcs.find((s) => s.ssrc === ssrc);
        if (!info) {
          if (m.ssrcs.length >= MAX_SSRCS) throw new SdpError("too-large", `m=${m.kind} has more than ${MAX_SSRCS} SSRCs`);
          m.ssrcs.push((info = { ssrc } as SsrcInfo));
        }
        const rest = sp < 0 ? "" : value.slice(sp + 1);
        if (rest.startsWith("cname:")) info.cname = rest.slice(6);
        else if (rest.startsWith("msid:")) info.msid = rest.slice(5);
        return;
      }
      case "ssrc-group": {
        const [semantics, ...ids] = value.split(" ");
        if (m.ssrcGroups.length >= MAX_SSRCS) throw new SdpError("too-large", `m=${m.kind} has more than ${MAX_SSRCS} a=ssrc-group lines`);
        if (ids.length > MAX_SSRCS) throw new SdpError("too-large", `a=ssrc-group of ${ids.length} SSRCs > max ${MAX_SSRCS}`);
        m.ssrcGroups.push({ semantics: semantics!, ssrcs: ids.map((id) => uint(id, 0xffffffff, "ssrc-group ssrc", lineNo)) });
        return;
      }
      case "msid": {
        const [stream, track] = value.split(" ");
        m.msid = { stream: stream!, track: track ?? "" };
        return;
      }
      case "rid": {
        if (m.rids.length >= MAX_SSRCS) throw new SdpError("too-large", `m=${m.kind} has more than ${MAX_SSRCS} a=rid lines`);
        m.rids.push(value.split(" ")[0]!);
        return;
      }
    }
  }
}

function fingerprint(value: string, lineNo: number): Fingerprint {
  // RFC 8122 §5: fingerprint-attribute = "fingerprint" ":" hash-func SP fingerprint
  const sp = value.indexOf(" ");
  const algorithm = sp < 0 ? "" : value.slice(0, sp).toLowerCase();
  const hex = sp < 0 ? "" : value.slice(sp + 1).trim();
  if (!HASH_FUNC.test(algorithm) || !FINGERPRINT_VALUE.test(hex)) {
    throw new SdpError("no-fingerprint", `line ${lineNo}: a=fingerprint:${quote(value)} is not <hash> <hex pairs>`);
  }
  return { algorithm, value: hex.toUpperCase() };
}
