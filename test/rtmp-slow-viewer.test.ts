/**
 * Viewers that stop reading (their TCP window closes) and viewers that read too slowly, against a
 * real server over real sockets. The bound stated and checked here: a stalled viewer holds no media
 * of its own (it is a cursor into the stream's shared ring; the kernel's socket buffer is the only
 * queue), so five stalled viewers add less than STALL_RSS_BOUND_MB to the server's resident memory,
 * and each is disconnected viewerDropMs after its socket stopped taking bytes.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { RtmpClient } from "../src/protocols/rtmp/client.ts";
import { VIDEO } from "../src/protocols/rtmp/wire/message-types.ts";
import { openRawPlayer, type RawPlayer } from "../src/bench/raw-player.ts";
import { publishLavfi, type Publisher } from "./helpers/ffmpeg.ts";
import { sleep } from "./helpers/process.ts";
import { startSpate, type Spate } from "./helpers/server.ts";

const STALL_RSS_BOUND_MB = 24;
const DROP_MS = 4000;

let spate: Spate;
let pub: Publisher;

beforeAll(async () => {
  spate = await startSpate(["--streams-viewer-drop-ms", String(DROP_MS), "--streams-max-viewer-lag-ms", "1000"]);
  pub = publishLavfi(spate.rtmpUrl("live/slow"), { size: "640x360", extraArgs: ["-b:v", "2500k", "-minrate", "2500k", "-maxrate", "2500k", "-bufsize", "1000k"] });
});

afterAll(async () => {
  await pub?.stop();
  await spate?.stop();
});

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) / 1024 : Number.NaN;
}

function rawPlayer(port: number, path: string): Promise<RawPlayer> {
  return openRawPlayer("127.0.0.1", port, path);
}

async function waitFor<T>(what: string, get: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const until = Date.now() + timeoutMs;
  let v = await get();
  while (!ok(v) && Date.now() < until) {
    await sleep(200);
    v = await get();
  }
  if (!ok(v)) throw new Error(`${what}: still ${JSON.stringify(v)} after ${timeoutMs} ms`);
  return v;
}

test("stalled viewers cost no media memory, are dropped, and the healthy viewer keeps receiving", async () => {
  await waitFor("stream live", () => spate.request("/api/v1/streams/live/slow").then((r) => r.status), (s) => s === 200, 15_000);
  let frames = 0;
  const healthy = await RtmpClient.connect(spate.rtmpUrl("live/slow"), {
    onMessage: (type, _ts, body) => {
      if (type === VIDEO && body[1] === 1) frames++;
    },
  });
  await healthy.play();
  await sleep(2500);
  const base = rssMb(spate.pid);

  const stalled = await Promise.all(Array.from({ length: 5 }, () => rawPlayer(spate.ports.rtmp, "live/slow")));
  await waitFor("readers", () => spate.api("/api/v1/streams/live/slow").then((s) => s.readers.rtmp), (n) => n === 6, 5000);
  await sleep(300);
  for (const s of stalled) s.pause(); // stop reading: the kernel buffers fill, the TCP window closes
  let peak = base;
  const framesBefore = frames;
  for (let i = 0; i < 14; i++) {
    await sleep(250);
    peak = Math.max(peak, rssMb(spate.pid));
  }
  console.log(`server RSS: ${base.toFixed(1)} MB with one viewer, peak ${peak.toFixed(1)} MB with 5 stalled viewers (bound +${STALL_RSS_BOUND_MB} MB)`);
  expect(peak - base).toBeLessThan(STALL_RSS_BOUND_MB);

  const s = await waitFor(
    "stalled viewers dropped",
    () => spate.api("/api/v1/streams/live/slow"),
    (s) => s.droppedViewers === 5 && s.readers.rtmp === 1,
    DROP_MS + 6000,
  );
  expect(s.readers.rtmp).toBe(1);
  // The healthy viewer kept getting ~30 fps all along.
  const elapsedS = 3.5;
  expect(frames - framesBefore).toBeGreaterThan(elapsedS * 30 * 0.9);
  healthy.close();
  for (const x of stalled) x.close();
}, 60_000);

test("a viewer that stops reading for a while resumes at a keyframe, not at its backlog", async () => {
  const before = (await spate.api("/api/v1/streams/live/slow")).viewerSkips;
  const slow = await rawPlayer(spate.ports.rtmp, "live/slow");
  try {
    await sleep(1000);
    slow.pause(); // 2.5 s without reading or acknowledging: more than maxViewerLagMs behind
    await sleep(2500);
    slow.resume();
    const s = await waitFor("skips", () => spate.api("/api/v1/streams/live/slow"), (s) => s.viewerSkips > before, 10_000);
    expect(s.viewerSkips).toBeGreaterThan(before);
    expect(s.droppedViewers).toBe(5); // only the stalled ones of the previous test
    expect(s.readers.rtmp).toBe(1);
  } finally {
    slow.close();
  }
}, 30_000);
