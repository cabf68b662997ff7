/**
 * RTMP and RTMPS with ffmpeg as the real peer on both sides: publish lavfi H.264 + AAC, read it
 * back, and check what ffprobe sees in the file the reader wrote.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { assertMonotonicDts, ffprobe, makeTempDir, publishLavfi, readToFile, tempFile } from "./helpers/ffmpeg.ts";
import { sleep } from "./helpers/process.ts";
import { startSpate, type Spate } from "./helpers/server.ts";

const SECONDS = 5;
const FPS = 30;

let spate: Spate;
let certDir: string;

beforeAll(async () => {
  certDir = makeTempDir("spate-cert-");
  const made = spawnSync("openssl", [
    "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
    "-keyout", join(certDir, "key.pem"), "-out", join(certDir, "cert.pem"),
  ], { stdio: "pipe" });
  if (made.status !== 0) throw new Error(`openssl: ${made.stderr}`);
  spate = await startSpate([
    "--streams-grace-ms", "1000",
    "--rtmps-cert", join(certDir, "cert.pem"),
    "--rtmps-key", join(certDir, "key.pem"),
  ]);
});

afterAll(async () => {
  await spate?.stop();
});

/** Reader first (it waits for the path), then a publisher of SECONDS of media; returns the probe. */
async function roundTrip(url: string, file: string, opts: { bframes: boolean; size: string }) {
  const reading = readToFile(url, file, { seconds: 60, timeoutMs: 40_000 });
  await sleep(500);
  const pub = publishLavfi(url, { seconds: SECONDS, bframes: opts.bframes, size: opts.size, rate: FPS });
  const pubExit = await pub.done;
  expect(pubExit.code).toBe(0);
  await reading; // ends with end-of-stream after the grace period
  return ffprobe(file);
}

function checkProbe(probe: Awaited<ReturnType<typeof ffprobe>>, width: number, height: number) {
  expect(probe.video?.codec).toBe("h264");
  expect(probe.audio?.codec).toBe("aac");
  expect(probe.video?.width).toBe(width);
  expect(probe.video?.height).toBe(height);
  const sent = SECONDS * FPS;
  expect(probe.video!.packets.length).toBeGreaterThanOrEqual(Math.ceil(sent * 0.95));
  expect(probe.video!.packets[0]!.keyframe).toBe(true);
  // ~43 AAC frames a second at 44.1 kHz
  expect(probe.audio!.packets.length).toBeGreaterThanOrEqual(Math.floor(SECONDS * (44100 / 1024) * 0.95));
  assertMonotonicDts(probe.video!.packets, { label: "video" });
  assertMonotonicDts(probe.audio!.packets, { label: "audio" });
}

describe("RTMP with ffmpeg", () => {
  test("H.264 without B-frames + AAC round trip", async () => {
    const probe = await roundTrip(spate.rtmpUrl("live/a"), tempFile("a.flv"), { bframes: false, size: "640x360" });
    checkProbe(probe, 640, 360);
  }, 60_000);

  test("H.264 with B-frames + AAC round trip (composition offsets survive)", async () => {
    const probe = await roundTrip(spate.rtmpUrl("live/b"), tempFile("b.flv"), { bframes: true, size: "480x270" });
    checkProbe(probe, 480, 270);
    const v = probe.video!.packets;
    expect(v.some((p) => p.pts !== null && p.dts !== null && p.pts > p.dts)).toBe(true);
  }, 60_000);

  test("RTMPS with a self-signed certificate", async () => {
    const url = `rtmps://127.0.0.1:${spate.ports.rtmps}/live/tls`;
    const probe = await roundTrip(url, tempFile("tls.flv"), { bframes: false, size: "320x240" });
    checkProbe(probe, 320, 240);
  }, 60_000);
});
