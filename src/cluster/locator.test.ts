import { describe, expect, test } from "bun:test";
import { chooseUpstream, rankUpstreams, type Tier } from "./locator.ts";
import type { HolderInfo, NodeIdentity } from "./registry.ts";

// The six-node topology of issue 6: eu/eu-1 A, B; eu/eu-2 C; us/us-1 D, E; us/us-2 F.
const NODES: Record<string, NodeIdentity> = {
  A: { nodeId: "A", region: "eu", datacenter: "eu-1", address: "127.0.0.1:1" },
  B: { nodeId: "B", region: "eu", datacenter: "eu-1", address: "127.0.0.1:2" },
  C: { nodeId: "C", region: "eu", datacenter: "eu-2", address: "127.0.0.1:3" },
  D: { nodeId: "D", region: "us", datacenter: "us-1", address: "127.0.0.1:4" },
  E: { nodeId: "E", region: "us", datacenter: "us-1", address: "127.0.0.1:5" },
  F: { nodeId: "F", region: "us", datacenter: "us-2", address: "127.0.0.1:6" },
};

/** "A" is the origin; "B<A" relays from A (hops from the chain); "B<A:3" has load 3. */
function holders(spec: string): HolderInfo[] {
  const parsed = spec.split(/\s+/).filter(Boolean).map((s) => {
    const m = /^([A-Z])(?:<([A-Z]))?(?::(\d+))?$/.exec(s)!;
    return { id: m[1]!, up: m[2] ?? null, load: Number(m[3] ?? 0) };
  });
  const hopsOf = (id: string, depth = 0): number => {
    const p = parsed.find((x) => x.id === id);
    return !p || p.up === null || depth > 10 ? 0 : 1 + hopsOf(p.up, depth + 1);
  };
  return parsed.map((p) => ({
    ...NODES[p.id]!,
    role: p.up === null ? "origin" : "relay",
    hops: p.up === null ? 0 : Math.max(1, hopsOf(p.id)),
    upstream: p.up,
    load: p.load,
  }));
}

interface Case {
  name: string;
  self: string;
  holders: string;
  exclude?: string[];
  /** The chosen node and its tier, or null. */
  want: [string, Tier] | null;
  /** The whole ranking, when it matters. */
  ranking?: string[];
}

const CASES: Case[] = [
  { name: "nobody has it", self: "B", holders: "", want: null },
  { name: "published here", self: "A", holders: "A B<A", want: ["A", "node"] },
  { name: "B pulls from A in its datacenter", self: "B", holders: "A", want: ["A", "datacenter"] },
  { name: "C pulls from A in its region (A, B equally loaded: fewer hops)", self: "C", holders: "A B<A", want: ["A", "region"], ranking: ["A", "B"] },
  { name: "C pulls from the less loaded of A and B", self: "C", holders: "A:5 B<A:1", want: ["B", "region"] },
  { name: "the first of D/E pulls from the origin in eu", self: "D", holders: "A B<A C<A", want: ["A", "origin"], ranking: ["A", "B", "C"] },
  { name: "the second of D/E pulls from the first (same datacenter)", self: "E", holders: "A B<A C<A D<A", want: ["D", "datacenter"] },
  { name: "F pulls from D or E in its region", self: "F", holders: "A B<A C<A D<A E<D", want: ["D", "region"], ranking: ["D", "E", "A", "B", "C"] },
  { name: "F prefers the less loaded of D and E", self: "F", holders: "A B<A C<A D<A:9 E<D:2", want: ["E", "region"] },
  { name: "a datacenter peer beats a less loaded region peer", self: "E", holders: "A C<A D<A:50 F<A:0", want: ["D", "datacenter"] },
  { name: "never a node downstream of us (B feeds C)", self: "B", holders: "A:9 B<A C<B:0", want: ["A", "datacenter"], ranking: ["A"] },
  { name: "never a node further downstream of us", self: "D", holders: "A D<A E<D F<E", want: ["A", "origin"], ranking: ["A"] },
  { name: "our own relay claim is the pull being replaced, not a source", self: "D", holders: "A D<A", want: ["A", "origin"], ranking: ["A"] },
  { name: "an excluded (failed) upstream and everything below it are skipped", self: "F", holders: "A D<A E<D", exclude: ["D"], want: ["A", "origin"], ranking: ["A"] },
  { name: "the failed upstream gone from the registry: its orphan still names it", self: "F", holders: "A E<D", exclude: ["D"], want: ["A", "origin"], ranking: ["A"] },
  { name: "origin excluded: its relays go with it", self: "F", holders: "A B<A C<A", exclude: ["A"], want: null },
  { name: "origin's lease expired: a relay elsewhere is the last resort", self: "F", holders: "B<A:4 C<A:1", want: ["C", "elsewhere"], ranking: ["C", "B"] },
  { name: "relays elsewhere rank after the origin", self: "D", holders: "A:100 B<A:0", want: ["A", "origin"], ranking: ["A", "B"] },
  { name: "a chain whose upstream expired ends there", self: "F", holders: "E<D", want: ["E", "region"] },
  { name: "a cycle among others is not a source", self: "F", holders: "D<E E<D", want: null },
];

describe("locator: the six-node topology of issue 6", () => {
  for (const c of CASES) {
    test(c.name, () => {
      const self = NODES[c.self]!;
      const hs = holders(c.holders);
      const opts = { exclude: new Set(c.exclude ?? []) };
      const got = chooseUpstream(self, hs, opts);
      expect(got ? [got.holder.nodeId, got.tier] : null).toEqual(c.want);
      if (c.ranking) expect(rankUpstreams(self, hs, opts).map((x) => x.holder.nodeId)).toEqual(c.ranking);
    });
  }

  test("the acceptance tree, grown one node at a time, has one upstream per node and no loop", () => {
    const tree: HolderInfo[] = holders("A");
    for (const id of ["B", "C", "D", "E", "F"]) {
      const up = chooseUpstream(NODES[id]!, tree)!;
      tree.push({ ...NODES[id]!, role: "relay", hops: up.holder.hops + 1, upstream: up.holder.nodeId, load: 0 });
    }
    const upOf = Object.fromEntries(tree.map((h) => [h.nodeId, h.upstream]));
    expect(upOf.B).toBe("A");
    expect(["A", "B"]).toContain(upOf.C!);
    expect(upOf.D).toBe("A");
    expect(upOf.E).toBe("D");
    expect(["D", "E"]).toContain(upOf.F!);
  });
});
