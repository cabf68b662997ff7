/**
 * Case table for the SDP code: real offers (testdata/*.sdp, see testdata/README.md), what each
 * parses to, how spate answers it as WHIP or WHEP, and broken offers with the error each gets.
 * Feeds parse.test.ts, answer.test.ts and the seeds of sdp.fuzz.ts.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { LocalTransport, WhepSource } from "./answer.ts";
import type { SdpErrorCode } from "./sdp-error.ts";

export const TESTDATA = join(import.meta.dir, "testdata");
export const offerText = (file: string): string => readFileSync(join(TESTDATA, file), "utf8");

export interface OfferFixture {
  file: string;
  /** Per section: kind, mid, direction, offered encoding names (auxiliary ones included). */
  sections: { kind: string; mid: string; direction: string; names: string[]; candidates: number; ssrcs: number }[];
  iceUfrag: string;
}

const CHROMIUM_VIDEO_SEND = ["VP8", "rtx", "H264", "rtx", "H264", "rtx", "H264", "rtx", "H264", "rtx", "H264", "rtx", "H264", "rtx", "AV1", "rtx", "VP9", "rtx", "VP9", "rtx", "red", "rtx", "ulpfec"];
const CHROMIUM_VIDEO_RECV = ["VP8", "rtx", ...Array(4).fill(["VP9", "rtx"]).flat(), ...Array(8).fill(["H264", "rtx"]).flat(), "AV1", "rtx", "AV1", "rtx", "red", "rtx", "ulpfec", "flexfec-03"];
const WRTC_AUDIO = ["opus", "red", "ISAC", "ISAC", "G722", "ILBC", "PCMU", "PCMA", "CN", "CN", "CN", "telephone-event", "telephone-event", "telephone-event", "telephone-event"];
const CHROMIUM_AUDIO = ["opus", "red", "G722", "PCMU", "PCMA", "CN", "telephone-event", "telephone-event"];
const FIREFOX_AUDIO = ["opus", "G722", "PCMU", "PCMA", "telephone-event"];
const FIREFOX_VIDEO = ["VP8", "rtx", "VP9", "rtx", "H264", "rtx", "H264", "rtx", "AV1", "rtx", "ulpfec", "red", "rtx"];

export const OFFER_FIXTURES: OfferFixture[] = [
  {
    file: "chromium-whip.sdp",
    iceUfrag: "zoHj",
    sections: [
      { kind: "audio", mid: "0", direction: "sendonly", names: CHROMIUM_AUDIO, candidates: 4, ssrcs: 1 },
      { kind: "video", mid: "1", direction: "sendonly", names: CHROMIUM_VIDEO_SEND, candidates: 4, ssrcs: 2 },
    ],
  },
  {
    file: "chromium-whep.sdp",
    iceUfrag: "3FmS",
    sections: [
      { kind: "audio", mid: "0", direction: "recvonly", names: CHROMIUM_AUDIO, candidates: 4, ssrcs: 0 },
      { kind: "video", mid: "1", direction: "recvonly", names: CHROMIUM_VIDEO_RECV, candidates: 4, ssrcs: 0 },
    ],
  },
  {
    file: "wrtc-whip.sdp",
    iceUfrag: "6GrC",
    sections: [
      { kind: "audio", mid: "0", direction: "sendonly", names: WRTC_AUDIO, candidates: 8, ssrcs: 1 },
      { kind: "video", mid: "1", direction: "sendonly", names: ["VP8", "rtx", "AV1", "rtx", "VP9", "rtx", "VP9", "rtx", "red", "rtx", "ulpfec"], candidates: 8, ssrcs: 2 },
    ],
  },
  {
    file: "wrtc-whep.sdp",
    iceUfrag: "QX4M",
    sections: [
      { kind: "audio", mid: "0", direction: "recvonly", names: WRTC_AUDIO, candidates: 8, ssrcs: 0 },
      { kind: "video", mid: "1", direction: "recvonly", names: ["VP8", "rtx", "VP9", "rtx", "VP9", "rtx", "VP9", "rtx", "VP9", "rtx", "AV1", "rtx", "red", "rtx", "ulpfec", "flexfec-03"], candidates: 8, ssrcs: 0 },
    ],
  },
  {
    file: "firefox-whip.sdp",
    iceUfrag: "1e9f04bb",
    sections: [
      { kind: "audio", mid: "0", direction: "sendonly", names: FIREFOX_AUDIO, candidates: 3, ssrcs: 1 },
      { kind: "video", mid: "1", direction: "sendonly", names: FIREFOX_VIDEO, candidates: 0, ssrcs: 2 },
    ],
  },
  {
    file: "firefox-whep.sdp",
    iceUfrag: "1e9f04bb",
    sections: [
      { kind: "audio", mid: "0", direction: "recvonly", names: FIREFOX_AUDIO, candidates: 0, ssrcs: 1 },
      { kind: "video", mid: "1", direction: "recvonly", names: FIREFOX_VIDEO, candidates: 0, ssrcs: 2 },
    ],
  },
  {
    file: "obs-whip-h264.sdp",
    iceUfrag: "Zq8C",
    sections: [
      { kind: "audio", mid: "0", direction: "sendonly", names: ["opus"], candidates: 2, ssrcs: 1 },
      { kind: "video", mid: "1", direction: "sendonly", names: ["H264"], candidates: 0, ssrcs: 1 },
    ],
  },
  {
    file: "obs-whip-h265.sdp",
    iceUfrag: "Zq8C",
    sections: [
      { kind: "audio", mid: "0", direction: "sendonly", names: ["opus"], candidates: 2, ssrcs: 1 },
      { kind: "video", mid: "1", direction: "sendonly", names: ["H265"], candidates: 0, ssrcs: 1 },
    ],
  },
];

/** Our side in every golden answer. */
export const LOCAL: LocalTransport = {
  iceUfrag: "sPaTe0uF",
  icePwd: "Xq3vT9LmW2cR7nB4kD8hJ1sZ",
  fingerprint: { algorithm: "sha-256", value: "3C:8E:51:0A:D7:6B:F2:94:1E:C0:5A:A3:77:2D:E9:48:B6:0F:13:C8:9D:64:2A:F7:5E:81:0B:DC:36:A5:E2:19" },
  candidates: [{ address: "192.0.2.1", port: 8189 }],
  sessionId: "4611686018427387903",
  sessionVersion: 2,
};

/** avcC headers (configurationVersion, profile_idc, constraint flags, level_idc): enough for matching. */
const avcc = (profileLevelId: string) => {
  const n = parseInt(profileLevelId, 16);
  return new Uint8Array([1, n >>> 16, (n >>> 8) & 0xff, n & 0xff, 0xff, 0xe0, 0]);
};

export const SOURCES = {
  h264Cb31: { codec: "h264", config: avcc("42c01f"), ssrc: 0x11223344 },
  h264Main40: { codec: "h264", config: avcc("4d0028"), ssrc: 0x11223344 },
  h264High40: { codec: "h264", config: avcc("640028"), ssrc: 0x11223344 },
  h264Baseline51: { codec: "h264", config: avcc("420033"), ssrc: 0x11223344 },
  vp8: { codec: "vp8", config: null, ssrc: 0x11223344 },
  vp9p0: { codec: "vp9", config: new Uint8Array([1, 0, 0, 0, 0, 31, 0x80, 1, 1, 1, 0, 0]), ssrc: 0x11223344 },
  /** av1C: marker 0x81, seq_profile 0, seq_level_idx_0 8 (4.0), tier 0. */
  av1: { codec: "av1", config: new Uint8Array([0x81, 0x08, 0x0c, 0x00]), ssrc: 0x11223344 },
  h265: { codec: "h265", config: null, ssrc: 0x11223344 },
  opus: { codec: "opus", config: null, info: { channels: 2 }, ssrc: 0x55667788 },
  aac: { codec: "aac", config: null, ssrc: 0x55667788 },
} satisfies Record<string, WhepSource>;

export interface AnswerCase {
  name: string;
  file: string;
  role: "whip" | "whep";
  sources?: WhepSource[];
  strictH264Profile?: boolean;
  /** Accepted sections: mid → codec, payload type, fmtp. */
  accept: Record<string, { codec: string; payloadType: number; fmtp?: string }>;
  /** Refused sections: mid → error code. */
  reject?: Record<string, SdpErrorCode>;
}

export const ANSWER_CASES: AnswerCase[] = [
  { name: "whip-chromium", file: "chromium-whip.sdp", role: "whip", accept: { "0": { codec: "opus", payloadType: 111 }, "1": { codec: "vp8", payloadType: 96 } } },
  {
    name: "whip-chromium-h264-first",
    file: "chromium-whip-h264-first.sdp",
    role: "whip",
    // Mode-0 PTs are skipped while a mode-1 H.264 exists; the publisher's own fmtp is echoed.
    accept: { "0": { codec: "opus", payloadType: 111 }, "1": { codec: "h264", payloadType: 103, fmtp: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42001f" } },
  },
  { name: "whip-wrtc", file: "wrtc-whip.sdp", role: "whip", accept: { "0": { codec: "opus", payloadType: 111 }, "1": { codec: "vp8", payloadType: 96 } } },
  { name: "whip-firefox", file: "firefox-whip.sdp", role: "whip", accept: { "0": { codec: "opus", payloadType: 109 }, "1": { codec: "vp8", payloadType: 120 } } },
  {
    name: "whip-obs-h264",
    file: "obs-whip-h264.sdp",
    role: "whip",
    accept: { "0": { codec: "opus", payloadType: 111 }, "1": { codec: "h264", payloadType: 96, fmtp: "profile-level-id=42e01f;packetization-mode=1;level-asymmetry-allowed=1" } },
  },
  { name: "whip-obs-h265", file: "obs-whip-h265.sdp", role: "whip", accept: { "0": { codec: "opus", payloadType: 111 } }, reject: { "1": "no-codec" } },
  {
    name: "whep-chromium-h264-cb",
    file: "chromium-whep.sdp",
    role: "whep",
    sources: [SOURCES.h264Cb31, SOURCES.opus],
    accept: {
      "0": { codec: "opus", payloadType: 111, fmtp: "minptime=10;useinbandfec=1;sprop-stereo=1" },
      "1": { codec: "h264", payloadType: 109, fmtp: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42c01f" },
    },
  },
  {
    name: "whep-chromium-h264-main-aac",
    file: "chromium-whep.sdp",
    role: "whep",
    sources: [SOURCES.h264Main40, SOURCES.aac],
    // Level 4.0 over the offered 3.1 is fine: Chromium allows level asymmetry.
    accept: { "1": { codec: "h264", payloadType: 117, fmtp: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=4d0028" } },
    reject: { "0": "no-codec" },
  },
  {
    name: "whep-chromium-h264-baseline",
    file: "chromium-whep.sdp",
    role: "whep",
    sources: [SOURCES.h264Baseline51],
    accept: { "1": { codec: "h264", payloadType: 103, fmtp: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=420033" } },
    reject: { "0": "no-codec" },
  },
  { name: "whep-chromium-h264-high", file: "chromium-whep.sdp", role: "whep", sources: [SOURCES.h264High40, SOURCES.opus], accept: { "0": { codec: "opus", payloadType: 111 } }, reject: { "1": "no-codec" } },
  {
    name: "whep-chromium-h264-high-lenient",
    file: "chromium-whep.sdp",
    role: "whep",
    strictH264Profile: false,
    sources: [SOURCES.h264High40, SOURCES.opus],
    accept: { "0": { codec: "opus", payloadType: 111 }, "1": { codec: "h264", payloadType: 103 } },
  },
  { name: "whep-chromium-vp8", file: "chromium-whep.sdp", role: "whep", sources: [SOURCES.vp8, SOURCES.opus], accept: { "0": { codec: "opus", payloadType: 111 }, "1": { codec: "vp8", payloadType: 96 } } },
  { name: "whep-chromium-vp9", file: "chromium-whep.sdp", role: "whep", sources: [SOURCES.vp9p0, SOURCES.opus], accept: { "0": { codec: "opus", payloadType: 111 }, "1": { codec: "vp9", payloadType: 98, fmtp: "profile-id=0" } } },
  {
    name: "whep-wrtc-av1",
    file: "wrtc-whep.sdp",
    role: "whep",
    sources: [SOURCES.av1, SOURCES.opus],
    accept: { "0": { codec: "opus", payloadType: 111 }, "1": { codec: "av1", payloadType: 39, fmtp: "level-idx=8;profile=0;tier=0" } },
  },
  { name: "whep-wrtc-h264", file: "wrtc-whep.sdp", role: "whep", sources: [SOURCES.h264Cb31, SOURCES.opus], accept: { "0": { codec: "opus", payloadType: 111 } }, reject: { "1": "no-codec" } },
  {
    name: "whep-firefox-h264",
    file: "firefox-whep.sdp",
    role: "whep",
    sources: [SOURCES.h264Cb31, SOURCES.opus],
    accept: {
      "0": { codec: "opus", payloadType: 109, fmtp: "maxplaybackrate=48000;stereo=1;useinbandfec=1;sprop-stereo=1" },
      "1": { codec: "h264", payloadType: 126, fmtp: "level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42c01f" },
    },
  },
  { name: "whep-video-only-stream", file: "chromium-whep.sdp", role: "whep", sources: [SOURCES.vp8], accept: { "1": { codec: "vp8", payloadType: 96 } }, reject: { "0": "no-codec" } },
];

export interface ErrorCase {
  name: string;
  sdp: string;
  role: "whip" | "whep";
  sources?: WhepSource[];
  code: SdpErrorCode;
  /** A piece of the message the HTTP layer returns. */
  message: string;
}

const chromiumWhip = offerText("chromium-whip.sdp");
const obsH264 = offerText("obs-whip-h264.sdp");
const drop = (sdp: string, re: RegExp) => sdp.split("\r\n").filter((l) => !re.test(l)).join("\r\n");
const videoOnly = (sdp: string) => sdp.slice(0, sdp.indexOf("m=audio")) + sdp.slice(sdp.indexOf("m=video"));

export const ERROR_CASES: ErrorCase[] = [
  { name: "empty body", sdp: "", role: "whip", code: "syntax", message: "empty SDP" },
  { name: "not SDP", sdp: "hello world", role: "whip", code: "syntax", message: "not <type>=<value>" },
  { name: "JSON instead of SDP", sdp: '{"type":"offer","sdp":"v=0"}', role: "whip", code: "syntax", message: "not <type>=<value>" },
  { name: "v=1", sdp: chromiumWhip.replace("v=0", "v=1"), role: "whip", code: "syntax", message: "must start with v=0" },
  { name: "o= with 5 fields", sdp: chromiumWhip.replace(/^o=.*$/m, "o=- 1 2 IN IP4"), role: "whip", code: "syntax", message: "o= needs 6 fields" },
  { name: "m= without formats", sdp: chromiumWhip.replace(/^m=audio .*$/m, "m=audio 9 UDP/TLS/RTP/SAVPF"), role: "whip", code: "syntax", message: "m= line" },
  { name: "payload type 128", sdp: obsH264.replace("m=video 54712 UDP/TLS/RTP/SAVPF 96", "m=video 54712 UDP/TLS/RTP/SAVPF 128"), role: "whip", code: "syntax", message: "payload type" },
  { name: "bad rtpmap", sdp: obsH264.replace("a=rtpmap:96 H264/90000", "a=rtpmap:96 H264"), role: "whip", code: "syntax", message: "a=rtpmap" },
  { name: "session only (no m=)", sdp: chromiumWhip.slice(0, chromiumWhip.indexOf("m=audio")), role: "whip", code: "no-media", message: "no video or audio section" },
  { name: "data channel only", sdp: "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:0\r\n", role: "whip", code: "no-media", message: "no video or audio section" },
  { name: "no fingerprint", sdp: drop(chromiumWhip, /^a=fingerprint:/), role: "whip", code: "no-fingerprint", message: "no DTLS fingerprint" },
  { name: "sha-1 lookalike with garbage", sdp: chromiumWhip.replace(/a=fingerprint:sha-256 [0-9A-F:]+/g, "a=fingerprint:sha-256 zz"), role: "whip", code: "no-fingerprint", message: "not <hash> <hex pairs>" },
  { name: "fingerprint of an unknown hash only", sdp: chromiumWhip.replace(/a=fingerprint:sha-256/g, "a=fingerprint:md5"), role: "whip", code: "no-fingerprint", message: "offered md5" },
  { name: "no ice-ufrag", sdp: drop(chromiumWhip, /^a=ice-ufrag:/), role: "whip", code: "no-ice-credentials", message: "no a=ice-ufrag" },
  { name: "ice-pwd too short", sdp: chromiumWhip.replace(/a=ice-pwd:\S+/g, "a=ice-pwd:short"), role: "whip", code: "no-ice-credentials", message: "22..256" },
  { name: "two sections, no BUNDLE", sdp: drop(chromiumWhip, /^a=group:BUNDLE/), role: "whip", code: "not-bundle", message: "not BUNDLE" },
  { name: "offerer wants to be DTLS server", sdp: chromiumWhip.replace(/a=setup:actpass/g, "a=setup:passive"), role: "whip", code: "bad-setup", message: "a=setup:passive" },
  { name: "unknown setup role", sdp: chromiumWhip.replace(/a=setup:actpass/g, "a=setup:maybe"), role: "whip", code: "bad-setup", message: "a=setup" },
  { name: "no mid", sdp: drop(chromiumWhip, /^a=mid:/), role: "whip", code: "bad-mid", message: "has no a=mid" },
  { name: "duplicate mid", sdp: chromiumWhip.replace("a=mid:1", "a=mid:0"), role: "whip", code: "bad-mid", message: "two sections with a=mid:0" },
  { name: "WHIP offer of H265 only, no audio", sdp: videoOnly(offerText("obs-whip-h265.sdp")).replace("a=group:BUNDLE 0 1", "a=group:BUNDLE 1"), role: "whip", code: "no-codec", message: "no codec we can use in m=video: offered H265 only" },
  { name: "WHIP offer from a viewer (recvonly)", sdp: offerText("chromium-whep.sdp"), role: "whip", code: "bad-direction", message: "a WHIP client sends" },
  { name: "WHEP offer from a publisher (sendonly)", sdp: chromiumWhip, role: "whep", sources: [SOURCES.vp8, SOURCES.opus], code: "bad-direction", message: "a WHEP viewer receives" },
  { name: "WHEP of an H.265 + AAC stream", sdp: offerText("chromium-whep.sdp"), role: "whep", sources: [SOURCES.h265, SOURCES.aac], code: "no-codec", message: "stream video is H265" },
  { name: "WHEP of a High-profile stream to a viewer without High", sdp: videoOnly(offerText("chromium-whep.sdp")), role: "whep", sources: [SOURCES.h264High40], code: "no-codec", message: "stream video is H.264 high 4 (640028); the viewer offers H.264 42001f, 42e01f, 4d001f, f4001f only" },
  { name: "no rtcp-mux", sdp: drop(chromiumWhip, /^a=rtcp-mux/), role: "whip", code: "no-rtcp-mux", message: "no a=rtcp-mux" },
  { name: "plain RTP/AVP", sdp: chromiumWhip.replace(/UDP\/TLS\/RTP\/SAVPF/g, "RTP/AVP"), role: "whip", code: "bad-protocol", message: "RTP/AVP" },
  { name: "over MAX_SDP_BYTES", sdp: chromiumWhip + "a=x-pad:" + "x".repeat(64 * 1024), role: "whip", code: "too-large", message: "bytes > max" },
  { name: "over MAX_LINES", sdp: chromiumWhip + "a=x\r\n".repeat(2100), role: "whip", code: "too-large", message: "lines > max" },
  { name: "over MAX_MEDIA_SECTIONS", sdp: chromiumWhip + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n".repeat(15), role: "whip", code: "too-large", message: "m= sections" },
  { name: "65 candidates", sdp: chromiumWhip.replace("a=ice-ufrag:zoHj", "a=candidate:1 1 udp 1 10.0.0.1 9 typ host\r\n".repeat(62) + "a=ice-ufrag:zoHj"), role: "whip", code: "too-large", message: "candidates" },
];
