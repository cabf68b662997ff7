import { describe, expect, test } from "bun:test";
import { FragmentMuxer } from "../formats/fmp4/fragment.ts";
import { CmafStampScanner } from "./cmaf-stamp-scanner.ts";
import { SyntheticStream } from "./synthetic.ts";

/** A CMAF chunk as the segmenter writes one: moof+mdat of video (track 1), then of audio (track 2). */
function chunk(stream: SyntheticStream, firstSeq: number, frames: number, sendMs: (seq: number) => number): Uint8Array {
  const video = new FragmentMuxer(1);
  const audio = new FragmentMuxer(2);
  for (let i = 0; i < frames; i++) {
    const seq = firstSeq + i;
    // Copies: the stream reuses its frame buffer.
    const body = stream.videoFrame(seq, sendMs(seq), i === 0).slice(5);
    video.push(seq * 3600, seq * 3600, i === 0, body);
    audio.push(seq * 1764, seq * 1764, true, stream.audioFrame.subarray(2));
  }
  const vs = video.encodedSize(1, 3600);
  const as = audio.encodedSize(1, 1764);
  const buf = new Uint8Array(vs + as);
  video.encodeTo(buf, 0);
  audio.encodeTo(buf, vs);
  return buf;
}

describe("CmafStampScanner", () => {
  const stream = new SyntheticStream({ bitrateMbps: 2.5, fps: 25, gopSeconds: 1 });

  test("finds every video frame's stamp, in order, and counts the audio", () => {
    const got: [number, number][] = [];
    const scanner = new CmafStampScanner({ onStamp: (seq, ms) => got.push([seq, ms]) });
    scanner.scan(chunk(stream, 100, 5, (seq) => 1_700_000_000_000 + seq * 40.5));
    expect(got).toEqual([100, 101, 102, 103, 104].map((s) => [s, 1_700_000_000_000 + s * 40.5]));
    expect(scanner.videoFrames).toBe(5);
    expect(scanner.audioFrames).toBe(5);
    expect(scanner.unstamped).toBe(0);
    expect(scanner.malformed).toBe(0);
  });

  test("skips other top-level boxes (styp) and counts truncated input as malformed, never throws", () => {
    const c = chunk(stream, 1, 3, () => 1000);
    const styp = new Uint8Array([0, 0, 0, 16, 0x73, 0x74, 0x79, 0x70, 0x6d, 0x73, 0x64, 0x68, 0, 0, 0, 0]);
    const withStyp = new Uint8Array(styp.length + c.length);
    withStyp.set(styp);
    withStyp.set(c, styp.length);
    let n = 0;
    const scanner = new CmafStampScanner({ onStamp: () => n++ });
    scanner.scan(withStyp);
    expect(n).toBe(3);
    for (let cut = 0; cut < c.length; cut += 97) {
      const s = new CmafStampScanner({ onStamp: () => {} });
      s.scan(c.subarray(0, cut));
    }
    const s = new CmafStampScanner({ onStamp: () => {} });
    s.scan(c.subarray(0, c.length - 10));
    expect(s.malformed).toBeGreaterThan(0);
  });
});
