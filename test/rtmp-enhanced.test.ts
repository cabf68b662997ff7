/**
 * Enhanced RTMP through spate: H.265, AV1 and VP9 video (FourCC) with Opus audio, published and
 * played with our client (Debian's ffmpeg 5.1 predates Enhanced RTMP). The viewer must get the
 * publisher's decoder configurations byte for byte and every frame with its timestamp.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Codec } from "../src/core/track.ts";
import { FlvTag, decodeAudioTag, decodeVideoTag, writeAudioTagHeader, writeVideoTagHeader } from "../src/formats/flv/tag.ts";
import { RtmpClient } from "../src/protocols/rtmp/client.ts";
import { AUDIO, VIDEO } from "../src/protocols/rtmp/wire/message-types.ts";
import { concatBytes } from "../src/core/bytes.ts";
import { sleep } from "./helpers/process.ts";
import { startSpate, type Spate } from "./helpers/server.ts";

const fixture = (name: string) => new Uint8Array(readFileSync(join(import.meta.dir, "../src/codecs/testdata", name)));

let spate: Spate;
beforeAll(async () => {
  spate = await startSpate();
});
afterAll(async () => {
  await spate?.stop();
});

function videoTag(codec: Codec, kind: "config" | "frame", key: boolean, cts: number, payload: Uint8Array) {
  const head = new Uint8Array(16);
  return concatBytes([head.subarray(0, writeVideoTagHeader(head, 0, codec, kind, key, cts)), payload]);
}
function audioTag(codec: Codec, kind: "config" | "frame", payload: Uint8Array) {
  const head = new Uint8Array(16);
  return concatBytes([head.subarray(0, writeAudioTagHeader(head, 0, codec, kind)), payload]);
}

const CASES: { codec: Codec; config: Uint8Array; key: Uint8Array; inter: Uint8Array; width: number; height: number }[] = [
  // H.265 frames: one length-prefixed NAL (IDR_W_RADL = 19, TRAIL_R = 1); content is not decoded here.
  { codec: "h265", config: fixture("h265-main-426x240.hvcc"), key: Uint8Array.of(0, 0, 0, 4, 19 << 1, 1, 0xaf, 0x20), inter: Uint8Array.of(0, 0, 0, 4, 1 << 1, 1, 0xd0, 0x10), width: 426, height: 240 },
  { codec: "av1", config: fixture("av1-64.av1c"), key: fixture("av1-64-key.obu"), inter: fixture("av1-64-inter.obu"), width: 64, height: 64 },
  { codec: "vp9", config: fixture("vp9-64.vpcc"), key: fixture("vp9-64-key.bin"), inter: fixture("vp9-64-inter.bin"), width: 64, height: 64 },
];

describe("Enhanced RTMP", () => {
  for (const c of CASES) {
    test(`${c.codec} + Opus: configurations and frames arrive unchanged`, async () => {
      const path = `enh/${c.codec}`;
      const pub = await RtmpClient.connect(spate.rtmpUrl(path));
      await pub.publish();
      const opusHead = fixture("opus-stereo.opushead");
      pub.sendVideo(0, videoTag(c.codec, "config", true, 0, c.config));
      pub.sendAudio(0, audioTag("opus", "config", opusHead));

      const got = { videoConfig: null as Uint8Array | null, audioConfig: null as Uint8Array | null, frames: [] as { ts: number; key: boolean; cts: number }[], audio: 0 };
      const tag = new FlvTag();
      const viewer = await RtmpClient.connect(spate.rtmpUrl(path), {
        onMessage: (type, ts, body) => {
          if (type === VIDEO) {
            decodeVideoTag(body, tag);
            if (tag.kind === "config") got.videoConfig = body.slice(tag.payloadOffset, tag.payloadOffset + tag.payloadLength);
            else if (tag.kind === "frame") got.frames.push({ ts, key: tag.keyframe, cts: tag.cts });
            expect(tag.codec).toBe(c.codec);
            expect(tag.enhanced).toBe(true);
          } else if (type === AUDIO) {
            decodeAudioTag(body, tag);
            expect(tag.codec).toBe("opus");
            if (tag.kind === "config") got.audioConfig = body.slice(tag.payloadOffset, tag.payloadOffset + tag.payloadLength);
            else if (tag.kind === "frame") got.audio++;
          }
        },
      });
      await viewer.play();
      const opusPacket = Uint8Array.of(0xfc, 0xff, 0xfe); // TOC: 20 ms CELT frame
      for (let i = 0; i < 30; i++) {
        const key = i % 10 === 0;
        pub.sendVideo(i * 40, videoTag(c.codec, "frame", key, c.codec === "h265" ? 40 : 0, key ? c.key : c.inter));
        pub.sendAudio(i * 40, audioTag("opus", "frame", opusPacket));
        pub.sendAudio(i * 40 + 20, audioTag("opus", "frame", opusPacket));
        await sleep(5);
      }
      const until = Date.now() + 5000;
      while ((got.frames.length < 30 || got.audio < 60) && Date.now() < until) await sleep(50);
      expect(got.videoConfig).toEqual(c.config);
      expect(got.audioConfig).toEqual(opusHead);
      expect(got.frames.length).toBe(30);
      expect(got.audio).toBe(60);
      expect(got.frames.map((f) => f.ts)).toEqual(Array.from({ length: 30 }, (_, i) => i * 40));
      expect(got.frames.filter((f) => f.key).length).toBe(3);
      if (c.codec === "h265") expect(got.frames.every((f) => f.cts === 40)).toBe(true);
      const s = await spate.api(`/api/v1/streams/${path}`);
      expect(s.tracks.map((t: any) => t.codec).sort()).toEqual([c.codec, "opus"].sort());
      const v = s.tracks.find((t: any) => t.kind === "video");
      expect({ w: v.width, h: v.height }).toEqual({ w: c.width, h: c.height });
      expect(s.tracks.find((t: any) => t.kind === "audio")).toMatchObject({ sampleRate: 48000, channels: 2 });
      pub.close();
      viewer.close();
    }, 20_000);
  }
});
