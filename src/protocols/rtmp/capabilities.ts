/**
 * What an RTMP player says it can receive (Enhanced RTMP v1/v2, "Enhancing NetConnection connect
 * Command"): the v1 `fourCcList` (FourCC strings, "*" for any) and the v2 `videoFourCcInfoMap` /
 * `audioFourCcInfoMap` (FourCC → FourCcInfoMask bits; CanDecode 0x01 or CanForward 0x04 means it
 * takes the codec). The legacy codecs (H.264, AAC, MP3) need no announcement: every RTMP player
 * has them. A player that announces nothing is a legacy player — ffmpeg before 7, for one, fails
 * or hangs on a SoundFormat 9 (ExHeader) audio tag — so the tracks it cannot take are withheld
 * from it, as other servers do for HEVC (MediaMTX sends H.265 only to a client listing hvc1).
 */
import type { Codec } from "../../core/track.ts";

const CAN_DECODE = 0x01;
const CAN_FORWARD = 0x04;

/** Codecs every RTMP player takes without Enhanced RTMP. */
const LEGACY: ReadonlySet<Codec> = new Set<Codec>(["h264", "aac", "mp3"]);

/** The Enhanced RTMP FourCC of each codec we can send. */
const FOURCC: Partial<Record<Codec, string>> = { h265: "hvc1", av1: "av01", vp9: "vp09", vp8: "vp08", opus: "Opus" };

/** What we can forward, announced in our connect `_result` (v2: servers echo their own maps). */
export const SERVER_FOURCC_INFO = {
  videoFourCcInfoMap: { avc1: CAN_FORWARD, hvc1: CAN_FORWARD, av01: CAN_FORWARD, vp09: CAN_FORWARD, vp08: CAN_FORWARD },
  audioFourCcInfoMap: { mp4a: CAN_FORWARD, ".mp3": CAN_FORWARD, Opus: CAN_FORWARD },
};

/** What our own client announces: it takes every codec spate sends. */
export const CLIENT_FOURCC_INFO = {
  fourCcList: ["*"],
  videoFourCcInfoMap: { "*": CAN_DECODE | CAN_FORWARD },
  audioFourCcInfoMap: { "*": CAN_DECODE | CAN_FORWARD },
};

export class PlayerCodecs {
  /** FourCCs the player announced, per kind ("*": any of that kind). */
  private readonly video = new Set<string>();
  private readonly audio = new Set<string>();

  /** From the connect command object (untrusted: anything that is not the expected shape is ignored). */
  static fromConnect(commandObject: Record<string, unknown> | null | undefined): PlayerCodecs {
    const caps = new PlayerCodecs();
    // v1's list is of video codecs ("*" is any video codec); a named FourCC is unambiguous either way.
    const list = commandObject?.fourCcList;
    if (Array.isArray(list)) {
      for (const cc of list) {
        if (typeof cc !== "string") continue;
        caps.video.add(cc);
        if (cc !== "*") caps.audio.add(cc);
      }
    }
    caps.addMap(commandObject?.videoFourCcInfoMap, caps.video);
    caps.addMap(commandObject?.audioFourCcInfoMap, caps.audio);
    return caps;
  }

  private addMap(map: unknown, into: Set<string>): void {
    if (!map || typeof map !== "object" || Array.isArray(map)) return;
    for (const [cc, mask] of Object.entries(map as Record<string, unknown>)) {
      if (typeof mask === "number" && mask & (CAN_DECODE | CAN_FORWARD)) into.add(cc);
    }
  }

  /** Whether a track of `codec` may be sent to this player. */
  takes(codec: Codec): boolean {
    if (LEGACY.has(codec)) return true;
    const cc = FOURCC[codec];
    if (cc === undefined) return false;
    const set = codec === "opus" ? this.audio : this.video;
    return set.has("*") || set.has(cc);
  }

  /** The codecs spate could send that this player does not take, sorted (a writer key). */
  withheld(): Codec[] {
    return (Object.keys(FOURCC) as Codec[]).filter((c) => !this.takes(c)).sort();
  }
}
