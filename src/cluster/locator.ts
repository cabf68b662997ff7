/**
 * The locator: which holder of a path this node should pull it from. Pure — the registry's
 * holders in, a ranked list out — so the relay can try the next candidate when one fails.
 *
 * Preference (DESIGN.md "Cluster"): the stream on this node, then a holder in this datacenter,
 * then in this region, then the origin; among equals the least loaded, then the fewest hops.
 * A holder elsewhere that is not the origin comes last, only when nothing else is left (the
 * origin excluded after a failure, say). Never a node downstream of us: a holder whose upstream
 * chain reaches this node would make a loop, so it is not a candidate. Neither is a holder
 * downstream of an excluded (failed) node, nor one whose chain loops on itself.
 */
import type { HolderInfo, NodeIdentity } from "./registry.ts";

/** "node": this node is the origin (published here) — nothing to pull. */
export type Tier = "node" | "datacenter" | "region" | "origin" | "elsewhere";

const TIER_RANK: Record<Tier, number> = { node: 0, datacenter: 1, region: 2, origin: 3, elsewhere: 4 };

export interface Candidate {
  holder: HolderInfo;
  tier: Tier;
}

export interface LocateOptions {
  /** Node ids not to pull from (an upstream that just failed), nor from anything below them. */
  exclude?: ReadonlySet<string>;
}

export function tierOf(self: Pick<NodeIdentity, "nodeId" | "region" | "datacenter">, h: HolderInfo): Tier {
  if (h.nodeId === self.nodeId) return "node";
  if (h.region === self.region && h.datacenter === self.datacenter) return "datacenter";
  if (h.region === self.region) return "region";
  return h.role === "origin" ? "origin" : "elsewhere";
}

/** Every holder this node may pull from, best first. */
export function rankUpstreams(self: Pick<NodeIdentity, "nodeId" | "region" | "datacenter">, holders: readonly HolderInfo[], opts: LocateOptions = {}): Candidate[] {
  const byId = new Map<string, HolderInfo>();
  for (const h of holders) byId.set(h.nodeId, h);
  const exclude = opts.exclude;
  const out: Candidate[] = [];
  for (const h of byId.values()) {
    // our own claim counts only as the origin; our relay claim is the pull being replaced
    if (h.nodeId === self.nodeId ? h.role !== "origin" : !reachable(h, self.nodeId, byId, exclude)) continue;
    out.push({ holder: h, tier: tierOf(self, h) });
  }
  return out.sort(
    (a, b) =>
      TIER_RANK[a.tier] - TIER_RANK[b.tier] ||
      a.holder.load - b.holder.load ||
      a.holder.hops - b.holder.hops ||
      (a.holder.nodeId < b.holder.nodeId ? -1 : a.holder.nodeId > b.holder.nodeId ? 1 : 0),
  );
}

/** The best holder to pull from, or null when nobody (reachable without a loop) has the path. */
export function chooseUpstream(self: Pick<NodeIdentity, "nodeId" | "region" | "datacenter">, holders: readonly HolderInfo[], opts: LocateOptions = {}): Candidate | null {
  return rankUpstreams(self, holders, opts)[0] ?? null;
}

/**
 * Walk h's upstream chain: false when it reaches us (we feed it: a loop), an excluded node, or
 * loops on itself. A chain that leaves the known holders (its upstream's lease expired) ends there.
 */
function reachable(h: HolderInfo, selfId: string, byId: Map<string, HolderInfo>, exclude: ReadonlySet<string> | undefined): boolean {
  let cur = h;
  for (let steps = 0; steps <= byId.size; steps++) {
    if (cur.nodeId === selfId || exclude?.has(cur.nodeId)) return false;
    if (cur.upstream === null) return true;
    if (cur.upstream === selfId || exclude?.has(cur.upstream)) return false;
    const next = byId.get(cur.upstream);
    if (!next) return true;
    cur = next;
  }
  return false; // a cycle among the others
}
