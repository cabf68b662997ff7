/**
 * One case table for the trickle-ice-sdpfrag parser: the unit tests decode it, the fuzz target
 * seeds from it. Bodies are shaped as RFC 9725 §4.3 and the WHEP draft show them and as Chromium's
 * candidates look (its a=candidate lines), CRLF unless a case says otherwise.
 */
import type { SdpErrorCode } from "./sdp-error.ts";

const crlf = (lines: string[]) => lines.join("\r\n") + "\r\n";

export interface TrickleCase {
  name: string;
  text: string;
  /** What the parser must return (for valid cases). */
  want?: { ufrag: string | null; pwd: string | null; mids: (string | null)[]; candidates: number; badCandidates: number; endOfCandidates: boolean };
  /** The SdpError code it must throw (for invalid ones). */
  error?: SdpErrorCode;
}

const CAND = "a=candidate:3333326781 1 udp 2122194687 192.0.2.2 53118 typ host generation 0 network-id 1";
const CAND_SRFLX = "a=candidate:842163049 1 udp 1677729535 198.51.100.7 61225 typ srflx raddr 192.0.2.2 rport 53118 generation 0";

export const TRICKLE_CASES: TrickleCase[] = [
  {
    name: "RFC 9725 §4.3.1 trickle: the first section, its mid, candidates and end-of-candidates",
    text: crlf(["a=group:BUNDLE 0 1", "m=audio 9 UDP/TLS/RTP/SAVPF 111", "a=mid:0", "a=ice-ufrag:EsAw", "a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y", CAND, CAND_SRFLX, "a=end-of-candidates"]),
    want: { ufrag: "EsAw", pwd: "bP+XJMM09aR8AiX1jdukzR6Y", mids: ["0"], candidates: 2, badCandidates: 0, endOfCandidates: true },
  },
  {
    name: "RFC 9725 §4.3.2 restart: session-level credentials, one section",
    text: crlf(["a=ice-options:trickle ice2", "a=group:BUNDLE 0 1", "m=audio 9 UDP/TLS/RTP/SAVPF 111", "a=mid:0", "a=ice-ufrag:ysXw", "a=ice-pwd:vw5LmwG4y/e6dPP/zAP9Gp5k", CAND]),
    want: { ufrag: "ysXw", pwd: "vw5LmwG4y/e6dPP/zAP9Gp5k", mids: ["0"], candidates: 1, badCandidates: 0, endOfCandidates: false },
  },
  {
    name: "candidates only, LF line endings, no section",
    text: [CAND, "a=end-of-candidates", ""].join("\n"),
    want: { ufrag: null, pwd: null, mids: [], candidates: 1, badCandidates: 0, endOfCandidates: true },
  },
  {
    name: "an unparseable candidate is counted, unknown attributes and other line types skipped",
    text: crlf(["m=video 9 UDP/TLS/RTP/SAVPF 96", "c=IN IP4 0.0.0.0", "a=mid:v", "a=x-custom:1", "a=candidate:bogus", CAND]),
    want: { ufrag: null, pwd: null, mids: ["v"], candidates: 1, badCandidates: 1, endOfCandidates: false },
  },
  {
    name: "the same credentials repeated in two sections",
    text: crlf(["m=audio 9 UDP/TLS/RTP/SAVPF 111", "a=mid:0", "a=ice-ufrag:abcd", "a=ice-pwd:0123456789012345678901", "m=video 9 UDP/TLS/RTP/SAVPF 96", "a=mid:1", "a=ice-ufrag:abcd", "a=ice-pwd:0123456789012345678901"]),
    want: { ufrag: "abcd", pwd: "0123456789012345678901", mids: ["0", "1"], candidates: 0, badCandidates: 0, endOfCandidates: false },
  },
  { name: "empty body", text: "", want: { ufrag: null, pwd: null, mids: [], candidates: 0, badCandidates: 0, endOfCandidates: false } },
  { name: "not SDP", text: "hello world\r\n", error: "syntax" },
  { name: "malformed m= line", text: crlf(["m=audio nine UDP/TLS/RTP/SAVPF 111"]), error: "syntax" },
  { name: "ufrag without pwd", text: crlf(["a=ice-ufrag:EsAw"]), error: "no-ice-credentials" },
  { name: "pwd without ufrag", text: crlf(["a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y"]), error: "no-ice-credentials" },
  { name: "ufrag too short", text: crlf(["a=ice-ufrag:abc", "a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y"]), error: "no-ice-credentials" },
  { name: "pwd not ice-chars", text: crlf(["a=ice-ufrag:abcd", "a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y!"]), error: "no-ice-credentials" },
  { name: "two different ufrags", text: crlf(["a=ice-ufrag:abcd", "a=ice-ufrag:abce", "a=ice-pwd:bP+XJMM09aR8AiX1jdukzR6Y"]), error: "no-ice-credentials" },
  { name: "a=mid before any section", text: crlf(["a=mid:0"]), error: "bad-mid" },
  { name: "too many candidates", text: crlf(Array.from({ length: 65 }, () => CAND)), error: "too-large" },
  { name: "too many lines", text: "a=x\n".repeat(300), error: "too-large" },
];
