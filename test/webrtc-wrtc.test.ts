/**
 * WHIP and WHEP with @roamhq/wrtc (libwebrtc in-process) on both ends: a wrtc publisher (synthetic
 * 640x360 30 fps picture with detail, a 48 kHz sine) forced to VP8 in one run and AV1 in another,
 * with Opus, watched by a wrtc viewer that joins the running stream over WHEP. Over 10 s, sampled
 * every second: frames decoded and audio samples keep rising, the viewer decodes most of what was
 * sent in that window, no frame gap longer than 700 ms from its first frame on (a join that breaks
 * the decoder's reference chain freezes until the next key frame), and nothing is lost on loopback.
 * The stream API names the codecs; the AV1 stream also decodes as LL-HLS (fMP4, av1C) in ffmpeg's
 * dav1d. A VP8 publisher that leaves and another that comes back on the path: the viewer that
 * stayed decodes the new one at once (its PictureIDs continue the old one's). Across
 * implementations: AV1 + Opus both ways (Chromium publishes to a wrtc viewer, wrtc publishes to a
 * Chromium viewer) and wrtc VP8 + Opus to Chromium.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { launchChromium, type Browser } from "./helpers/browser.ts";
import { tempFile } from "./helpers/ffmpeg.ts";
import { downloadSegments, waitSegments } from "./helpers/hls.ts";
import { describeExit, spawnBounded } from "./helpers/process.ts";
import { startSpate, type Spate } from "./helpers/server.ts";
import { serveWebRtcPage, waitFor, webrtcPage, type WebRtcPageServer } from "./helpers/webrtc.ts";
import { WrtcPublisher, WrtcViewer, type WrtcVideoCodec } from "./helpers/wrtc-peer.ts";

let spate: Spate;

beforeAll(async () => {
  spate = await startSpate();
});

afterAll(async () => {
  await spate?.stop();
});

/** A viewer's inbound video and audio as getStats gives them, in wrtc or in Chromium. */
interface ViewerMedia {
  video: { framesDecoded?: number; packetsLost: number } | null;
  audio: { totalSamplesReceived?: number; packetsLost: number } | null;
}

/** `n + 1` samples a second apart, the first at once. */
async function everySecond<T>(n: number, read: () => Promise<T>): Promise<T[]> {
  const out: T[] = [await read()];
  for (let i = 0; i < n; i++) {
    await Bun.sleep(1000);
    out.push(await read());
  }
  return out;
}

/** Video decoded and audio samples received. */
const decoding = (m: ViewerMedia): boolean => (m.video?.framesDecoded ?? 0) > 0 && (m.audio?.totalSamplesReceived ?? 0) > 0;

/** Every sample has more frames decoded and more audio samples than the one before. */
function expectRising(label: string, samples: ViewerMedia[]): void {
  for (let i = 1; i < samples.length; i++) {
    const [a, b] = [samples[i - 1]!, samples[i]!];
    const video = (b.video?.framesDecoded ?? 0) > (a.video?.framesDecoded ?? 0);
    const audio = (b.audio?.totalSamplesReceived ?? 0) > (a.audio?.totalSamplesReceived ?? 0);
    expect({ label, i, video, audio }).toEqual({ label, i, video: true, audio: true });
  }
}

/** From the first sample to the last: frames decoded, audio samples, and packets lost (video, audio) by the end. */
function windowFigures(samples: ViewerMedia[]): { framesDecoded: number; audioSamples: number; lost: number[] } {
  const [first, last] = [samples[0]!, samples[samples.length - 1]!];
  return {
    framesDecoded: (last.video?.framesDecoded ?? 0) - (first.video?.framesDecoded ?? 0),
    audioSamples: (last.audio?.totalSamplesReceived ?? 0) - (first.audio?.totalSamplesReceived ?? 0),
    lost: [last.video?.packetsLost ?? -1, last.audio?.packetsLost ?? -1],
  };
}

const frames = (s: any, kind: string): number => s?.tracks?.find((t: any) => t.kind === kind)?.frames ?? 0;

async function streamInfo(path: string): Promise<any> {
  const r = await spate.request(`/api/v1/streams/${path}`);
  return r.ok ? r.json() : null;
}

/** Decodes a file with ffprobe -count_frames: frames decoded per stream type, and its error output. */
async function decodeCount(file: string): Promise<{ video: number; audio: number; errors: string }> {
  const exit = await spawnBounded(["ffprobe", "-v", "error", "-count_frames", "-show_entries", "stream=codec_type,codec_name,nb_read_frames", "-of", "json", file], { timeoutMs: 60_000 }).done;
  if (exit.code !== 0) throw new Error(describeExit("ffprobe", exit));
  const streams = (JSON.parse(exit.stdout).streams ?? []) as { codec_type: string; nb_read_frames?: string }[];
  const count = (type: string) => Number(streams.find((s) => s.codec_type === type)?.nb_read_frames ?? 0);
  return { video: count("video"), audio: count("audio"), errors: exit.stderr.trim() };
}

async function publishAndWatch(codec: WrtcVideoCodec, alsoHls: boolean): Promise<void> {
  const path = `live/wrtc-${codec}`;
  const pub = await WrtcPublisher.start(spate.httpUrl(`/${path}/whip`), { codec, maxMs: 45_000 });
  try {
    const info = await waitFor(`${codec} video and audio frames in ${path}`, async () => {
      const s = await streamInfo(path);
      return frames(s, "video") > 30 && frames(s, "audio") > 50 ? s : null;
    }, 15_000);
    const video = info.tracks.find((t: any) => t.kind === "video");
    const audio = info.tracks.find((t: any) => t.kind === "audio");
    expect({ codec: video.codec, width: video.width, height: video.height }).toEqual({ codec, width: 640, height: 360 });
    expect(video.codecString).toStartWith(codec === "av1" ? "av01.0." : codec === "vp8" ? "vp08." : "vp09.");
    expect(audio.codec).toBe("opus");
    expect(info.publisher.protocol).toBe("webrtc");

    const hls = alsoHls ? waitSegments(spate, `/${path}`, 2, 25_000) : null;
    hls?.catch(() => {}); // awaited below; not an unhandled rejection meanwhile
    await Bun.sleep(1500); // a viewer joining a running stream, between key frames
    const view = await WrtcViewer.start(spate.httpUrl(`/${path}/whep`));
    try {
      await waitFor("video and audio decoded at the viewer", async () => {
        return decoding(await view.stats()) && view.framesReceived > 0 && view.audioSamples > 0;
      }, 10_000);
      const samples = await everySecond(10, async () => ({ stats: await view.stats(), sinkFrames: view.framesReceived, sinkSamples: view.audioSamples, sent: pub.framesSent }));
      expectRising("wrtc viewer, getStats", samples.map((x) => x.stats));
      expectRising("wrtc viewer, sinks", samples.map((x) => ({ video: { framesDecoded: x.sinkFrames, packetsLost: 0 }, audio: { totalSamplesReceived: x.sinkSamples, packetsLost: 0 } })));
      const [first, last] = [samples[0]!, samples[samples.length - 1]!];
      const sent = last.sent - first.sent;
      const figures = {
        codec,
        framesSent: sent,
        ...windowFigures(samples.map((x) => x.stats)),
        sinkFrames: last.sinkFrames - first.sinkFrames,
        sinkAudioSamples: last.sinkSamples - first.sinkSamples,
        videoPackets: last.stats.video!.packetsReceived,
        keyFramesDecoded: last.stats.video!.keyFramesDecoded,
        decoder: last.stats.video!.decoder,
        firstFrameMs: Math.round(view.firstFrameAtMs - view.postedAtMs),
        longestGapMs: Math.round(view.longestGapMs),
      };
      const after = await streamInfo(path);
      const ingestLost = after.publisher.stats.tracks.map((t: any) => `${t.codec} ${t.lost}`).join(", ");
      console.log(`wrtc WHIP -> spate -> wrtc WHEP over 10 s: ${JSON.stringify(figures)} (ingest lost: ${ingestLost}; viewer skips ${after.viewerSkips})`);
      expect(last.stats.video!.mimeType).toBe(codec === "av1" ? "video/AV1" : `video/${codec.toUpperCase()}`);
      expect(last.stats.audio!.mimeType).toBe("audio/opus");
      expect(last.sinkFrames > 0 && view.width === 640 && view.height === 360).toBe(true);
      // Most of what was sent in the window is decoded (generous: 2 shared cores run both peers).
      expect(sent).toBeGreaterThan(150);
      expect(figures.framesDecoded).toBeGreaterThanOrEqual(Math.floor(sent * 0.6));
      // ~480,000 samples in 10 s at 48 kHz; at least half of them.
      expect(figures.audioSamples).toBeGreaterThan(240_000);
      expect(figures.lost).toEqual([0, 0]);
      expect(figures.longestGapMs).toBeLessThan(700);
      for (const t of after.publisher.stats.tracks) expect({ codec: t.codec, lost: t.lost, repeatedTimestamps: t.repeatedTimestamps }).toEqual({ codec: t.codec, lost: 0, repeatedTimestamps: 0 });
      expect((await spate.api("/api/v1/server")).webrtc.sessions).toEqual({ whip: 1, whep: 1 });

      if (hls) {
        const pl = await hls;
        const file = await downloadSegments(spate, `/${path}`, pl, tempFile(`wrtc-${codec}-hls.mp4`));
        const got = await decodeCount(file);
        console.log(`LL-HLS of the wrtc ${codec} stream, ${pl.segments.length} segments: ${JSON.stringify(got)}`);
        expect(got.errors).toBe("");
        expect(got.video).toBeGreaterThan(30);
        expect(got.audio).toBeGreaterThan(50);
      }
      expect(await view.stop()).toBe(200);
    } finally {
      await view.stop();
    }
    expect((await spate.api("/api/v1/server")).webrtc.sessions).toEqual({ whip: 1, whep: 0 });
    expect(await pub.stop()).toBe(200);
    expect((await streamInfo(path))?.state).not.toBe("live");
  } finally {
    await pub.stop();
  }
}

describe("@roamhq/wrtc publishes over WHIP and plays over WHEP", () => {
  test("VP8 + Opus: 10 s decoded, audio rising, nothing lost", () => publishAndWatch("vp8", false), 45_000);
  test("AV1 + Opus: 10 s decoded, audio rising, nothing lost; LL-HLS of it decodes", () => publishAndWatch("av1", true), 60_000);
});

type ChromiumStats = ViewerMedia & { video: { frameWidth?: number } | null };

test("VP8 + Opus: the publisher leaves and another comes back within the grace period: the same wrtc viewer decodes it at once, no freeze, nothing lost", async () => {
  const path = "live/wrtc-return";
  let a: WrtcPublisher | null = await WrtcPublisher.start(spate.httpUrl(`/${path}/whip`), { codec: "vp8", maxMs: 30_000 });
  let b: WrtcPublisher | null = null;
  let view: WrtcViewer | null = null;
  try {
    await waitFor("the first publisher live", async () => frames(await streamInfo(path), "video") > 10, 15_000);
    view = await WrtcViewer.start(spate.httpUrl(`/${path}/whep`));
    await waitFor("the viewer decoding", async () => decoding(await view!.stats()), 10_000);
    await Bun.sleep(1000);
    expect(await a.stop()).toBe(200);
    a = null;
    await Bun.sleep(1000); // well within the default 10 s grace
    const before = view.framesReceived;
    view.resetGap(); // from the second publisher's first frame on
    const back = performance.now();
    b = await WrtcPublisher.start(spate.httpUrl(`/${path}/whip`), { codec: "vp8", maxMs: 30_000 });
    await waitFor("a frame of the second publisher at the viewer", () => view!.framesReceived > before, 10_000, 20);
    const resumeMs = Math.round(performance.now() - back);
    const samples = await everySecond(3, () => view!.stats());
    expectRising("wrtc viewer after the return", samples);
    const figures = { resumeMs, ...windowFigures(samples), longestGapMs: Math.round(view.longestGapMs), state: view.pc.connectionState };
    console.log(`VP8 publisher back after 1 s: ${JSON.stringify(figures)}`);
    expect(figures.framesDecoded).toBeGreaterThan(45);
    expect(figures.lost).toEqual([0, 0]);
    expect(figures.longestGapMs).toBeLessThan(700);
    // Time to connect the second publisher (ICE, DTLS) and for its first key frame: seconds at most.
    expect(resumeMs).toBeLessThan(5000);
    expect((await spate.api("/api/v1/server")).webrtc.sessions).toEqual({ whip: 1, whep: 1 });
  } finally {
    await view?.stop();
    await a?.stop();
    await b?.stop();
  }
}, 40_000);

describe("across implementations (Chromium)", () => {
  let browser: Browser;
  let pages: WebRtcPageServer;
  beforeAll(async () => {
    browser = await launchChromium();
    pages = serveWebRtcPage();
  });
  afterAll(async () => {
    await browser?.close();
    pages?.stop();
  });

  const waitStream = async (path: string, codecs: string[]) => {
    const s = await waitFor(`video and audio in ${path}`, async () => {
      const s = await streamInfo(path);
      return frames(s, "video") > 10 && frames(s, "audio") > 20 ? s : null;
    }, 15_000);
    expect(s.tracks.map((t: any) => t.codec).sort()).toEqual(codecs);
  };

  test("AV1 + Opus: Chromium WHIP -> wrtc WHEP and wrtc WHIP -> Chromium WHEP, 5 s each, no freeze, nothing lost", async () => {
    let pub: WrtcPublisher | null = null;
    let view: WrtcViewer | null = null;
    const chromePub = await webrtcPage(browser, pages);
    const chromeView = await webrtcPage(browser, pages);
    try {
      await chromePub.evaluate(`publish(${JSON.stringify(spate.httpUrl("/live/chromium-av1/whip"))}, "av1")`);
      pub = await WrtcPublisher.start(spate.httpUrl("/live/wrtc-av1-x/whip"), { codec: "av1", maxMs: 30_000 });
      await waitStream("live/chromium-av1", ["av1", "opus"]);
      await waitStream("live/wrtc-av1-x", ["av1", "opus"]);
      view = await WrtcViewer.start(spate.httpUrl("/live/chromium-av1/whep"));
      await chromeView.evaluate(`play(${JSON.stringify(spate.httpUrl("/live/wrtc-av1-x/whep"))})`);
      const read = async () => ({ wrtc: await view!.stats(), chromium: (await chromeView.evaluate("viewerStats()")) as ChromiumStats });
      await waitFor("both viewers decoding", async () => {
        const r = await read();
        return decoding(r.wrtc) && decoding(r.chromium);
      }, 10_000);
      await chromeView.evaluate("startFreezeWatch()");
      const samples = await everySecond(5, read);
      const freeze = (await chromeView.evaluate("freezeReport()")) as { longestMs: number };
      expectRising("Chromium -> wrtc", samples.map((x) => x.wrtc));
      expectRising("wrtc -> Chromium", samples.map((x) => x.chromium));
      const last = samples[samples.length - 1]!;
      const figures = {
        chromiumToWrtc: { ...windowFigures(samples.map((x) => x.wrtc)), longestGapMs: Math.round(view.longestGapMs), decoder: last.wrtc.video!.decoder },
        wrtcToChromium: { ...windowFigures(samples.map((x) => x.chromium)), longestGapMs: Math.round(freeze.longestMs), width: last.chromium.video!.frameWidth },
      };
      console.log(`AV1 + Opus across implementations over 5 s: ${JSON.stringify(figures)}`);
      expect(last.wrtc.video!.mimeType).toBe("video/AV1");
      // Chromium's fake camera runs at 20 fps or so here; wrtc's source at 30 fps: a generous floor for both.
      expect(figures.chromiumToWrtc.framesDecoded).toBeGreaterThan(40);
      expect(figures.wrtcToChromium.framesDecoded).toBeGreaterThan(60);
      expect(figures.chromiumToWrtc.audioSamples).toBeGreaterThan(120_000);
      expect(figures.wrtcToChromium.audioSamples).toBeGreaterThan(120_000);
      expect([...figures.chromiumToWrtc.lost, ...figures.wrtcToChromium.lost]).toEqual([0, 0, 0, 0]);
      expect([figures.chromiumToWrtc.longestGapMs < 700, figures.wrtcToChromium.longestGapMs < 700]).toEqual([true, true]);
      expect(await view.stop()).toBe(200);
      expect(await chromeView.evaluate("stopViewer(true)")).toBe(200);
      expect(await chromePub.evaluate("unpublish()")).toBe(200);
    } finally {
      await view?.stop();
      await pub?.stop();
      await chromePub.close();
      await chromeView.close();
    }
  }, 45_000);

  test("VP8 + Opus: wrtc WHIP -> Chromium WHEP joining the running stream, 5 s decoded, no freeze, nothing lost", async () => {
    const path = "live/wrtc-vp8-x";
    const pub = await WrtcPublisher.start(spate.httpUrl(`/${path}/whip`), { codec: "vp8", maxMs: 30_000 });
    const page = await webrtcPage(browser, pages);
    try {
      await waitStream(path, ["opus", "vp8"]);
      await Bun.sleep(1500); // between key frames
      await page.evaluate(`play(${JSON.stringify(spate.httpUrl(`/${path}/whep`))})`);
      expect((await page.evaluate("timeToFirstFrame(5000)")) as number).toBeGreaterThan(0);
      await page.evaluate("startFreezeWatch()");
      const samples = await everySecond(5, async () => (await page.evaluate("viewerStats()")) as ChromiumStats);
      const freeze = (await page.evaluate("freezeReport()")) as { longestMs: number };
      expectRising("wrtc -> Chromium", samples);
      const figures = { ...windowFigures(samples), longestGapMs: Math.round(freeze.longestMs) };
      console.log(`VP8 + Opus wrtc -> Chromium over 5 s: ${JSON.stringify(figures)}`);
      expect(figures.framesDecoded).toBeGreaterThan(75);
      expect(figures.audioSamples).toBeGreaterThan(120_000);
      expect(figures.lost).toEqual([0, 0]);
      expect(figures.longestGapMs).toBeLessThan(700);
      expect(await page.evaluate("stopViewer(true)")).toBe(200);
    } finally {
      await pub.stop();
      await page.close();
    }
  }, 40_000);
});
