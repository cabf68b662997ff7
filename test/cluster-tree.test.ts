/**
 * Issue 6's six-node tree on a Redis registry: region eu (eu-1: A, B; eu-2: C), region us (us-1: D,
 * E; us-2: F). RTMP is published to A; readers arrive on B, C, D, E and F in turn (ffmpeg over RTMP
 * and SRT, and an LL-HLS reader), all decode, and /api/v1/cluster shows the tree the locator should
 * grow: B from A, C from A or B, D from eu, E from D, F from D or E — one upstream per node.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { SIX_NODES, startCluster, type Cluster, type ClusterNode } from "./helpers/cluster.ts";
import { assertMonotonicDts, ffprobe, publishLavfi, readToFile, tempFile, type Publisher } from "./helpers/ffmpeg.ts";
import { downloadSegments, waitSegments } from "./helpers/hls.ts";
import { waitFor } from "./helpers/webrtc.ts";

const PATH = "live/tree";
let cluster: Cluster;
let pub: Publisher;

/** `get()` once `ok` holds for it (a failed request counts as not yet). */
const until = <T>(what: string, get: () => Promise<T>, ok: (v: T) => boolean, timeoutMs = 20_000) =>
  waitFor(what, async () => { const v = await get().catch(() => null); return v !== null && ok(v) ? v : null; }, timeoutMs);

/** Waits until `n` relays the stream with frames flowing; returns its upstream. */
async function relaying(n: ClusterNode): Promise<string> {
  const s = await until(`${n.spec.id} relaying`, () => n.api(`/api/v1/streams/${PATH}`), (s: any) => s.publisher?.protocol === "relay" && s.publisher.stats.frames > 30);
  return s.publisher.stats.upstream;
}

beforeAll(async () => {
  cluster = await startCluster(SIX_NODES, { flags: ["--streams-grace-ms", "5000"] });
  pub = publishLavfi(cluster.node("A").rtmpUrl(PATH), { seconds: 120, size: "320x240" });
  await until("live on A", () => cluster.node("A").api(`/api/v1/streams/${PATH}`), (s: any) => s.state === "live" && s.tracks.length === 2);
}, 180_000);

afterAll(async () => {
  await pub?.stop(0);
  await cluster?.stop();
});

test("six nodes: every reader decodes, the tree follows datacenter and region", async () => {
  const node = (id: string) => cluster.node(id);
  const files: string[] = [];
  const readers: Promise<unknown>[] = [];
  const read = (url: string, name: string) => {
    const file = tempFile(name);
    files.push(file);
    readers.push(readToFile(url, file, { seconds: 6, timeoutMs: 60_000 }));
  };
  const upstream: Record<string, string> = {};

  read(node("B").rtmpUrl(PATH), "tree-b.flv");
  upstream.B = await relaying(node("B"));
  read(node("C").srtUrl(PATH, "read"), "tree-c.ts");
  upstream.C = await relaying(node("C"));
  const hls = waitSegments(node("D"), PATH, 2, 30_000); // the playlist request starts D's pull
  upstream.D = await relaying(node("D"));
  read(node("E").rtmpUrl(PATH), "tree-e.flv");
  upstream.E = await relaying(node("E"));
  read(node("F").srtUrl(PATH, "read"), "tree-f.ts");
  upstream.F = await relaying(node("F"));

  console.log(`tree of ${PATH}: ${Object.entries(upstream).map(([n, u]) => `${n}<-${u}`).join(" ")}`);
  expect(upstream.B).toBe("A");
  expect(["A", "B"]).toContain(upstream.C);
  expect(["A", "B", "C"]).toContain(upstream.D);
  expect(upstream.E).toBe("D");
  expect(["D", "E"]).toContain(upstream.F);

  // The same tree through the API of a node that is not in it.
  const view = await node("A").api("/api/v1/cluster");
  const tree = view.streams.find((s: any) => s.path === PATH);
  expect(tree.origin).toBe("A");
  const byNode = Object.fromEntries(tree.nodes.map((n: any) => [n.nodeId, n]));
  expect(Object.keys(byNode).sort()).toEqual(["A", "B", "C", "D", "E", "F"]);
  expect(tree.nodes.filter((n: any) => n.nodeId === "E")).toHaveLength(1); // exactly one claim (one upstream) per node
  for (const id of ["B", "C", "D", "E", "F"]) expect(byNode[id].upstream).toBe(upstream[id]);
  expect(byNode.E.hops).toBe(byNode.D.hops + 1);
  for (const id of ["B", "C", "D", "E", "F"]) expect((await node(id).api("/api/v1/server")).relay.pulls).toBe(1);

  const pl = await hls;
  files.push(await downloadSegments(node("D"), PATH, pl, tempFile("tree-d.mp4")));
  await Promise.all(readers);
  for (const file of files) {
    const probe = await ffprobe(file);
    expect(probe.video?.codec).toBe("h264");
    expect(probe.video!.packets.length).toBeGreaterThanOrEqual(30);
    assertMonotonicDts(probe.video!.packets, { label: file });
  }
}, 150_000);
