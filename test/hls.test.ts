/**
 * LL-HLS from a real spate fed by ffmpeg over RTMP (H.264 with B-frames + AAC): the playlists'
 * tags (checked by hls-parser too), init + segments and init + parts decoded by ffprobe with
 * monotonic dts, blocking reload latency after a part is produced (measured, printed), 2,000
 * concurrent blocking requests on raw sockets, bad directives answered 400, HTTP details, and the
 * segmenter running only while someone requests HLS.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import HLS from "hls-parser";
import { getText, mediaPlaylist, downloadParts, downloadSegments, getBytes, waitLive, waitSegments } from "./helpers/hls.ts";
import { assertMonotonicDts, decodeErrors, ffprobe, publishLavfi, tempFile, type Publisher } from "./helpers/ffmpeg.ts";
import { sleep } from "./helpers/process.ts";
import { startSpate, type Spate } from "./helpers/server.ts";

const PATH = "live/hls";
const BASE = `/${PATH}`;
const IDLE_MS = 2000;

let spate: Spate;
let pub: Publisher;
const wallMs = () => performance.timeOrigin + performance.now();

beforeAll(async () => {
  spate = await startSpate(["--hls-idle-timeout-ms", String(IDLE_MS)]);
  pub = publishLavfi(spate.rtmpUrl(PATH), { bframes: true, gop: 30, size: "640x360", seconds: 60 });
  await waitLive(spate, PATH);
});

afterAll(async () => {
  await pub?.stop(1000);
  await spate?.stop();
});

const server = () => spate.api("/api/v1/server");
const cmafStats = async () => (await spate.api(`/api/v1/streams/${PATH}`)).cmaf;

describe("LL-HLS", () => {
  test("no segmenter runs for a live stream nobody watches over HTTP; the first request starts one", async () => {
    expect((await server()).segmenters).toBe(0);
    expect((await spate.api(`/api/v1/streams/${PATH}`)).writers).not.toContain("cmaf");
    const t0 = performance.now();
    const r = await getText(spate, `${BASE}/stream.m3u8`);
    const firstMs = performance.now() - t0;
    expect(r.status).toBe(200);
    // catch-up from the newest keyframe: the first playlist is there at once, with a part or more
    expect(r.text).toContain("#EXT-X-PART:");
    console.log(`first playlist after ${firstMs.toFixed(1)} ms`);
    expect((await server()).segmenters).toBe(1);
  });

  test("multivariant and media playlists carry every LL-HLS tag and parse with hls-parser", async () => {
    const mv = await getText(spate, `${BASE}/index.m3u8`);
    expect(mv.status).toBe(200);
    expect(mv.headers.get("content-type")).toBe("application/vnd.apple.mpegurl");
    const master = HLS.parse(mv.text) as HLS.types.MasterPlaylist;
    const v = master.variants[0]!;
    expect(v.uri).toBe("stream.m3u8");
    expect(v.codecs).toMatch(/^avc1\.[0-9a-f]{6},mp4a\.40\.2$/);
    expect(v.resolution).toEqual({ width: 640, height: 360 });
    expect(v.frameRate).toBe(30);
    expect(v.bandwidth).toBeGreaterThan(50_000);

    const pl = await waitSegments(spate, BASE, 4);
    const t = pl.text;
    expect(t).toMatch(/^#EXTM3U\n#EXT-X-VERSION:\d+\n/);
    expect(t).toMatch(/#EXT-X-TARGETDURATION:1\n/);
    expect(t).toMatch(/#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES,CAN-SKIP-UNTIL=6\.000,PART-HOLD-BACK=0\.600,HOLD-BACK=3\.000\n/);
    expect(t).toContain("#EXT-X-PART-INF:PART-TARGET=0.20000\n");
    expect(t).toContain('#EXT-X-MAP:URI="init.mp4"\n');
    expect(t).toMatch(/#EXT-X-PROGRAM-DATE-TIME:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z\n/);
    expect(t).toMatch(/#EXT-X-PART:DURATION=0\.20000,URI="part-\d+\.0\.m4s",INDEPENDENT=YES\n/);
    expect(t).toMatch(/#EXT-X-PRELOAD-HINT:TYPE=PART,URI="part-\d+\.\d+\.m4s"\n$/);
    const p = pl.parsed;
    expect(p.targetDuration).toBe(1);
    expect(p.partTargetDuration).toBe(0.2);
    expect(p.lowLatencyCompatibility).toEqual({ canBlockReload: true, canSkipUntil: 6, holdBack: 3, partHoldBack: 0.6 });
    expect(p.segments[0]!.map?.uri).toBe("init.mp4");
    // 1 s GOPs at 30 fps: five 200 ms parts per segment, the first independent
    for (const s of p.segments.filter((s) => s.parts.length && s.uri)) {
      expect(s.parts.length).toBe(5);
      expect(s.parts[0]!.independent).toBe(true);
      expect(s.duration).toBeCloseTo(1, 2);
    }
    // PROGRAM-DATE-TIME is the wall clock the frames entered spate: the newest is less than 2 s old
    const pdt = p.segments.filter((s) => s.programDateTime).at(-1)!.programDateTime!.getTime();
    expect(Date.now() - pdt).toBeLessThan(2500);
    expect(Date.now() - pdt).toBeGreaterThan(-100);
  });

  test("init + segments and init + parts decode with ffprobe: H.264 with B-frames and AAC, monotonic dts", async () => {
    const pl = await waitSegments(spate, BASE, 4);
    const file = await downloadSegments(spate, BASE, pl, tempFile("hls-segments.mp4"));
    const probe = await ffprobe(file);
    expect(probe.video?.codec).toBe("h264");
    expect(probe.audio?.codec).toBe("aac");
    assertMonotonicDts(probe.video!.packets, { label: "video" });
    assertMonotonicDts(probe.audio!.packets, { label: "audio" });
    expect(probe.video!.packets.length).toBeGreaterThanOrEqual(30 * pl.segments.length - 1);
    expect(probe.video!.packets.some((k) => k.pts! > k.dts!)).toBe(true);
    expect(await decodeErrors(file)).toBe("");
    console.log(`init + ${pl.segments.length} segments: ${probe.video!.packets.length} video, ${probe.audio!.packets.length} audio packets`);

    const parts = await downloadParts(spate, BASE, pl, tempFile("hls-parts.mp4"));
    const pp = await ffprobe(parts.file);
    expect(pp.video?.codec).toBe("h264");
    expect(pp.audio?.codec).toBe("aac");
    assertMonotonicDts(pp.video!.packets, { label: "parts video" });
    assertMonotonicDts(pp.audio!.packets, { label: "parts audio" });
    expect(pp.video!.packets.length).toBe(30);
    expect(pp.video!.packets[0]!.keyframe).toBe(true);
    expect(await decodeErrors(parts.file)).toBe("");
  });

  test("a blocking reload for the next part is answered within 50 ms of the part's production", async () => {
    const lags: number[] = [];
    for (let i = 0; i < 10 && lags.length < 8; i++) {
      const { hint } = await mediaPlaylist(spate, BASE);
      const r = await spate.request(`${BASE}/stream.m3u8?_HLS_msn=${hint.msn}&_HLS_part=${hint.part}`);
      const answeredMs = wallMs();
      const text = await r.text();
      expect(r.status).toBe(200);
      const stats = await cmafStats();
      // the part asked for, or part 0 of the next segment when the hinted one never came (keyframe)
      const asked = stats.newestPart.msn === hint.msn ? stats.newestPart.part === hint.part : stats.newestPart.part === 0;
      if (!asked || stats.newestPartMs > answeredMs) continue; // another part came in between: not this sample
      expect(text).toContain(`part-${stats.newestPart.msn}.${stats.newestPart.part}.m4s`);
      lags.push(answeredMs - stats.newestPartMs);
    }
    lags.sort((a, b) => a - b);
    console.log(`blocking reload answered ${lags.map((l) => l.toFixed(1)).join(", ")} ms after the part was produced (max ${lags.at(-1)!.toFixed(1)} ms)`);
    expect(lags.length).toBeGreaterThanOrEqual(5);
    expect(lags.at(-1)!).toBeLessThan(50);
  });

  test("the hinted part blocks until complete; parts outside the window are 404", async () => {
    const { hint } = await mediaPlaylist(spate, BASE);
    const t0 = performance.now();
    const r = await spate.request(`${BASE}/part-${hint.msn}.${hint.part}.m4s`);
    const body = new Uint8Array(await r.arrayBuffer());
    if (r.status === 404) {
      // the hinted part was never produced: a keyframe started the next segment first
      expect((await cmafStats()).next.msn).toBeGreaterThan(hint.msn);
    } else {
      expect(r.status).toBe(200);
      expect(r.headers.get("content-type")).toBe("video/iso.segment");
      expect(r.headers.get("cache-control")).toContain("immutable");
      expect(String.fromCharCode(...body.subarray(4, 8))).toBe("moof");
      expect(performance.now() - t0).toBeLessThan(600);
    }
    expect((await spate.request(`${BASE}/part-${hint.msn - 100}.0.m4s`)).status).toBe(404);
    expect((await spate.request(`${BASE}/part-${hint.msn + 3}.0.m4s`)).status).toBe(404);
    expect((await spate.request(`${BASE}/seg-${hint.msn - 100}.m4s`)).status).toBe(404);
  });

  test("2,000 concurrent blocking requests are all answered", async () => {
    const N = 2000;
    const { hint } = await mediaPlaylist(spate, BASE);
    const target = { msn: hint.msn, part: hint.part + 2 }; // ~400 ms ahead: time to open every socket
    const before = (await server()).http.hls.blocked;
    const req = `GET ${BASE}/stream.m3u8?_HLS_msn=${target.msn}&_HLS_part=${target.part} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`;
    const t0 = wallMs();
    const answers = await Promise.all(Array.from({ length: N }, () => rawRequest(spate.ports.http, req)));
    const statuses = new Map<string, number>();
    for (const a of answers) statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
    const times = answers.map((a) => a.atMs).sort((a, b) => a - b);
    const blocked = (await server()).http.hls.blocked - before;
    const hints = new Set(answers.map((a) => /PRELOAD-HINT:TYPE=PART,URI="([^"]+)"/.exec(a.body)?.[1]));
    console.log(
      `${N} blocking requests: ${JSON.stringify(Object.fromEntries(statuses))}, ${blocked} held; answered ${(times[0]! - t0).toFixed(0)}..${(times.at(-1)! - t0).toFixed(0)} ms after sending (spread ${(times.at(-1)! - times[0]!).toFixed(1)} ms), hints ${[...hints].join(" ")}`,
    );
    expect(statuses.get("200")).toBe(N);
    expect(blocked).toBeGreaterThan(N * 0.9);
    expect(answers.every((a) => a.body.includes("#EXT-X-PRELOAD-HINT"))).toBe(true);
    // the server still answers normally
    expect((await getText(spate, `${BASE}/stream.m3u8`)).status).toBe(200);
  }, 30_000);

  test("1 client and 1,000 clients cost the segmenter the same: one mux per part, one playlist render per version", async () => {
    // Work counted, not timed: fragments muxed and playlists rendered per part produced, while
    // every client does a blocking reload for each next part (as hls.js does).
    const run = async (clients: number, rounds = 5) => {
      const a = await cmafStats();
      for (let k = 0; k < rounds; k++) {
        const { hint } = await mediaPlaylist(spate, BASE);
        const req = `GET ${BASE}/stream.m3u8?_HLS_msn=${hint.msn}&_HLS_part=${hint.part} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`;
        const answers = await Promise.all(Array.from({ length: clients }, () => rawRequest(spate.ports.http, req)));
        expect(answers.every((x) => x.status === "200")).toBe(true);
      }
      const b = await cmafStats();
      const parts = b.partsProduced - a.partsProduced;
      return {
        clients,
        parts,
        fragmentsPerPart: (b.fragmentsMuxed - a.fragmentsMuxed) / parts,
        rendersPerPart: (b.playlistRenders - a.playlistRenders) / parts,
        kbPerPart: (b.bytesMuxed - a.bytesMuxed) / parts / 1000,
      };
    };
    await waitSegments(spate, BASE, 1); // a running segmenter (this test may run alone)
    const one = await run(1);
    const many = await run(1000);
    console.log(`segmenter work per part: ${JSON.stringify(one)} vs ${JSON.stringify(many)}`);
    expect(one.parts).toBeGreaterThanOrEqual(5);
    expect(many.parts).toBeGreaterThanOrEqual(5);
    expect(one.fragmentsPerPart).toBe(2); // video + audio, once each
    expect(many.fragmentsPerPart).toBe(2);
    // one render per new version for the plain playlist; the rounds' own first fetch can add one
    expect(many.rendersPerPart).toBeLessThanOrEqual(one.rendersPerPart + 0.5);
    expect(many.rendersPerPart).toBeLessThanOrEqual(2);
  }, 60_000);

  test("bad or too-far directives get 400 and the server keeps serving", async () => {
    const { hint } = await mediaPlaylist(spate, BASE);
    const bad = [
      "_HLS_msn=abc",
      "_HLS_msn=-1",
      "_HLS_msn=1.5",
      "_HLS_part=1",
      "_HLS_msn=1&_HLS_msn=2",
      "_HLS_skip=NO",
      "_HLS_skip=yes",
      "_HLS_msn=99999999999999999999",
      `_HLS_msn=${hint.msn + 3}`,
      `_HLS_msn=${hint.msn}&_HLS_part=${hint.part + 20}`,
    ];
    for (const q of bad) {
      const r = await getText(spate, `${BASE}/stream.m3u8?${q}`);
      expect({ q, status: r.status }).toEqual({ q, status: 400 });
      expect(r.headers.get("cache-control")).toBe("no-store");
    }
    // an msn older than the window is answered at once with the current playlist
    const old = await getText(spate, `${BASE}/stream.m3u8?_HLS_msn=1&_HLS_part=0`);
    expect(old.status).toBe(200);
    expect((await getText(spate, `${BASE}/stream.m3u8?other=1&_HLS_foo=2`)).status).toBe(200);
    expect((await spate.request("/healthz")).status).toBe(200);
  });

  test("delta updates skip old segments with EXT-X-SKIP", async () => {
    // skip boundary 6 s (6 target durations): the 12-segment window holds more than that after ~8 s
    const until = Date.now() + 12_000;
    let r = await getText(spate, `${BASE}/stream.m3u8?_HLS_skip=YES`);
    while (!r.text.includes("#EXT-X-SKIP") && Date.now() < until) {
      await sleep(500);
      r = await getText(spate, `${BASE}/stream.m3u8?_HLS_skip=YES`);
    }
    expect(r.status).toBe(200);
    expect(r.text).toMatch(/#EXT-X-VERSION:9\n/);
    expect(r.text).toMatch(/#EXT-X-SKIP:SKIPPED-SEGMENTS=\d+\n/);
    expect((await getText(spate, `${BASE}/stream.m3u8?_HLS_skip=v2`)).text).toContain("#EXT-X-SKIP");
    const full = await getText(spate, `${BASE}/stream.m3u8`);
    expect(full.text.length).toBeGreaterThan(r.text.length);
  }, 20_000);

  test("HTTP: content types, cache policy, CORS, HEAD, OPTIONS, 404 for unknown paths and files", async () => {
    const init = await spate.request(`${BASE}/init.mp4`);
    expect(init.headers.get("content-type")).toBe("video/mp4");
    expect(init.headers.get("access-control-allow-origin")).toBe("*");
    const bytes = new Uint8Array(await init.arrayBuffer());
    expect(String.fromCharCode(...bytes.subarray(4, 8))).toBe("ftyp");
    const head = await spate.request(`${BASE}/init.mp4`, { method: "HEAD" });
    expect(head.status).toBe(200);
    expect(head.headers.get("content-length")).toBe(String(bytes.length));
    expect((await head.arrayBuffer()).byteLength).toBe(0);
    const pl = await mediaPlaylist(spate, BASE);
    const seg = await spate.request(`${BASE}/${pl.segments.at(-1)!.uri}`);
    expect(seg.headers.get("cache-control")).toBe("public, max-age=600, immutable");
    expect(seg.headers.get("content-type")).toBe("video/iso.segment");
    await seg.arrayBuffer();
    const opt = await spate.request(`${BASE}/stream.m3u8`, { method: "OPTIONS", headers: { origin: "http://example.com", "access-control-request-method": "GET" } });
    expect(opt.status).toBe(204);
    expect(opt.headers.get("access-control-allow-methods")).toContain("GET");
    expect((await spate.request("/live/nobody/stream.m3u8")).status).toBe(404);
    expect((await spate.request("/live/nobody/index.m3u8")).status).toBe(404);
    expect((await spate.request(`${BASE}/whatever.txt`)).status).toBe(404);
    expect((await spate.request(`${BASE}/stream.m3u8`, { method: "POST" })).status).toBe(405);
    expect((await server()).streams).toBe(1); // the 404s left no idle stream behind
  });

  test("the segmenter stops after the idle timeout and starts again on the next request", async () => {
    const until = Date.now() + IDLE_MS + 3000;
    let n = (await server()).segmenters;
    while (n !== 0 && Date.now() < until) {
      await sleep(200);
      n = (await server()).segmenters;
    }
    expect(n).toBe(0);
    const s = await spate.api(`/api/v1/streams/${PATH}`);
    expect(s.writers).not.toContain("cmaf");
    expect(s.readers.cmaf).toBeUndefined();
    expect((await getText(spate, `${BASE}/stream.m3u8`)).status).toBe(200);
    expect((await server()).segmenters).toBe(1);
    // names are never reused: the new window starts after the old one
    await getBytes(spate, `${BASE}/init.mp4`);
  }, 15_000);
});

interface RawAnswer {
  status: string;
  body: string;
  atMs: number;
}

/** One HTTP/1.1 request on its own TCP connection (so N of them are N concurrent requests at the server). */
function rawRequest(port: number, request: string): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    let text = "";
    let atMs = 0;
    Bun.connect({
      hostname: "127.0.0.1",
      port,
      socket: {
        open(s) {
          s.write(request);
        },
        data(_s, d) {
          if (atMs === 0) atMs = wallMs();
          text += d.toString();
        },
        close() {
          resolve({ status: text.slice(9, 12), body: text, atMs });
        },
        error(_s, e) {
          reject(e);
        },
        connectError(_s, e) {
          reject(e);
        },
      },
    }).catch(reject);
  });
}
