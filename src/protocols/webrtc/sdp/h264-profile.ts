/**
 * H.264 profile-level-id (RFC 6184 §8.1): profile_idc, profile-iop (constraint_set0..5 flags) and
 * level_idc as 6 hex digits. Profiles are classified as libwebrtc does (api/video_codecs/
 * h264_profile_level_id.cc), because libwebrtc matches an answer's H.264 payload type to its own
 * by that class: an answer whose class differs from the offered one is not the same codec to it.
 */

export type H264Profile = "constrained-baseline" | "baseline" | "main" | "extended" | "high" | "constrained-high" | "high-10" | "high-422" | "high-444";

export interface H264ProfileLevelId {
  profileIdc: number;
  /** The constraint flags byte (profile-iop). */
  profileIop: number;
  levelIdc: number;
  profile: H264Profile;
  /** Level times 10 ("3.1" → 31); level 1b is 9, so it sorts between 1 (10) and 1.1 (11). */
  level: number;
}

/**
 * For an fmtp without profile-level-id. RFC 6184 §8.1 says Baseline level 1 (42000a); libwebrtc
 * reads Constrained Baseline 3.1 so that old peers keep working, and the peers we meet are
 * libwebrtc or talk to it, so we read it the same way.
 */
export const DEFAULT_PROFILE_LEVEL_ID = "42e01f";

/** profile_idc, a mask/value over profile-iop, and the class (libwebrtc's kProfilePatterns, in order). */
const PATTERNS: [number, number, number, H264Profile][] = [
  [0x42, 0x4f, 0x40, "constrained-baseline"], // x1xx0000
  [0x4d, 0x8f, 0x80, "constrained-baseline"], // 1xxx0000
  [0x58, 0xcf, 0xc0, "constrained-baseline"], // 11xx0000
  [0x42, 0x4f, 0x00, "baseline"], // x0xx0000
  [0x58, 0xcf, 0x80, "baseline"], // 10xx0000
  [0x4d, 0xaf, 0x00, "main"], // 0x0x0000
  [0x64, 0xff, 0x00, "high"],
  [0x64, 0xff, 0x0c, "constrained-high"],
  [0x6e, 0xff, 0x00, "high-10"],
  [0x7a, 0xff, 0x00, "high-422"],
  [0xf4, 0xff, 0x00, "high-444"],
];

export function classifyH264Profile(profileIdc: number, profileIop: number): H264Profile | null {
  for (const [idc, mask, value, profile] of PATTERNS) if (idc === profileIdc && (profileIop & mask) === value) return profile;
  return null;
}

/** Level ×10 from level_idc, with RFC 6184's level 1b (level_idc 11 and constraint_set3 in the Baseline family, or 9). */
function levelOf(profileIdc: number, profileIop: number, levelIdc: number): number {
  if (levelIdc === 9) return 9;
  if (levelIdc === 11 && (profileIop & 0x10) !== 0 && (profileIdc === 0x42 || profileIdc === 0x4d || profileIdc === 0x58)) return 9;
  return levelIdc;
}

export function makeProfileLevelId(profileIdc: number, profileIop: number, levelIdc: number): H264ProfileLevelId | null {
  const profile = classifyH264Profile(profileIdc, profileIop);
  if (!profile) return null;
  return { profileIdc, profileIop, levelIdc, profile, level: levelOf(profileIdc, profileIop, levelIdc) };
}

/** Parses the 6 hex digits of profile-level-id; null if malformed or of a profile we do not know. */
export function parseProfileLevelId(text: string | undefined): H264ProfileLevelId | null {
  const hex = text ?? DEFAULT_PROFILE_LEVEL_ID;
  if (!/^[0-9A-Fa-f]{6}$/.test(hex)) return null;
  const n = parseInt(hex, 16);
  return makeProfileLevelId(n >>> 16, (n >>> 8) & 0xff, n & 0xff);
}

export function formatProfileLevelId(p: { profileIdc: number; profileIop: number; levelIdc: number }): string {
  return ((p.profileIdc << 16) | (p.profileIop << 8) | p.levelIdc).toString(16).padStart(6, "0");
}

/** "3.1", "1b". */
export function formatLevel(level: number): string {
  return level === 9 ? "1b" : `${Math.floor(level / 10)}${level % 10 ? "." + (level % 10) : ""}`;
}

/**
 * Whether a decoder that declared `decoder` can take a stream of `stream`'s profile, and how well:
 * 2 = the same class (libwebrtc accepts the answer as it is), 1 = a decoder of that class decodes
 * the stream anyway (Constrained Baseline is a subset of Baseline, Main and High; Baseline streams
 * from encoders use none of FMO/ASO/redundant slices, so Constrained Baseline decoders take them;
 * Main and Constrained High are subsets of High), 0 = no.
 */
export function h264ProfileFit(stream: H264Profile, decoder: H264Profile): 0 | 1 | 2 {
  if (stream === decoder) return 2;
  switch (stream) {
    case "constrained-baseline":
      return decoder === "baseline" || decoder === "main" || decoder === "high" || decoder === "constrained-high" ? 1 : 0;
    case "baseline":
      return decoder === "constrained-baseline" ? 1 : 0;
    case "main":
    case "constrained-high":
      return decoder === "high" ? 1 : 0;
    default:
      return 0;
  }
}
