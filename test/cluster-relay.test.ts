/**
 * The relay between two nodes in one process (a shared in-memory registry): ffmpeg publishes RTMP
 * to A, ffmpeg reads RTMP from B, which pulls the stream from A over one relay connection. A third
 * node with the wrong cluster secret is refused.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { MemoryRegistry, MemoryRegistryStore } from "../src/cluster/memory-registry.ts";
import { AUTH_TIMEOUT_MS } from "../src/protocols/relay/listener.ts";
import { MsgType } from "../src/protocols/relay/wire/message.ts";
import { loadConfig } from "../src/server/config.ts";
import { startServer, type RunningServer } from "../src/server/server.ts";
import { assertMonotonicDts, ffprobe, publishLavfi, readToFile, tempFile, type Publisher } from "./helpers/ffmpeg.ts";
import { killAll, sleep } from "./helpers/process.ts";
import { waitFor } from "./helpers/webrtc.ts";

const SECRET = "relay-test-secret-0123456789";
const store = new MemoryRegistryStore();
const servers: RunningServer[] = [];
let pub: Publisher | null = null;

async function node(id: string, secret = SECRET): Promise<RunningServer> {
  const argv = ["--node-id", id, "--http-port", "0", "--rtmp-port", "0", "--srt-port", "0", "--webrtc-port", "0", "--cluster-secret", secret, "--cluster-lease-ms", "1500", "--streams-grace-ms", "3000", "--cluster-relay-linger-ms", "1000", "--log-level", "warn"];
  const s = await startServer(loadConfig({ argv }), { registry: (identity) => new MemoryRegistry(identity, store, { leaseMs: 1500 }) });
  servers.push(s);
  return s;
}

const api = async (s: RunningServer, path: string) => (await fetch(`http://127.0.0.1:${s.ports.http}${path}`)).json() as Promise<any>;

/** `get()` once `ok` holds for it (a failed request counts as not yet). */
const until = <T>(what: string, get: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 15_000) =>
  waitFor(what, async () => { const v = await get().catch(() => null); return v !== null && ok(v) ? v : null; }, timeoutMs);

let a: RunningServer;
let b: RunningServer;

beforeAll(async () => {
  a = await node("A");
  b = await node("B");
  pub = publishLavfi(`rtmp://127.0.0.1:${a.ports.rtmp}/live/relay`, { seconds: 60 });
  await until("A live", () => api(a, "/api/v1/streams/live/relay").catch(() => null), (s) => s?.state === "live" && s.tracks.length === 2);
});

afterAll(async () => {
  await pub?.stop(0);
  for (const s of servers) await s.stop();
  killAll();
});

describe("relay between two nodes", () => {
  test("RTMP to A, RTMP from B: decodable, one relay connection, latency per hop in the API", async () => {
    const file = tempFile("relay-b.flv");
    await readToFile(`rtmp://127.0.0.1:${b.ports.rtmp}/live/relay`, file, { seconds: 4, timeoutMs: 30_000 });
    const probe = await ffprobe(file);
    expect(probe.video?.codec).toBe("h264");
    expect(probe.audio?.codec).toBe("aac");
    expect(probe.video!.packets.length).toBeGreaterThanOrEqual(90);
    expect(probe.video!.packets[0]!.keyframe).toBe(true);
    assertMonotonicDts(probe.video!.packets, { label: "video" });
    assertMonotonicDts(probe.audio!.packets, { label: "audio" });

    const onB = await api(b, "/api/v1/streams/live/relay");
    expect(onB.publisher.protocol).toBe("relay");
    expect(onB.publisher.stats.upstream).toBe("A");
    expect(onB.publisher.stats.hops).toBe(1);
    expect(onB.publisher.stats.hopLatencyMs.samples).toBeGreaterThan(0);
    expect(onB.publisher.stats.endToEndLatencyMs.p50).toBeGreaterThanOrEqual(0);
    expect((await api(b, "/api/v1/server")).relay.upstreamDials).toBe(1);
    expect((await api(a, "/api/v1/server")).relay.downstreamAccepted).toBe(1);
    const metrics = await (await fetch(`http://127.0.0.1:${b.ports.http}/metrics`)).text();
    expect(metrics).toContain('spate_relay_hop_latency_ms{path="live/relay",quantile="0.99"}');

    const tree = await api(b, "/api/v1/cluster");
    const stream = tree.streams.find((s: any) => s.path === "live/relay");
    expect(stream.origin).toBe("A");
    expect(stream.nodes.map((n: any) => [n.nodeId, n.upstream, n.hops])).toEqual([["A", null, 0], ["B", "A", 1]]);
  }, 60_000);

  test("garbage is refused at once; a connection that never authenticates is closed", async () => {
    const open = (onMessage: (ws: WebSocket, data: Uint8Array) => void) =>
      new Promise<{ code: number; messages: Uint8Array[]; ms: number }>((resolve) => {
        const started = performance.now();
        const messages: Uint8Array[] = [];
        const ws = new WebSocket(`ws://127.0.0.1:${a.ports.http}/_spate/relay/live/relay`);
        ws.binaryType = "arraybuffer";
        ws.onmessage = (e) => {
          messages.push(new Uint8Array(e.data as ArrayBuffer));
          onMessage(ws, messages.at(-1)!);
        };
        ws.onclose = (e) => resolve({ code: e.code, messages, ms: performance.now() - started });
      });
    const [garbage, silent] = await Promise.all([
      open((ws, m) => m[0] === MsgType.Hello && ws.send(Uint8Array.from([0x42, 0, 0, 0, 0]))),
      open(() => {}),
    ]);
    expect(garbage.code).toBe(1002);
    expect(garbage.messages.map((m) => m[0])).toEqual([MsgType.Hello, MsgType.Refuse]);
    expect(silent.code).toBe(1008);
    expect(silent.messages[0]![0]).toBe(MsgType.Hello);
    expect(silent.ms).toBeGreaterThanOrEqual(AUTH_TIMEOUT_MS - 100);
    expect(silent.ms).toBeLessThan(AUTH_TIMEOUT_MS + 5000);
  }, 20_000);

  test("a node with the wrong secret is refused and never relays the stream", async () => {
    const rogue = await node("R", "not-the-cluster-secret-42");
    const refusedBefore = (await api(a, "/api/v1/server")).relay.downstreamRefused;
    const reading = readToFile(`rtmp://127.0.0.1:${rogue.ports.rtmp}/live/relay`, tempFile("relay-rogue.flv"), { seconds: 2, timeoutMs: 4000, check: false });
    await until("a refusal on A", () => api(a, "/api/v1/server"), (s) => s.relay.downstreamRefused > refusedBefore);
    const onR = await api(rogue, "/api/v1/streams/live/relay");
    expect(onR.state).not.toBe("live");
    expect(onR.tracks).toEqual([]);
    await reading;
  }, 30_000);

  test("the publisher reconnects to A within the grace period: B's reader stays, timestamps run on", async () => {
    const file = tempFile("relay-b-reconnect.flv");
    const dialsBefore = (await api(b, "/api/v1/server")).relay.upstreamDials;
    const reading = readToFile(`rtmp://127.0.0.1:${b.ports.rtmp}/live/relay`, file, { seconds: 7, timeoutMs: 40_000 });
    await until("B relaying", () => api(b, "/api/v1/streams/live/relay"), (s) => s.publisher?.protocol === "relay" && s.publisher.stats.frames > 60);
    await pub!.stop(); // the publisher drops...
    await until("B waiting", () => api(b, "/api/v1/streams/live/relay"), (s) => s.state === "waiting", 5000);
    pub = publishLavfi(`rtmp://127.0.0.1:${a.ports.rtmp}/live/relay`, { seconds: 60 }); // ... and comes back
    await until("B live again", () => api(b, "/api/v1/streams/live/relay"), (s) => s.state === "live", 10_000);
    await reading;
    const probe = await ffprobe(file);
    assertMonotonicDts(probe.video!.packets, { label: "video across the reconnect" });
    assertMonotonicDts(probe.audio!.packets, { label: "audio across the reconnect" });
    expect(probe.video!.packets.length).toBeGreaterThanOrEqual(120);
    expect((await api(b, "/api/v1/server")).relay.upstreamDials - dialsBefore).toBe(1); // one relay connection throughout
  }, 60_000);

  test("the pull stops a linger after B's last reader; the publisher's end reaches B's readers", async () => {
    await until("B's pull gone after the linger", () => api(b, "/api/v1/server"), (s) => s.relay.pulls === 0, 10_000);
    const tree = await api(a, "/api/v1/cluster");
    expect(tree.streams.find((s: any) => s.path === "live/relay").nodes.map((n: any) => n.nodeId)).toEqual(["A"]);
    expect((await api(a, "/api/v1/server")).relay.downstreams).toEqual([]);

    const reading = readToFile(`rtmp://127.0.0.1:${b.ports.rtmp}/live/relay`, tempFile("relay-b-end.flv"), { seconds: 60, timeoutMs: 30_000 });
    await until("B relaying again", () => api(a, "/api/v1/server"), (s) => s.relay.downstreams.length === 1 && s.relay.downstreams[0].node === "B");
    await sleep(1000);
    await pub!.stop(); // SIGTERM: ffmpeg ends the RTMP publish
    await until("B waiting for the publisher", () => api(b, "/api/v1/streams/live/relay"), (s) => s.state === "waiting", 5000);
    const exit = await reading; // end-of-stream after A's grace period (3 s) reaches B's RTMP reader
    expect(exit.code).toBe(0);
    const probe = await ffprobe(tempFile("relay-b-end.flv"));
    expect(probe.video!.packets.length).toBeGreaterThan(20);
  }, 40_000);
});
