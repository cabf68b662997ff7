/**
 * Synthetic tracks and frames for the muxer tests and the round trip: H.264 with B-frames (pts ≠ dts),
 * H.265, AAC and Opus, with configurations from the codec fixtures.
 */
import { buildAudioSpecificConfig } from "../../codecs/aac.ts";
import { describeConfig } from "../../codecs/describe.ts";
import { buildAvcConfig, parseAvcConfig } from "../../codecs/h264.ts";
import { fixture } from "../../codecs/h264.cases.ts";
import { buildHevcConfig, parseHevcConfig } from "../../codecs/h265.ts";
import { buildOpusHead } from "../../codecs/opus.ts";
import { Frame } from "../../core/frame.ts";
import { Track, type Codec } from "../../core/track.ts";
import { fakeNal, lengthPrefixed } from "./ts-build.ts";

export function makeTrack(id: number, codec: Codec): Track {
  let config: Uint8Array;
  let clock = 90000;
  if (codec === "h264") {
    const c = parseAvcConfig(fixture("h264-baseline-240p.avcc"));
    config = buildAvcConfig(c.sps, c.pps);
  } else if (codec === "h265") {
    const c = parseHevcConfig(fixture("h265-main-426x240.hvcc"));
    config = buildHevcConfig(c.vps, c.sps, c.pps);
  } else if (codec === "aac") {
    config = buildAudioSpecificConfig({ objectType: 2, sampleRate: 48000, channels: 2 });
    clock = 48000;
  } else if (codec === "opus") {
    config = buildOpusHead({ channels: 2, preSkip: 0 });
    clock = 48000;
  } else throw new Error(`no fixture track for ${codec}`);
  const t = new Track(id, codec, clock);
  t.setConfig(config, describeConfig(codec, config));
  return t;
}

function frame(track: number, dts: number, pts: number, keyframe: boolean, payload: Uint8Array): Frame {
  const f = new Frame();
  f.track = track;
  f.dts = dts;
  f.pts = pts;
  f.keyframe = keyframe;
  f.payload = payload;
  return f;
}

/**
 * `seconds` of media at `fps` (GOP of `gop` frames, IBBP order: pts ≠ dts) and audio frames of
 * `audioSamples` at 48 kHz, interleaved by dts as an ingest would commit them.
 */
export function makeFrames(video: { id: number; codec: "h264" | "h265"; fps: number; gop: number } | null, audio: { id: number; samples: number } | null, seconds: number): Frame[] {
  const out: Frame[] = [];
  if (video) {
    const dur = 90000 / video.fps;
    const n = Math.round(seconds * video.fps);
    for (let i = 0; i < n; i++) {
      const inGop = i % video.gop;
      const key = inGop === 0;
      // Decode order I P B B P B B ...: display shifts B-frames back, references forward.
      const reorder = key ? 0 : inGop % 3 === 1 ? 2 : -1;
      const dts = i * dur;
      const pts = dts + dur + reorder * dur;
      const header = video.codec === "h264" ? [key ? 0x65 : 0x41] : key ? [0x26, 0x01] : [0x02, 0x01];
      const size = key ? 3000 + (i % 7) * 10 : 200 + (i % 13) * 37;
      out.push(frame(video.id, Math.round(dts), Math.round(pts), key, lengthPrefixed(fakeNal(header, size, i))));
    }
  }
  if (audio) {
    const n = Math.floor((seconds * 48000) / audio.samples);
    for (let i = 0; i < n; i++) {
      const payload = audio.samples === 960 ? fakeNal([0xfc], 120 + (i % 5), i) : fakeNal([0x21, i & 0xff], 150 + (i % 9), i);
      out.push(frame(audio.id, i * audio.samples, i * audio.samples, true, payload));
    }
  }
  const sec = (f: Frame) => f.dts / (video && f.track === video.id ? 90000 : 48000);
  return out.sort((a, b) => sec(a) - sec(b));
}
