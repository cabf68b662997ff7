import { afterEach, describe, expect, test } from "bun:test";
import { MemoryRegistry, MemoryRegistryStore } from "./memory-registry.ts";
import type { HolderInfo, NodeIdentity } from "./registry.ts";

const nodeA: NodeIdentity = { nodeId: "a", region: "eu", datacenter: "eu-1", address: "127.0.0.1:1" };
const nodeB: NodeIdentity = { nodeId: "b", region: "eu", datacenter: "eu-1", address: "127.0.0.1:2" };

const open: MemoryRegistry[] = [];
afterEach(async () => {
  for (const r of open.splice(0)) await r.close();
});

function registry(node: NodeIdentity, store: MemoryRegistryStore, leaseMs = 5000) {
  const r = new MemoryRegistry(node, store, { leaseMs });
  open.push(r);
  return r;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const ids = (hs: HolderInfo[]) => hs.map((h) => h.nodeId).sort();

describe("MemoryRegistry", () => {
  test("two nodes on one store see each other's claims, nodes and paths", async () => {
    const store = new MemoryRegistryStore();
    const a = registry(nodeA, store);
    const b = registry(nodeB, store);
    await a.announce("live/cam1", { role: "origin", hops: 0, upstream: null });
    await b.announce("live/cam1", { role: "relay", hops: 1, upstream: "a" });
    const holders = await b.locate("live/cam1");
    expect(ids(holders)).toEqual(["a", "b"]);
    expect(holders.find((h) => h.nodeId === "b")).toEqual({ ...nodeB, role: "relay", hops: 1, upstream: "a", load: 0 });
    expect((await a.nodes()).map((n) => n.nodeId).sort()).toEqual(["a", "b"]);
    expect(await a.paths()).toEqual([{ path: "live/cam1", holders: expect.any(Array) }]);
    expect([...b.held().keys()]).toEqual(["live/cam1"]);
    await b.withdraw("live/cam1");
    expect(ids(await a.locate("live/cam1"))).toEqual(["a"]);
    await a.close();
    expect(await b.locate("live/cam1")).toEqual([]);
    expect((await b.nodes()).map((n) => n.nodeId)).toEqual(["b"]);
  });

  test("announce refuses inconsistent claims", async () => {
    const a = registry(nodeA, new MemoryRegistryStore());
    await expect(a.announce("x", { role: "origin", hops: 1, upstream: null })).rejects.toThrow(RangeError);
    await expect(a.announce("x", { role: "relay", hops: 1, upstream: null })).rejects.toThrow(RangeError);
    await expect(a.announce("", { role: "origin", hops: 0, upstream: null })).rejects.toThrow(RangeError);
    await expect(a.announce("x", { role: "relay", hops: 0, upstream: "b" })).rejects.toThrow(RangeError);
    expect(a.held().size).toBe(0);
  });

  test("load travels with the heartbeat; a halted node's claims expire after the lease", async () => {
    const store = new MemoryRegistryStore();
    const a = registry(nodeA, store, 300);
    const b = registry(nodeB, store, 300);
    await a.announce("p", { role: "origin", hops: 0, upstream: null });
    a.setLoad(7);
    await sleep(250);
    expect((await b.locate("p"))[0]!.load).toBe(7);
    a.halt();
    expect(ids(await b.locate("p"))).toEqual(["a"]);
    await sleep(500);
    expect(await b.locate("p")).toEqual([]);
    expect((await b.nodes()).map((n) => n.nodeId)).toEqual(["b"]);
  });

  test("watch: the current set first, then each change, expiry included; unsubscribe stops it", async () => {
    const store = new MemoryRegistryStore();
    const a = registry(nodeA, store, 300);
    const b = registry(nodeB, store, 300);
    const seen: string[][] = [];
    const off = b.watch("p", (hs) => seen.push(ids(hs)));
    await sleep(0);
    await a.announce("p", { role: "origin", hops: 0, upstream: null });
    await b.announce("p", { role: "relay", hops: 1, upstream: "a" });
    await b.announce("p", { role: "relay", hops: 1, upstream: "a" }); // same claim: no callback
    a.halt();
    for (let i = 0; i < 40 && seen.length < 4; i++) await sleep(50);
    expect(seen).toEqual([[], ["a"], ["a", "b"], ["b"]]);
    off();
    await b.withdraw("p");
    await sleep(10);
    expect(seen.length).toBe(4);
  });
});
