/**
 * One conformance suite for every Registry implementation (memory, Redis): the behaviour the
 * relay relies on. Each implementation's test file calls it with a factory of nodes that share
 * one store.
 */
import { afterEach, beforeEach, expect, test } from "bun:test";
import type { HolderInfo, NodeIdentity, Registry } from "./registry.ts";

export interface Haltable extends Registry {
  /** Stop heartbeating without withdrawing, as if the process died. */
  halt(): void;
}

export interface ConformanceOptions {
  /** A registry for this node on the shared store, with this lease. */
  make(node: NodeIdentity, leaseMs: number): Haltable;
  /** Before each test: a new, empty shared store. */
  reset(): void;
}

export const nodeA: NodeIdentity = { nodeId: "a", region: "eu", datacenter: "eu-1", address: "127.0.0.1:1" };
export const nodeB: NodeIdentity = { nodeId: "b", region: "eu", datacenter: "eu-1", address: "127.0.0.1:2" };

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
export const ids = (hs: HolderInfo[]) => hs.map((h) => h.nodeId).sort();

/** Poll `fn` until `ok` holds or `timeoutMs` passes; returns the last value. */
export async function until<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number, stepMs = 50): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let v = await fn();
  while (!ok(v) && Date.now() < deadline) {
    await sleep(stepMs);
    v = await fn();
  }
  return v;
}

export function registryConformance({ make, reset }: ConformanceOptions): void {
  const open: Registry[] = [];
  beforeEach(reset);
  afterEach(async () => {
    for (const r of open.splice(0)) await r.close();
  });
  const registry = (node: NodeIdentity, leaseMs = 5000) => {
    const r = make(node, leaseMs);
    open.push(r);
    return r;
  };

  test("two nodes see each other's claims, nodes and paths; withdraw and close remove them", async () => {
    const a = registry(nodeA);
    const b = registry(nodeB);
    await a.announce("live/cam1", { role: "origin", hops: 0, upstream: null });
    await b.announce("live/cam1", { role: "relay", hops: 1, upstream: "a" });
    const holders = await b.locate("live/cam1");
    expect(ids(holders)).toEqual(["a", "b"]);
    expect(holders.find((h) => h.nodeId === "b")).toEqual({ ...nodeB, role: "relay", hops: 1, upstream: "a", load: 0 });
    expect((await a.nodes()).map((n) => n.nodeId).sort()).toEqual(["a", "b"]);
    const paths = await a.paths();
    expect(paths.map((p) => [p.path, ids(p.holders)])).toEqual([["live/cam1", ["a", "b"]]]);
    expect([...b.held().keys()]).toEqual(["live/cam1"]);
    // announcing again replaces the claim
    await b.announce("live/cam1", { role: "relay", hops: 2, upstream: "c" });
    expect((await a.locate("live/cam1")).find((h) => h.nodeId === "b")!.upstream).toBe("c");
    await b.withdraw("live/cam1");
    expect(ids(await a.locate("live/cam1"))).toEqual(["a"]);
    await a.close();
    expect(await b.locate("live/cam1")).toEqual([]);
    expect(await b.paths()).toEqual([]);
    expect((await b.nodes()).map((n) => n.nodeId)).toEqual(["b"]);
  });

  test("announce refuses inconsistent claims", async () => {
    const a = registry(nodeA);
    await expect(a.announce("x", { role: "origin", hops: 1, upstream: null })).rejects.toThrow(RangeError);
    await expect(a.announce("x", { role: "relay", hops: 1, upstream: null })).rejects.toThrow(RangeError);
    await expect(a.announce("x", { role: "relay", hops: 0, upstream: "b" })).rejects.toThrow(RangeError);
    await expect(a.announce("", { role: "origin", hops: 0, upstream: null })).rejects.toThrow(RangeError);
    expect(a.held().size).toBe(0);
  });

  test("load travels with the heartbeat; a halted node's claims expire after its lease", async () => {
    const a = registry(nodeA, 600);
    const b = registry(nodeB, 600);
    await a.announce("p", { role: "origin", hops: 0, upstream: null });
    a.setLoad(7);
    const loaded = await until(() => b.locate("p"), (hs) => hs[0]?.load === 7, 3000);
    expect(loaded.map((h) => h.load)).toEqual([7]);
    a.halt();
    expect(ids(await b.locate("p"))).toEqual(["a"]);
    const after = await until(() => b.locate("p"), (hs) => hs.length === 0, 5000);
    expect(after).toEqual([]);
    expect((await b.nodes()).map((n) => n.nodeId)).toEqual(["b"]);
  });

  test("watch: the current set first, then each change, expiry included; unsubscribe stops it", async () => {
    const a = registry(nodeA, 600);
    const b = registry(nodeB, 600);
    const seen: string[][] = [];
    const off = b.watch("p", (hs) => seen.push(ids(hs)));
    await until(async () => seen.length, (n) => n >= 1, 2000, 10);
    await a.announce("p", { role: "origin", hops: 0, upstream: null });
    await until(async () => seen.length, (n) => n >= 2, 2000, 10);
    await b.announce("p", { role: "relay", hops: 1, upstream: "a" });
    await until(async () => seen.length, (n) => n >= 3, 2000, 10);
    await b.announce("p", { role: "relay", hops: 1, upstream: "a" }); // the same claim: no callback
    a.halt();
    await until(async () => seen.length, (n) => n >= 4, 5000, 20);
    expect(seen).toEqual([[], ["a"], ["a", "b"], ["b"]]);
    off();
    await b.withdraw("p");
    await sleep(500);
    expect(seen.length).toBe(4);
  });
}
