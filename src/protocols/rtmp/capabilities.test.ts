import { describe, expect, test } from "bun:test";
import { CLIENT_FOURCC_INFO, PlayerCodecs } from "./capabilities.ts";

describe("PlayerCodecs (Enhanced RTMP connect capabilities)", () => {
  test("a legacy player (ffmpeg 5.1's connect object) takes H.264, AAC and MP3 only", () => {
    const c = PlayerCodecs.fromConnect({ app: "live", flashVer: "LNX 9,0,124,2", audioCodecs: 4071, videoCodecs: 252, videoFunction: 1 });
    expect(["h264", "aac", "mp3", "opus", "h265", "av1", "vp9", "vp8"].map((x) => c.takes(x as never))).toEqual([true, true, true, false, false, false, false, false]);
    expect(c.withheld()).toEqual(["av1", "h265", "opus", "vp8", "vp9"]);
  });

  test("v1 fourCcList names video codecs; v2 maps name audio and video with CanDecode/CanForward", () => {
    expect(PlayerCodecs.fromConnect({ fourCcList: ["hvc1", "av01"] }).withheld()).toEqual(["opus", "vp8", "vp9"]);
    const v2 = PlayerCodecs.fromConnect({ audioFourCcInfoMap: { Opus: 1 }, videoFourCcInfoMap: { vp09: 4, av01: 2 } });
    expect(v2.withheld()).toEqual(["av1", "h265", "vp8"]); // av01 with CanEncode only: not taken
  });

  test('"*" takes every codec of its kind; our own client announces both', () => {
    expect(PlayerCodecs.fromConnect({ fourCcList: ["*"] }).withheld()).toEqual(["opus"]); // v1: a video list
    expect(PlayerCodecs.fromConnect({ audioFourCcInfoMap: { "*": 1 } }).withheld()).toEqual(["av1", "h265", "vp8", "vp9"]);
    expect(PlayerCodecs.fromConnect(CLIENT_FOURCC_INFO).withheld()).toEqual([]);
  });

  test("junk in the command object is ignored, never thrown", () => {
    for (const o of [null, undefined, {}, { fourCcList: "Opus" }, { fourCcList: [1, null, {}] }, { audioFourCcInfoMap: ["Opus"] }, { audioFourCcInfoMap: { Opus: "1" } }, { videoFourCcInfoMap: null }]) {
      expect(PlayerCodecs.fromConnect(o as never).withheld()).toEqual(["av1", "h265", "opus", "vp8", "vp9"]);
    }
  });
});
