import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { startSpate } from "../../test/helpers/server.ts";
import { hlsReportText, parseHlsUrl, runHlsBench } from "./hls.ts";
import { parseMediaPlaylist, partsAfter } from "./hls-viewer.ts";

const TESTDATA = join(import.meta.dir, "../protocols/hls/wire/testdata");

describe("parseMediaPlaylist", () => {
  test("the next part is the one the preload hint names, in every golden media playlist", () => {
    const files = readdirSync(TESTDATA).filter((f) => f.startsWith("media-") && f.endsWith(".m3u8"));
    expect(files.length).toBeGreaterThan(3);
    for (const f of files) {
      const pl = parseMediaPlaylist(readFileSync(join(TESTDATA, f), "utf8"));
      expect(pl.map, f).toBe("init.mp4");
      if (pl.hint) expect(pl.hint, f).toBe(`part-${pl.nextMsn}.${pl.nextPart}.m4s`);
    }
  });

  test("the newest part, and the parts after one, in every golden media playlist", () => {
    for (const f of readdirSync(TESTDATA).filter((f) => f.startsWith("media-") && f.endsWith(".m3u8"))) {
      const pl = parseMediaPlaylist(readFileSync(join(TESTDATA, f), "utf8"));
      const all = partsAfter(pl, null);
      for (const p of all) expect(p.uri, f).toBe(`part-${p.msn}.${p.index}.m4s`);
      const newest = all.at(-1);
      expect(pl.lastPart && { msn: pl.lastPart.msn, index: pl.lastPart.index }, f).toEqual(newest ? { msn: newest.msn, index: newest.index } : null);
      if (all.length > 3) expect(partsAfter(pl, all.at(-4)!), f).toEqual(all.slice(-3));
      if (newest) expect(partsAfter(pl, newest), f).toEqual([]);
    }
  });

  test("CRLF line ends and attributes in any order", () => {
    const text = "#EXTM3U\r\n#EXT-X-MEDIA-SEQUENCE:7\r\n#EXT-X-MAP:URI=\"i.mp4\"\r\n#EXT-X-PART:DURATION=0.2,URI=\"a.m4s\"\r\n#EXT-X-PRELOAD-HINT:URI=\"b.m4s\",TYPE=PART\r\n";
    const pl = parseMediaPlaylist(text);
    expect([pl.mediaSequence, pl.map, pl.hint, pl.nextMsn, pl.nextPart]).toEqual([7, "i.mp4", "b.m4s", 7, 1]);
    expect(partsAfter(pl, null)).toEqual([{ msn: 7, index: 0, uri: "a.m4s" }]);
  });

  test("skipped segments count toward the next msn", () => {
    const pl = parseMediaPlaylist(readFileSync(join(TESTDATA, "media-av-skip.m3u8"), "utf8"));
    const full = parseMediaPlaylist(readFileSync(join(TESTDATA, "media-av.m3u8"), "utf8"));
    expect(pl.nextMsn).toBe(full.nextMsn);
    expect(pl.nextPart).toBe(full.nextPart);
  });
});

describe("parseHlsUrl", () => {
  test("the folder, index.m3u8 or stream.m3u8 name the media playlist", () => {
    for (const url of ["http://h:8080/live/cam1/", "http://h:8080/live/cam1", "http://h:8080/live/cam1/index.m3u8", "http://h:8080/live/cam1/stream.m3u8"]) {
      expect(parseHlsUrl(url)).toEqual({ playlistUrl: "http://h:8080/live/cam1/stream.m3u8", path: "live/cam1", hostname: "h" });
    }
  });

  test("refuses what is not a stream URL", () => {
    for (const url of ["rtmp://h/live/x", "http://h:8080/", "http://h/live/x/other.m3u8", "nope"]) expect(() => parseHlsUrl(url)).toThrow();
  });
});

describe("runHlsBench against spate serve", () => {
  test("5 LL-HLS clients for 4 s: every frame, no stall, parts within a part's time of live", async () => {
    const spate = await startSpate();
    try {
      const r = await runHlsBench({
        url: spate.httpUrl("live/bench/"),
        publishUrl: spate.rtmpUrl("live/bench"),
        viewers: 5,
        durationS: 4,
        bitrateMbps: 1,
        fps: 25,
        gopS: 1,
        rampMs: 200,
        warmupMs: 3000,
        pid: spate.pid,
      });
      const text = hlsReportText(r);
      expect(r.viewers.connected, text).toBe(5);
      expect(r.frames.lost, text).toBe(0);
      expect(r.frames.received, text).toBeGreaterThan(4 * 25 * 5 * 0.9);
      expect(r.stalls.count, text).toBe(0);
      // A frame waits at most for its part to fill (~200 ms) plus the request.
      expect(r.latencyMs.p50, text).toBeLessThan(400);
      expect(r.hls.partsPerSec, text).toBeGreaterThan(5 * 4);
      expect(r.hls.errorsPerSec, text).toBe(0);
      expect(text).toContain("playlist reloads/s");
    } finally {
      await spate.stop();
    }
  }, 30_000);
});
