/**
 * The cluster registry: which nodes hold which stream path, behind one small interface with two
 * implementations — in memory (the default: one node, or several in one process for tests) and
 * Redis (a real cluster). Pick one with `createRegistry(config, identity)` from ./node.ts.
 *
 * How a node uses it:
 *
 *   const registry = createRegistry(config, nodeIdentity(config, httpPort));
 *   await registry.announce("live/cam1", { role: "origin", hops: 0, upstream: null }); // on publish
 *   await registry.announce("live/cam1", { role: "relay", hops: up.hops + 1, upstream: up.nodeId }); // after pulling
 *   registry.setLoad(readers);                           // published with the next heartbeat
 *   const holders = await registry.locate("live/cam1");  // throws RegistryUnavailableError
 *   const up = chooseUpstream(registry.node, holders);   // ./locator.ts; null: nobody has it
 *   const stop = registry.watch("live/cam1", (holders) => { ... }); // later: stop()
 *   await registry.withdraw("live/cam1");                // publisher gone / relay ended
 *   await registry.close();                              // withdraws everything, stops heartbeats
 *
 * Every announcement is a lease: the registry renews it (and this node's own entry, with its
 * load) every `leaseMs / 3` until it is withdrawn or the registry closed, so a node that dies
 * loses its claims within `leaseMs`. Announcing a path again replaces this node's entry for it
 * (a relay that re-attached elsewhere announces its new upstream and hops). A node holds each
 * path at most once.
 */

/** Where a node is and how other nodes reach it. */
export interface NodeIdentity {
  nodeId: string;
  region: string;
  datacenter: string;
  /** "host:port" of the node's HTTP port, as other nodes reach it (`http://${address}/...`). */
  address: string;
}

export type HolderRole = "origin" | "relay";

/** What a node says when it announces a path. */
export interface Announcement {
  /** "origin": published here; "relay": pulled from another node. */
  role: HolderRole;
  /** Relay steps from the origin: 0 for the origin, upstream's hops + 1 for a relay. */
  hops: number;
  /** The node id this node pulls the path from; null for the origin. */
  upstream: string | null;
}

/** One holder of a path, as locate() returns it. */
export interface HolderInfo extends NodeIdentity, Announcement {
  /** The holder node's load (see Registry.setLoad) at its last heartbeat. */
  load: number;
}

/** A live node (its heartbeat has not expired). */
export interface NodeInfo extends NodeIdentity {
  load: number;
  /** Wall-clock ms of the node's last heartbeat, as that node saw it. */
  lastSeenMs: number;
}

/** The holders of one path, for the cluster API. */
export interface PathHolders {
  path: string;
  holders: HolderInfo[];
}

export type WatchCallback = (holders: HolderInfo[]) => void;

export interface Registry {
  /** This node. */
  readonly node: NodeIdentity;
  /** Claim (or update this node's claim on) a path; kept alive by heartbeat until withdrawn. */
  announce(path: string, announcement: Announcement): Promise<void>;
  /** Drop this node's claim on a path (no-op when it has none). */
  withdraw(path: string): Promise<void>;
  /** This node's load (e.g. readers + downstream relays); published with the next heartbeat. */
  setLoad(load: number): void;
  /** Every live holder of a path, in no particular order. Throws RegistryUnavailableError. */
  locate(path: string): Promise<HolderInfo[]>;
  /**
   * Calls `cb` with the path's holders whenever they change (announce, withdraw, a lease
   * expiring, a load change), starting with the current set. Returns the unsubscribe function.
   * Errors while the store is unreachable are not reported here; the next change after recovery is.
   */
  watch(path: string, cb: WatchCallback): () => void;
  /** Every live node. Throws RegistryUnavailableError. */
  nodes(): Promise<NodeInfo[]>;
  /** Every path with at least one live holder, with its holders. Throws RegistryUnavailableError. */
  paths(): Promise<PathHolders[]>;
  /** The paths this node announced and has not withdrawn. */
  held(): ReadonlyMap<string, Announcement>;
  /** Withdraw everything this node holds and stop heartbeats. Safe to call twice. */
  close(): Promise<void>;
}

/** The store behind the registry cannot be reached: lookups fail with this until it returns. */
export class RegistryUnavailableError extends Error {
  constructor(
    readonly store: string,
    cause?: unknown,
  ) {
    super(`cluster registry unavailable: ${store}${cause instanceof Error ? `: ${cause.message}` : ""}`);
    this.name = "RegistryUnavailableError";
  }
}

export interface RegistryOptions {
  /** A claim not renewed for this long is gone (default 5000). Heartbeats every leaseMs / 3. */
  leaseMs?: number;
}

export const DEFAULT_LEASE_MS = 5000;
/** Paths longer than this are refused by announce (and ignored when read back from a store). */
export const MAX_PATH_LENGTH = 1024;

export function checkAnnouncement(path: string, a: Announcement): void {
  if (path.length === 0 || path.length > MAX_PATH_LENGTH) throw new RangeError(`registry: path length ${path.length} not in 1..${MAX_PATH_LENGTH}`);
  if (!Number.isInteger(a.hops) || a.hops < 0) throw new RangeError(`registry: hops ${a.hops} is not a non-negative integer`);
  const origin = a.hops === 0 && a.upstream === null;
  const relay = a.hops > 0 && typeof a.upstream === "string" && a.upstream.length > 0;
  if (a.role === "origin" ? !origin : a.role !== "relay" || !relay) {
    throw new RangeError(`registry: role ${a.role} with hops ${a.hops} and upstream ${a.upstream}: an origin has hops 0 and no upstream, a relay both`);
  }
}
