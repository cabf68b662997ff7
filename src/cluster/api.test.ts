import { afterEach, describe, expect, test } from "bun:test";
import { clusterResponse, clusterView } from "./api.ts";
import { MemoryRegistry, MemoryRegistryStore } from "./memory-registry.ts";
import { RegistryUnavailableError, type NodeIdentity, type Registry } from "./registry.ts";

const open: Registry[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.close();
});

function node(nodeId: string, region: string, datacenter: string, store: MemoryRegistryStore) {
  const r = new MemoryRegistry({ nodeId, region, datacenter, address: `127.0.0.1:${nodeId.charCodeAt(0)}` }, store);
  open.push(r);
  return r;
}

describe("/api/v1/cluster", () => {
  test("nodes, and per stream its tree with each node's upstream, hops and tier", async () => {
    const store = new MemoryRegistryStore();
    const [a, b, c, d, e, f] = [
      node("A", "eu", "eu-1", store),
      node("B", "eu", "eu-1", store),
      node("C", "eu", "eu-2", store),
      node("D", "us", "us-1", store),
      node("E", "us", "us-1", store),
      node("F", "us", "us-2", store),
    ];
    await a!.announce("live/cam1", { role: "origin", hops: 0, upstream: null });
    await b!.announce("live/cam1", { role: "relay", hops: 1, upstream: "A" });
    await c!.announce("live/cam1", { role: "relay", hops: 2, upstream: "B" });
    await d!.announce("live/cam1", { role: "relay", hops: 1, upstream: "A" });
    await e!.announce("live/cam1", { role: "relay", hops: 2, upstream: "D" });
    await f!.announce("live/cam1", { role: "relay", hops: 3, upstream: "X" }); // its upstream's claim expired
    const view = await clusterView(c!);
    expect(view.self.nodeId).toBe("C");
    expect(view.nodes.map((n) => [n.nodeId, n.self])).toEqual([["A", false], ["B", false], ["C", true], ["D", false], ["E", false], ["F", false]]);
    expect(view.streams.length).toBe(1);
    const s = view.streams[0]!;
    expect(s.origin).toBe("A");
    expect(s.nodes.map((n) => [n.nodeId, n.upstream, n.hops, n.tier])).toEqual([
      ["A", null, 0, null],
      ["B", "A", 1, "datacenter"],
      ["D", "A", 1, "origin"],
      ["C", "B", 2, "region"],
      ["E", "D", 2, "datacenter"],
      ["F", "X", 3, "elsewhere"],
    ]);
    const res = await clusterResponse(c!);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual(JSON.parse(JSON.stringify(view)));
  });

  test("registry unavailable: 503 with the error", async () => {
    // only what clusterView reads
    const broken = {
      node: { nodeId: "z", region: "r", datacenter: "d", address: "x:1" } satisfies NodeIdentity,
      nodes: () => Promise.reject(new RegistryUnavailableError("redis://127.0.0.1:1")),
      paths: () => Promise.resolve([]),
    } as unknown as Registry;
    const res = await clusterResponse(broken);
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ error: "cluster registry unavailable: redis://127.0.0.1:1" });
  });
});
