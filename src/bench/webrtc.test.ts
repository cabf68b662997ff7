/**
 * `spate bench webrtc` against a real `spate serve` (started here, every port 0): the publisher goes
 * through the server's RTMP ingest, the viewers through WHEP, ICE, DTLS and SRTP egress.
 */
import { describe, expect, test } from "bun:test";
import { startSpate } from "../../test/helpers/server.ts";
import { parseWhepUrl, runWebrtcBench, webrtcReportText } from "./webrtc.ts";

describe("parseWhepUrl", () => {
  test("the stream path of a WHEP endpoint", () => {
    expect(parseWhepUrl("http://h:8080/live/cam1/whep")).toEqual({ whepUrl: "http://h:8080/live/cam1/whep", path: "live/cam1", hostname: "h" });
  });

  test("refuses what is not a WHEP URL", () => {
    for (const url of ["rtmp://h/live/x/whep", "http://h:8080/whep", "http://h:8080/live/x/", "nope"]) expect(() => parseWhepUrl(url)).toThrow();
  });
});

describe("runWebrtcBench against spate serve", () => {
  test("3 WHEP viewers for 3 s: every frame, latency measured, every DTLS handshake done", async () => {
    const spate = await startSpate();
    try {
      const r = await runWebrtcBench({
        url: spate.httpUrl("live/bench/whep"),
        publishUrl: spate.rtmpUrl("live/bench"),
        viewers: 3,
        durationS: 3,
        bitrateMbps: 1,
        fps: 30,
        gopS: 1,
        rampMs: 200,
        warmupMs: 1500,
        drainMs: 500,
        setupTimeoutMs: 5000,
        pid: spate.pid,
      });
      const text = webrtcReportText(r);
      expect(r.viewers.connected, text).toBe(3);
      expect(r.frames.lost, text).toBe(0);
      expect(r.frames.received, text).toBeGreaterThan(3 * 30 * 3 * 0.9);
      expect(r.latencyMs.samples, text).toBe(r.frames.received);
      expect(r.latencyMs.p50, text).toBeGreaterThan(0);
      expect(r.latencyMs.p99, text).toBeLessThan(500);
      expect(r.webrtc.dtlsHandshakes, text).toBe(3);
      expect(r.webrtc.srtpAuthFailures, text).toBe(0);
      expect(r.webrtc.windowPackets, text).toBeGreaterThan(0);
      expect(text).toContain("DTLS handshakes");
    } finally {
      await spate.stop();
    }
  }, 20_000);
});
