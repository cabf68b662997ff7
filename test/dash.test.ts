/**
 * Low-latency DASH from a real spate fed by ffmpeg over RTMP (H.264 with B-frames + AAC): the MPD,
 * /time, per-track init and segments decoded by ffprobe, a segment requested while it is being cut
 * arriving chunk by chunk (chunked transfer) with the same bytes as the finished segment, and
 * ffmpeg reading the MPD as a plain client.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { getBytes, waitLive, waitSegments } from "./helpers/hls.ts";
import { assertMonotonicDts, decodeErrors, ffprobe, publishLavfi, readToFile, tempFile, type Publisher } from "./helpers/ffmpeg.ts";
import { sleep } from "./helpers/process.ts";
import { startSpate, type Spate } from "./helpers/server.ts";

const PATH = "live/dash";
const BASE = `/${PATH}`;

let spate: Spate;
let pub: Publisher;

beforeAll(async () => {
  spate = await startSpate();
  pub = publishLavfi(spate.rtmpUrl(PATH), { bframes: true, gop: 30, size: "640x360", seconds: 40 });
  await waitLive(spate, PATH);
});

afterAll(async () => {
  await pub?.stop(1000);
  await spate?.stop();
});

describe("low-latency DASH", () => {
  test("the MPD is dynamic, low-latency, with a ServiceDescription and UTCTiming to /time", async () => {
    const r = await spate.request(`${BASE}/index.mpd`);
    expect(r.status).toBe(200);
    expect(r.headers.get("content-type")).toBe("application/dash+xml");
    expect(r.headers.get("cache-control")).toBe("no-cache");
    expect(r.headers.get("access-control-allow-origin")).toBe("*");
    const mpd = await r.text();
    expect(mpd).toContain('type="dynamic"');
    expect(mpd).toContain('availabilityTimeComplete="false"');
    expect(mpd).toMatch(/availabilityTimeOffset="0\.\d+"/);
    expect(mpd).toContain('<Latency referenceId="0" target="1100"');
    expect(mpd).toContain('media="chunk-$RepresentationID$-$Number$.m4s"');
    expect(mpd).toMatch(/<Representation id="1" codecs="avc1\.[0-9a-f]{6}"/);
    expect(mpd).toMatch(/<Representation id="2" codecs="mp4a\.40\.2"/);
    const time = /<UTCTiming schemeIdUri="urn:mpeg:dash:utc:http-iso:2014" value="([^"]+)"\/>/.exec(mpd)![1]!;
    expect(time).toBe(spate.httpUrl("/time"));
    const t = await fetch(time);
    expect(t.headers.get("cache-control")).toBe("no-store");
    expect(t.headers.get("access-control-allow-origin")).toBe("*");
    const iso = await t.text();
    expect(iso).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(Math.abs(Date.parse(iso) - Date.now())).toBeLessThan(1000);
  });

  test("per-track init + complete segments decode with ffprobe", async () => {
    const pl = await waitSegments(spate, BASE, 3);
    for (const [track, codec] of [[1, "h264"], [2, "aac"]] as const) {
      const chunks = [await getBytes(spate, `${BASE}/init-${track}.mp4`)];
      for (const s of pl.segments) chunks.push(await getBytes(spate, `${BASE}/chunk-${track}-${s.msn}.m4s`));
      const file = tempFile(`dash-${track}.mp4`);
      writeFileSync(file, Buffer.concat(chunks));
      const probe = await ffprobe(file);
      expect(probe.streams.length).toBe(1);
      expect(probe.streams[0]!.codec).toBe(codec);
      assertMonotonicDts(probe.streams[0]!.packets, { label: codec });
      if (codec === "h264") expect(probe.streams[0]!.packets.length).toBe(30 * pl.segments.length);
      expect(await decodeErrors(file)).toBe("");
    }
    expect((await spate.request(`${BASE}/chunk-3-${pl.segments[0]!.msn}.m4s`)).status).toBe(404);
    expect((await spate.request(`${BASE}/init-3.mp4`)).status).toBe(404);
    expect((await spate.request(`${BASE}/chunk-1-${pl.segments[0]!.msn - 50}.m4s`)).status).toBe(404);
  });

  test("a segment requested while it is cut arrives chunk by chunk (chunked transfer), same bytes as when complete", async () => {
    // wait for a segment to have just started (its first part complete)
    let msn = 0;
    for (let i = 0; i < 50 && !msn; i++) {
      const c = (await spate.api(`/api/v1/streams/${PATH}`)).cmaf;
      if (c.next.part === 1) msn = c.next.msn;
      else await sleep(20);
    }
    expect(msn).toBeGreaterThan(0);
    const t0 = performance.now();
    const r = await spate.request(`${BASE}/chunk-1-${msn}.m4s`);
    expect(r.status).toBe(200);
    expect(r.headers.get("transfer-encoding")).toBe("chunked");
    expect(r.headers.get("cache-control")).toBe("no-store");
    const arrivals: { ms: number; bytes: number }[] = [];
    const reader = r.body!.getReader();
    const chunks: Uint8Array[] = [];
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      arrivals.push({ ms: performance.now() - t0, bytes: value.length });
      chunks.push(value);
    }
    const streamed = Buffer.concat(chunks);
    console.log(`chunked DASH segment ${msn}: ${arrivals.map((a) => `${a.bytes} B at ${a.ms.toFixed(0)} ms`).join(", ")}`);
    expect(arrivals.length).toBeGreaterThanOrEqual(3);
    // the first chunk came at once, the last about a segment (1 s) later
    expect(arrivals[0]!.ms).toBeLessThan(150);
    expect(arrivals.at(-1)!.ms - arrivals[0]!.ms).toBeGreaterThan(500);
    const complete = await getBytes(spate, `${BASE}/chunk-1-${msn}.m4s`);
    expect(Buffer.compare(streamed, Buffer.from(complete))).toBe(0);
  });

  test("ffmpeg reads the MPD as a plain client", async () => {
    const out = tempFile("dash-client.ts");
    await readToFile(spate.httpUrl(`${BASE}/index.mpd`), out, { seconds: 3 });
    const probe = await ffprobe(out);
    expect(probe.video?.codec).toBe("h264");
    expect(probe.audio?.codec).toBe("aac");
    expect(probe.video!.packets.length).toBeGreaterThanOrEqual(60);
    assertMonotonicDts(probe.video!.packets, { label: "ffmpeg DASH client video" });
    expect(await decodeErrors(out)).toBe("");
  });
});
