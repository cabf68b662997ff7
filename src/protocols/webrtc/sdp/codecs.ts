/**
 * Which offered payload type a section gets, and the fmtp we answer it with. Codecs are matched by
 * encoding name (case-insensitive, RFC 8866 §6.6) in the offer's order of preference (RFC 3264
 * §6.1). WHIP takes whatever we can depacketize; WHEP must send what the stream already has, since
 * spate never transcodes.
 */
import type { AudioCodec, Codec, TrackInfo, VideoCodec } from "../../../core/track.ts";
import {
  DEFAULT_PROFILE_LEVEL_ID,
  formatLevel,
  formatProfileLevelId,
  h264ProfileFit,
  makeProfileLevelId,
  parseProfileLevelId,
  type H264ProfileLevelId,
} from "./h264-profile.ts";
import type { MediaSection, RtpCodec } from "./model.ts";

export type RtpVideoCodec = Extract<VideoCodec, "h264" | "vp8" | "vp9" | "av1">;
export type RtpAudioCodec = Extract<AudioCodec, "opus">;

/** Encoding names of the codecs spate carries over RTP (RFC 6184, RFC 7741, VP9 and AV1 RTP payload specs, RFC 7587). */
const RTP_NAMES: Record<string, RtpVideoCodec | RtpAudioCodec> = { h264: "h264", vp8: "vp8", vp9: "vp9", av1: "av1", opus: "opus" };
/** Not media codecs: left out of "offered ... only" reasons. */
const AUXILIARY = new Set(["rtx", "red", "ulpfec", "flexfec-03", "cn", "telephone-event"]);

export interface CodecChoice {
  offered: RtpCodec;
  codec: RtpVideoCodec | RtpAudioCodec;
  /** What our a=fmtp says ("" for none). */
  fmtp: string;
}

export type Selection = CodecChoice | { reason: string };

/** The stream track a WHEP section is answered for (a core Track fits). */
export interface SourceTrack {
  codec: Codec;
  config: Uint8Array | null;
  info?: TrackInfo;
}

export function rtpCodecName(c: RtpCodec): RtpVideoCodec | RtpAudioCodec | null {
  const name = RTP_NAMES[c.name.toLowerCase()];
  if (!name) return null;
  if (name === "opus") return c.clockRate === 48000 && c.channels === 2 ? name : null; // RFC 7587 §7: opus/48000/2 always
  return c.clockRate === 90000 ? name : null;
}

function offeredNames(m: MediaSection): string {
  const names = [...new Set(m.codecs.map((c) => c.name || `PT ${c.payloadType}`).filter((n) => !AUXILIARY.has(n.toLowerCase())))];
  return names.length ? names.join("/") : "nothing";
}

const packetizationMode = (c: RtpCodec) => c.params["packetization-mode"] ?? "0";

/** RFC 9725: a publisher's section. H.264 keeps the publisher's own fmtp ("answer with its profile"). */
export function selectWhipCodec(m: MediaSection): Selection {
  const wantKind = m.kind === "audio" ? "audio" : "video";
  const anyMode1 = m.codecs.some((c) => rtpCodecName(c) === "h264" && packetizationMode(c) === "1");
  for (const c of m.codecs) {
    const name = rtpCodecName(c);
    if (!name || (name === "opus") !== (wantKind === "audio")) continue;
    // Mode 0 (single NAL units) depacketizes fine, but mode 1 lets the sender use STAP-A/FU-A.
    if (name === "h264" && anyMode1 && packetizationMode(c) !== "1") continue;
    return { offered: c, codec: name, fmtp: c.fmtp };
  }
  const wanted = wantKind === "audio" ? "Opus" : "H264, VP8, VP9 or AV1";
  return { reason: `no codec we can use in m=${m.kind}: offered ${offeredNames(m)} only; spate takes ${wanted}` };
}

export interface WhepCodecOptions {
  /**
   * When no offered H.264 profile fits the stream's, refuse the section (true, the default) or
   * answer on the first packetization-mode=1 payload type anyway (false: most software decoders
   * take any profile, but the viewer never promised to).
   */
  strictH264Profile?: boolean;
}

/** draft-ietf-wish-whep: a viewer's section, answered with the codec the stream already has. */
export function selectWhepCodec(m: MediaSection, source: SourceTrack, opts: WhepCodecOptions = {}): Selection {
  const sameName = (name: string) => m.codecs.filter((c) => rtpCodecName(c) === name);
  switch (source.codec) {
    case "h264":
      return selectH264(m, source, opts.strictH264Profile ?? true);
    case "vp8": {
      const c = sameName("vp8")[0];
      return c ? { offered: c, codec: "vp8", fmtp: c.fmtp } : { reason: `stream video is VP8; the viewer offers ${offeredNames(m)}` };
    }
    case "vp9": {
      // VP9 RTP payload spec §6: profile-id (default 0) names the one profile the receiver decodes.
      const profile = source.config && source.config.length > 4 ? source.config[4]! : (source.info?.profile ?? 0);
      const c = sameName("vp9").find((c) => Number(c.params["profile-id"] ?? "0") === profile);
      return c ? { offered: c, codec: "vp9", fmtp: c.fmtp } : { reason: `stream video is VP9 profile ${profile}; the viewer offers ${describeVp9(m)}` };
    }
    case "av1": {
      // AV1 RTP spec §7.2: profile (default 0); level-idx and tier say what we send.
      const cfg = source.config && source.config.length >= 4 && source.config[0] === 0x81 ? source.config : null;
      const profile = cfg ? cfg[1]! >>> 5 : (source.info?.profile ?? 0);
      const c = sameName("av1").find((c) => Number(c.params.profile ?? "0") === profile);
      if (!c) return { reason: `stream video is AV1 profile ${profile}; the viewer offers ${offeredNames(m)}` };
      const fmtp = cfg ? `level-idx=${cfg[1]! & 0x1f};profile=${profile};tier=${cfg[2]! >>> 7}` : c.fmtp;
      return { offered: c, codec: "av1", fmtp };
    }
    case "opus": {
      const c = sameName("opus")[0];
      if (!c) return { reason: `stream audio is Opus; the viewer offers ${offeredNames(m)}` };
      // RFC 7587 §7: sprop-stereo says what we send; the rest echoes what the viewer asked for.
      const stereo = (source.info?.channels ?? 2) >= 2 && c.params["sprop-stereo"] === undefined;
      return { offered: c, codec: "opus", fmtp: [c.fmtp, stereo ? "sprop-stereo=1" : ""].filter((p) => p).join(";") };
    }
    default:
      return {
        reason: `stream ${m.kind} is ${source.codec.toUpperCase()}; WebRTC egress carries H.264, VP8, VP9, AV1 and Opus, and spate does not transcode`,
      };
  }
}

function describeVp9(m: MediaSection): string {
  const vp9 = m.codecs.filter((c) => rtpCodecName(c) === "vp9").map((c) => `VP9 profile ${c.params["profile-id"] ?? "0"}`);
  return vp9.length ? [...new Set(vp9)].join(", ") : offeredNames(m);
}

/** The stream's profile-level-id from its avcC (bytes 1..3: profile_idc, constraint flags, level_idc) or codec string. */
export function streamProfileLevelId(source: SourceTrack): H264ProfileLevelId | null {
  const c = source.config;
  if (c && c.length >= 4 && c[0] === 1) return makeProfileLevelId(c[1]!, c[2]!, c[3]!);
  const m = /^avc[13]\.([0-9A-Fa-f]{6})$/.exec(source.info?.codecString ?? "");
  return m ? parseProfileLevelId(m[1]) : null;
}

/**
 * RFC 6184 §8.2.2 as libwebrtc applies it: the answer's profile must be the offered payload type's
 * (same class); the level we send must not exceed the viewer's unless both sides allow level
 * asymmetry. Same-class payload types win over merely compatible ones, each in offer order.
 */
function selectH264(m: MediaSection, source: SourceTrack, strict: boolean): Selection {
  const h264 = m.codecs.filter((c) => rtpCodecName(c) === "h264");
  const mode1 = h264.filter((c) => packetizationMode(c) === "1");
  if (h264.length && !mode1.length) {
    return { reason: "the viewer offers H.264 with packetization-mode=0 only; spate sends FU-A (packetization-mode=1)" };
  }
  const ours = streamProfileLevelId(source);
  if (!ours) {
    // No avcC yet (or one we cannot classify): the first mode-1 PT, as the viewer wrote it.
    const c = mode1[0];
    return c ? { offered: c, codec: "h264", fmtp: c.fmtp } : { reason: `stream video is H.264; the viewer offers ${offeredNames(m)}` };
  }
  let best: { c: RtpCodec; fit: number; theirs: H264ProfileLevelId } | null = null;
  for (const c of mode1) {
    const theirs = parseProfileLevelId(c.params["profile-level-id"]);
    if (!theirs) continue;
    const fit = h264ProfileFit(ours.profile, theirs.profile);
    const asymmetric = c.params["level-asymmetry-allowed"] === "1";
    if (fit === 0 || (!asymmetric && theirs.level < ours.level)) continue;
    if (!best || fit > best.fit) best = { c, fit, theirs };
    if (fit === 2) break;
  }
  if (best) {
    // Our level, in the offered class (same class: our own bytes) so the decoder knows what comes.
    const id = best.fit === 2 ? ours : { profileIdc: best.theirs.profileIdc, profileIop: best.theirs.profileIop, levelIdc: ours.levelIdc };
    return { offered: best.c, codec: "h264", fmtp: h264Fmtp(best.c, formatProfileLevelId(id)) };
  }
  if (!strict && mode1[0]) return { offered: mode1[0], codec: "h264", fmtp: mode1[0].fmtp };
  const offered = mode1.map((c) => c.params["profile-level-id"] ?? DEFAULT_PROFILE_LEVEL_ID);
  const what = `H.264 ${ours.profile} ${formatLevel(ours.level)} (${formatProfileLevelId(ours)})`;
  return {
    reason: offered.length
      ? `stream video is ${what}; the viewer offers H.264 ${[...new Set(offered)].join(", ")} only, none of that profile and level; spate does not transcode`
      : `stream video is ${what}; the viewer offers ${offeredNames(m)}`,
  };
}

function h264Fmtp(c: RtpCodec, profileLevelId: string): string {
  const asym = c.params["level-asymmetry-allowed"] === "1" ? "level-asymmetry-allowed=1;" : "";
  return `${asym}packetization-mode=1;profile-level-id=${profileLevelId}`;
}
