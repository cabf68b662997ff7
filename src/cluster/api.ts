/**
 * The JSON of `/api/v1/cluster`: the live nodes and, per stream, its tree — each holder's
 * upstream, hops from the origin, and the tier of its link (how near its upstream is: same
 * datacenter, same region, the origin in another region, or another relay elsewhere).
 */
import { tierOf, type Tier } from "./locator.ts";
import { RegistryUnavailableError, type HolderInfo, type NodeInfo, type Registry } from "./registry.ts";

export interface ClusterTreeNode {
  nodeId: string;
  region: string;
  datacenter: string;
  address: string;
  role: HolderInfo["role"];
  hops: number;
  load: number;
  /** The node it pulls from; null for the origin. */
  upstream: string | null;
  /** Where its upstream is, seen from it; null for the origin, "elsewhere" too for an upstream whose claim expired. */
  tier: Exclude<Tier, "node"> | null;
}

export interface ClusterStream {
  path: string;
  /** The origin's node id; null while no origin claim is live. */
  origin: string | null;
  /** Origin first, then by hops and node id. */
  nodes: ClusterTreeNode[];
}

export interface ClusterView {
  self: NodeInfo | { nodeId: string; region: string; datacenter: string; address: string };
  nodes: (NodeInfo & { self: boolean })[];
  streams: ClusterStream[];
}

/** Throws RegistryUnavailableError when the registry cannot be read. */
export async function clusterView(registry: Registry): Promise<ClusterView> {
  const [nodes, paths] = await Promise.all([registry.nodes(), registry.paths()]);
  const selfId = registry.node.nodeId;
  return {
    self: nodes.find((n) => n.nodeId === selfId) ?? { ...registry.node },
    nodes: nodes.map((n) => ({ ...n, self: n.nodeId === selfId })).sort((a, b) => cmp(a.nodeId, b.nodeId)),
    streams: paths.map(({ path, holders }) => streamTree(path, holders)).sort((a, b) => cmp(a.path, b.path)),
  };
}

export function streamTree(path: string, holders: HolderInfo[]): ClusterStream {
  const byId = new Map(holders.map((h) => [h.nodeId, h]));
  const nodes = holders
    .map((h): ClusterTreeNode => {
      const up = h.upstream === null ? undefined : byId.get(h.upstream);
      const tier = h.upstream === null ? null : up ? (tierOf(h, up) as Exclude<Tier, "node">) : "elsewhere";
      return { nodeId: h.nodeId, region: h.region, datacenter: h.datacenter, address: h.address, role: h.role, hops: h.hops, load: h.load, upstream: h.upstream, tier };
    })
    .sort((a, b) => a.hops - b.hops || cmp(a.nodeId, b.nodeId));
  return { path, origin: holders.find((h) => h.role === "origin")?.nodeId ?? null, nodes };
}

/** The route's response: the view, or 503 with the registry's error. */
export async function clusterResponse(registry: Registry): Promise<Response> {
  try {
    return Response.json(await clusterView(registry));
  } catch (e) {
    if (e instanceof RegistryUnavailableError) return Response.json({ error: e.message }, { status: 503 });
    throw e;
  }
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
