/**
 * WHEP fan-out without a browser: 100 viewers (test/helpers/whep-client.ts: ICE checks, werift's
 * DTLS client, our SRTP) of one ffmpeg RTMP stream (H.264, ~1.5 Mbit/s) for 5 s. Every viewer gets
 * the stream with no packet lost on loopback; the server's CPU over those seconds is printed.
 * Viewers that vanish without DELETE are dropped by consent freshness.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { publishLavfi, type Publisher } from "./helpers/ffmpeg.ts";
import { startSpate, type Spate } from "./helpers/server.ts";
import { waitFor } from "./helpers/webrtc.ts";
import { WhepClient } from "./helpers/whep-client.ts";

const PATH = "live/fanout";
const VIEWERS = Number(process.env.WHEP_VIEWERS ?? 100);
let spate: Spate;
let ff: Publisher;

/** utime + stime of a process, in ms (Linux /proc; clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

beforeAll(async () => {
  spate = await startSpate(["--webrtc-consent-timeout-ms", "3000"]);
  ff = publishLavfi(spate.rtmpUrl(PATH), { gop: 60, tone: false, extraArgs: ["-b:v", "1500k"] });
  await waitFor("RTMP stream live", async () => {
    const r = await spate.request(`/api/v1/streams/${PATH}`);
    return r.ok && ((await r.json()) as { tracks: unknown[] }).tracks.length > 0;
  }, 15_000);
});

afterAll(async () => {
  await ff?.stop(1000);
  await spate?.stop();
});

test(`${VIEWERS} WHEP viewers in one process: all receive, nothing lost; vanished viewers dropped by consent`, async () => {
  const viewers: WhepClient[] = [];
  try {
    for (let i = 0; i < VIEWERS; i++) viewers.push(await WhepClient.start(spate.httpUrl(`/${PATH}/whep`)));
    await waitFor("every viewer's DTLS done and media flowing", () => viewers.every((v) => v.packets() > 0), 15_000);
    await Bun.sleep(1000); // the test process is busy with 100 DTLS handshakes first: its own sockets overflow then
    const before = viewers.map((v) => v.packets());
    const lostBefore = viewers.reduce((a, v) => a + v.lost(), 0);
    const cpu0 = cpuMs(spate.pid);
    const t0 = performance.now();
    await Bun.sleep(5000);
    const cpu = (cpuMs(spate.pid) - cpu0) / (performance.now() - t0);
    const got = viewers.map((v, i) => v.packets() - before[i]!);
    const total = got.reduce((a, b) => a + b, 0);
    const lost = viewers.reduce((a, v) => a + v.lost(), 0) - lostBefore;
    const reordered = viewers.reduce((a, v) => a + v.reordered(), 0);
    const failed = viewers.reduce((a, v) => a + v.unprotectFailed, 0);
    console.log(`${VIEWERS} WHEP viewers, 5 s: server CPU ${(cpu * 100).toFixed(0)} % of a core; ${total} packets received (min ${Math.min(...got)} per viewer), ${lost} lost (${lostBefore} during the handshakes), ${reordered} reordered, ${failed} SRTP failures`);
    console.log(`server: ${JSON.stringify((await spate.api("/api/v1/server")).webrtc)}`);
    expect(Math.min(...got)).toBeGreaterThan(100);
    expect(lost).toBe(0);
    expect(failed).toBe(0);
    expect((await spate.api("/api/v1/server")).webrtc.sessions.whep).toBe(VIEWERS);
    // Half leave with DELETE, half just go: all gone within the consent timeout.
    await Promise.all(viewers.map((v, i) => v.stop(i % 2 === 0)));
    await waitFor("all WHEP sessions gone", async () => (await spate.api("/api/v1/server")).webrtc.sessions.whep === 0, 6000);
    const s = await spate.api(`/api/v1/streams/${PATH}`);
    expect(s.readerCount).toBe(0);
  } finally {
    await Promise.all(viewers.map((v) => v.stop(false).catch(() => {})));
  }
}, 60_000);
