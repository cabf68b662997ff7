/**
 * The bench's publisher and viewers against a fake RTMP server built from wire/ only (the real
 * server's end-to-end run is in test/). The fake relays media at chunk size 128 (so viewers gather
 * the stamp across chunks), announces a small acknowledgement window, and can drop frames.
 */
import { afterEach, describe, expect, test } from "bun:test";
import type { Socket, TCPSocketListener } from "bun";
import { decodeCommand, encodeCommand, onStatus } from "../protocols/rtmp/wire/amf0.ts";
import { type ChunkHeader, MessageReader, encodeMessage } from "../protocols/rtmp/wire/chunk.ts";
import * as ctl from "../protocols/rtmp/wire/control.ts";
import { ServerHandshake } from "../protocols/rtmp/wire/handshake.ts";
import * as T from "../protocols/rtmp/wire/message-types.ts";
import { parseFlags, runBench } from "./cli.ts";
import { reportJson, reportText } from "./report.ts";
import { BenchError, parseRtmpUrl, runRtmpBench } from "./rtmp.ts";

interface Conn {
  socket: Socket<Conn>;
  handshake: ServerHandshake;
  reader: MessageReader;
  pending: Uint8Array;
  playing: boolean;
  viewer: boolean;
  acks: number;
  videoSeen: number;
}

class FakeServer {
  readonly listener: TCPSocketListener<Conn>;
  readonly conns: Conn[] = [];
  /** Drop every n-th video frame towards viewers (0: none). */
  dropEvery = 0;
  /** Relay no video in this span, in ms after the first media message. */
  blackout: [number, number] | null = null;
  private firstMediaMs = NaN;
  windowAckSize = 50_000;

  constructor() {
    this.listener = Bun.listen<Conn>({
      hostname: "127.0.0.1",
      port: 0,
      socket: {
        open: (s) => {
          const c: Conn = {
            socket: s,
            handshake: new ServerHandshake(),
            reader: new MessageReader({ onMessage: (h, body) => this.message(c, h, body) }),
            pending: new Uint8Array(0),
            playing: false,
            viewer: false,
            acks: 0,
            videoSeen: 0,
          };
          s.data = c;
          this.conns.push(c);
        },
        data: (s, data) => {
          const c = s.data;
          const buf = new Uint8Array(c.pending.length + data.length);
          buf.set(c.pending);
          buf.set(data, c.pending.length);
          let pos = 0;
          if (!c.handshake.done) {
            pos = c.handshake.feed(buf);
            const out = c.handshake.takeOutput();
            if (out) s.write(out);
          }
          if (c.handshake.done) pos += c.reader.decode(buf.subarray(pos));
          c.pending = buf.slice(pos);
        },
        close: (s) => void (s.data.playing = false),
      },
    });
  }

  url(key: string): string {
    return `rtmp://127.0.0.1:${this.listener.port}/live/${key}`;
  }

  private send(c: Conn, csid: number, typeId: number, ts: number, streamId: number, body: Uint8Array): void {
    c.socket.write(encodeMessage(csid, ts, typeId, streamId, 128, body));
  }

  private status(c: Conn, level: string, code: string): void {
    this.send(c, 3, T.COMMAND_AMF0, 0, 1, encodeCommand("onStatus", 0, null, onStatus(level as "status", code, "")));
  }

  private message(c: Conn, h: ChunkHeader, body: Uint8Array): void {
    if (h.msgTypeId === T.ACKNOWLEDGEMENT) c.acks++;
    if (h.msgTypeId === T.VIDEO || h.msgTypeId === T.AUDIO) return this.relay(h, body);
    if (h.msgTypeId !== T.COMMAND_AMF0) return;
    const cmd = decodeCommand(body);
    const result = (...args: unknown[]) => this.send(c, 3, T.COMMAND_AMF0, 0, 0, encodeCommand("_result", cmd.transactionId, null, ...args));
    switch (cmd.name) {
      case "connect":
        c.socket.write(ctl.controlMessage(ctl.encodeWindowAckSizeTo, this.windowAckSize));
        return result(onStatus("status", "NetConnection.Connect.Success", ""));
      case "createStream":
        return result(1);
      case "publish":
        return this.status(c, "status", "NetStream.Publish.Start");
      case "play":
        if (cmd.args[0] === "missing") return this.status(c, "error", "NetStream.Play.StreamNotFound");
        this.status(c, "status", "NetStream.Play.Start");
        c.playing = c.viewer = true;
    }
  }

  private relay(h: ChunkHeader, body: Uint8Array): void {
    if (Number.isNaN(this.firstMediaMs)) this.firstMediaMs = performance.now();
    const t = performance.now() - this.firstMediaMs;
    if (this.blackout && h.msgTypeId === T.VIDEO && t >= this.blackout[0] && t < this.blackout[1]) return;
    for (const c of this.conns) {
      if (!c.playing) continue;
      // Drop only coded frames (byte 1 = 1), never the sequence header.
      if (h.msgTypeId === T.VIDEO && body[1] === 1 && this.dropEvery > 0 && ++c.videoSeen % this.dropEvery === 0) continue;
      this.send(c, h.msgTypeId === T.VIDEO ? 6 : 4, h.msgTypeId, h.timestamp, 1, body);
    }
  }

  stop(): void {
    for (const c of this.conns) c.socket.end();
    this.listener.stop(true);
  }
}

const QUICK = { durationS: 1, bitrateMbps: 1, fps: 30, gopS: 1, rampMs: 100, warmupMs: 300, drainMs: 1000, setupTimeoutMs: 2000 };
let server: FakeServer | null = null;
afterEach(() => {
  server?.stop();
  server = null;
});

describe("runRtmpBench against a fake server", () => {
  test("viewers read every stamp, acknowledge windows, and lose nothing", async () => {
    server = new FakeServer();
    const r = await runRtmpBench({ ...QUICK, url: server.url("bench"), viewers: 3 });
    expect(r.viewers).toMatchObject({ requested: 3, connected: 3, failed: 0, dropped: 0, withoutVideo: 0 });
    expect(r.publisher.framesInWindow).toBeGreaterThanOrEqual(25);
    expect(r.frames.expected).toBe(3 * r.publisher.framesInWindow);
    expect(r.frames).toMatchObject({ lost: 0, duplicates: 0, unstamped: 0 });
    expect(r.frames.received).toBe(r.frames.expected);
    expect(r.latencyMs.samples).toBe(r.frames.received);
    expect(r.latencyMs.p50).toBeGreaterThanOrEqual(0);
    expect(r.latencyMs.max).toBeLessThan(1000);
    expect(r.joinMs.p50).toBeGreaterThanOrEqual(0);
    expect(r.deliveredMbps).toBeGreaterThan(1.5);
    expect(r.cpu.serverPercent).toBeNull();
    const viewers = server.conns.filter((c) => c.viewer);
    expect(viewers.length).toBe(3);
    for (const c of viewers) expect(c.acks).toBeGreaterThanOrEqual(3); // 1 Mbit/s for ~2.4 s at a 50 kB window
    expect(reportText(r)).toContain("3 connected");
    expect(JSON.parse(reportJson(r)).frames.lost).toBe(0);
  });

  test("frames the server drops are counted as lost", async () => {
    server = new FakeServer();
    server.dropEvery = 10;
    const r = await runRtmpBench({ ...QUICK, url: server.url("bench"), viewers: 2 });
    expect(r.viewers.connected).toBe(2);
    expect(r.frames.lost).toBeGreaterThan(0);
    expect(r.frames.lost).toBe(r.frames.expected - r.frames.received);
    expect(r.frames.lossPercent).toBeGreaterThan(5);
    expect(r.frames.lossPercent).toBeLessThan(15);
  });

  test("a blackout inside the window is a stall in every viewer, and its frames are lost", async () => {
    server = new FakeServer();
    server.blackout = [650, 1450]; // the window opens ~400 ms after the first frame and lasts 1 s
    const r = await runRtmpBench({ ...QUICK, url: server.url("bench"), viewers: 2 });
    expect(r.stalls.viewers).toBe(2);
    expect(r.stalls.count).toBe(2);
    expect(r.stalls.maxGapMs).toBeGreaterThan(500);
    expect(r.frames.lost).toBeGreaterThanOrEqual(2 * 15);
    expect(r.frames.lost).toBe(r.frames.expected - r.frames.received);
  });

  test("a refused play: BenchError with the status code and a report", async () => {
    server = new FakeServer();
    const e = await runRtmpBench({ ...QUICK, url: server.url("missing"), viewers: 2 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(BenchError);
    expect((e as BenchError).message).toContain("NetStream.Play.StreamNotFound");
    expect((e as BenchError).report?.viewers.failed).toBe(2);
  });

  test("nothing listening: BenchError at once", async () => {
    const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = probe.port;
    probe.stop(true);
    const e = await runRtmpBench({ ...QUICK, url: `rtmp://127.0.0.1:${port}/live/x`, viewers: 1 }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(BenchError);
    expect((e as Error).message).toContain("cannot connect");
  });
});

describe("CLI", () => {
  test("flags: both forms, numbers checked", () => {
    const specs = { url: { kind: "string" as const }, viewers: { kind: "integer" as const, min: 0 }, json: { kind: "boolean" as const } };
    expect(parseFlags(["--url", "rtmp://h/a/b", "--viewers=5", "--json"], specs)).toEqual({ url: "rtmp://h/a/b", viewers: 5, json: true });
    expect(() => parseFlags(["--viewers", "2.5"], specs)).toThrow("--viewers must be an integer >= 0, got \"2.5\"");
    expect(() => parseFlags(["--viewers"], specs)).toThrow("--viewers needs a value");
    expect(() => parseFlags(["--nope", "1"], specs)).toThrow("unknown flag --nope");
    expect(() => parseFlags(["stray"], specs)).toThrow("unexpected argument");
  });

  test("URL: an app and a key are needed", () => {
    expect(parseRtmpUrl("rtmp://127.0.0.1/live/a/b?x=1")).toMatchObject({ port: 1935, app: "live", streamKey: "a/b?x=1", tcUrl: "rtmp://127.0.0.1/live" });
    expect(() => parseRtmpUrl("rtmp://127.0.0.1/live")).toThrow("app and a stream key");
    expect(() => parseRtmpUrl("http://x/a/b")).toThrow("not an rtmp://");
  });

  test("exit codes: help 0, usage 2, nothing to measure 1", async () => {
    let out = "";
    let err = "";
    const io = { out: (t: string) => void (out += t), err: (t: string) => void (err += t) };
    expect(await runBench(["--help"], io)).toBe(0);
    expect(out).toContain("spate bench rtmp --url rtmp://127.0.0.1:1935/live/bench --viewers 100 --duration 20 --pid $(pgrep -f \"spate serve\")");
    expect(await runBench(["rtmp", "--help"], io)).toBe(0);
    expect(await runBench([], io)).toBe(2);
    expect(await runBench(["srtx"], io)).toBe(2);
    expect(err).toContain('unknown mode "srtx"');
    expect(await runBench(["rtmp", "--url", "rtmp://127.0.0.1/live/x", "--viewers", "1"], io)).toBe(2);
    expect(err).toContain("--duration is required");
    expect(await runBench(["rtmp", "--url", "rtmp://127.0.0.1/live/x", "--viewers", "1", "--duration", "1", "--pid", "999999999"], io)).toBe(2);
    expect(err).toContain("no such process");
    server = new FakeServer();
    expect(await runBench(["rtmp", "--url", server.url("missing"), "--viewers", "1", "--duration", "1", "--ramp-ms", "0"], io)).toBe(1);
    expect(err).toContain("no viewer could play");
  });
});
