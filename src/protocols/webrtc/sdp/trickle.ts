/**
 * The body of a WHIP/WHEP `PATCH`: an `application/trickle-ice-sdpfrag` (RFC 8840 §9.2) carrying
 * trickled candidates, or new `a=ice-ufrag`/`a=ice-pwd` asking for an ICE restart (RFC 9725
 * §4.3.2). Pure: text in, a TrickleFragment out, SdpError for anything malformed; every collection
 * is capped before it grows. Also the sdpfrag we answer a restart with.
 */
import { formatHostCandidate, parseCandidate } from "./candidate.ts";
import type { IceCandidate } from "./model.ts";
import { quote, SdpError } from "./sdp-error.ts";

/** A fragment for one BUNDLE transport is a few hundred bytes; Chromium's with every candidate ~2 KB. */
export const MAX_SDPFRAG_BYTES = 16 * 1024;
export const MAX_SDPFRAG_LINES = 256;
export const MAX_SDPFRAG_SECTIONS = 16;
export const MAX_SDPFRAG_CANDIDATES = 64;

/** RFC 8839 §5.4: ice-ufrag = 4*256ice-char, ice-pwd = 22*256ice-char. */
const UFRAG = /^[A-Za-z0-9+/]{4,256}$/;
const PWD = /^[A-Za-z0-9+/]{22,256}$/;
/** RFC 8866 §9: `<type>=<value>`, type one lower-case letter. */
const LINE = /^[a-z]=/;
/** m=<media> <port> <proto> <fmt> ... (RFC 8866 §5.14); RFC 8840 §9.2 uses port 9 and any formats. */
const MEDIA = /^m=[a-z]{1,32} \d{1,5}(\/\d{1,5})? [A-Za-z0-9/_.-]{1,64}( [^ ]{1,32}){1,256}$/;
const MID = /^[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]{1,64}$/;

export interface TrickleSection {
  /** The m= line as sent (echoed in our restart answer, RFC 8840 §4.4). */
  line: string;
  mid: string | null;
}

export interface TrickleFragment {
  /** New credentials (session level or in a section; all must agree): null when none were sent. */
  ufrag: string | null;
  pwd: string | null;
  sections: TrickleSection[];
  candidates: IceCandidate[];
  /** a=candidate lines that did not parse (ignored, as in offers). */
  badCandidates: number;
  endOfCandidates: boolean;
}

/** Parses a trickle-ice-sdpfrag. Throws SdpError (400, or 413 for too-large); never anything else. */
export function parseTrickleFragment(text: string): TrickleFragment {
  if (text.length > MAX_SDPFRAG_BYTES) throw new SdpError("too-large", `sdpfrag of ${text.length} bytes > max ${MAX_SDPFRAG_BYTES}`);
  const lines = text.split("\n");
  if (lines.length > MAX_SDPFRAG_LINES + 1) throw new SdpError("too-large", `sdpfrag of ${lines.length} lines > max ${MAX_SDPFRAG_LINES}`);
  const f: TrickleFragment = { ufrag: null, pwd: null, sections: [], candidates: [], badCandidates: 0, endOfCandidates: false };
  let section: TrickleSection | null = null;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i]!;
    const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
    if (line.length === 0) continue; // the trailing CRLF, or blank lines some clients leave
    const n = i + 1;
    if (!LINE.test(line)) throw new SdpError("syntax", `line ${n}: ${quote(line)} is not <type>=<value>`);
    if (line[0] === "m") {
      if (!MEDIA.test(line)) throw new SdpError("syntax", `line ${n}: malformed m= line ${quote(line)}`);
      if (f.sections.length >= MAX_SDPFRAG_SECTIONS) throw new SdpError("too-large", `more than ${MAX_SDPFRAG_SECTIONS} m= sections`);
      f.sections.push((section = { line, mid: null }));
      continue;
    }
    // RFC 8840 §9.2 holds a= lines (and c= in a section); anything else SDP allows is skipped.
    if (line[0] !== "a") continue;
    const colon = line.indexOf(":");
    const name = colon < 0 ? line.slice(2) : line.slice(2, colon);
    const value = colon < 0 ? "" : line.slice(colon + 1);
    switch (name) {
      case "ice-ufrag":
        f.ufrag = credential(f.ufrag, value.trim(), UFRAG, "ice-ufrag", "4..256", n);
        break;
      case "ice-pwd":
        f.pwd = credential(f.pwd, value.trim(), PWD, "ice-pwd", "22..256", n);
        break;
      case "candidate": {
        if (f.candidates.length + f.badCandidates >= MAX_SDPFRAG_CANDIDATES) throw new SdpError("too-large", `more than ${MAX_SDPFRAG_CANDIDATES} candidates`);
        const c = parseCandidate(value.trim());
        if (c) f.candidates.push(c);
        else f.badCandidates++;
        break;
      }
      case "end-of-candidates":
        f.endOfCandidates = true;
        break;
      case "mid":
        if (!section) throw new SdpError("bad-mid", `line ${n}: a=mid outside an m= section`);
        if (!MID.test(value)) throw new SdpError("bad-mid", `line ${n}: bad a=mid ${quote(value)}`);
        section.mid = value;
        break;
    }
  }
  if ((f.ufrag === null) !== (f.pwd === null)) {
    throw new SdpError("no-ice-credentials", f.ufrag === null ? "a=ice-pwd without a=ice-ufrag" : "a=ice-ufrag without a=ice-pwd");
  }
  return f;
}

/** One BUNDLE transport has one pair of credentials: a second, different value is an error. */
function credential(previous: string | null, value: string, shape: RegExp, what: string, size: string, n: number): string {
  if (!shape.test(value)) throw new SdpError("no-ice-credentials", `line ${n}: a=${what} ${quote(value)} is not ${size} ice-chars`);
  if (previous !== null && previous !== value) throw new SdpError("no-ice-credentials", `line ${n}: a second, different a=${what}`);
  return value;
}

/**
 * Our answer to an ICE restart (RFC 9725 §4.3.2): the new credentials, and our candidates in the
 * request's first section (its m= line and mid echoed, RFC 8840 §4.4), CRLF line endings.
 */
export function formatRestartFragment(ufrag: string, pwd: string, candidates: { address: string; port: number }[], first: TrickleSection | undefined): string {
  const out = ["a=ice-lite", `a=ice-ufrag:${ufrag}`, `a=ice-pwd:${pwd}`];
  if (first) {
    out.push(first.line);
    if (first.mid !== null) out.push(`a=mid:${first.mid}`);
    candidates.forEach((c, k) => out.push(`a=${formatHostCandidate(k + 1, c.address, c.port)}`));
    out.push("a=end-of-candidates");
  }
  return out.join("\r\n") + "\r\n";
}
