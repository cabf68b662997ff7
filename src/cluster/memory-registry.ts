/**
 * The in-memory registry: the default for a single node, and several nodes in one process for
 * tests — every MemoryRegistry made from the same MemoryRegistryStore sees the others' claims.
 * Leases behave as in Redis: a registry that stops heartbeating (halt(), as if its process died)
 * loses its claims after leaseMs.
 */
import { Watchers } from "./watchers.ts";
import {
  checkAnnouncement,
  DEFAULT_LEASE_MS,
  type Announcement,
  type HolderInfo,
  type NodeIdentity,
  type NodeInfo,
  type PathHolders,
  type Registry,
  type RegistryOptions,
  type WatchCallback,
} from "./registry.ts";

interface Lease<T> {
  value: T;
  expiresAtMs: number;
}

/** The shared state: what Redis is for the Redis registry. */
export class MemoryRegistryStore {
  readonly nodes = new Map<string, Lease<NodeInfo>>();
  /** path -> nodeId -> claim */
  readonly holders = new Map<string, Map<string, Lease<HolderInfo>>>();
  private readonly registries = new Set<MemoryRegistry>();

  constructor(readonly now: () => number = Date.now) {}

  attach(r: MemoryRegistry): void {
    this.registries.add(r);
  }
  detach(r: MemoryRegistry): void {
    this.registries.delete(r);
  }

  liveHolders(path: string): HolderInfo[] {
    const byNode = this.holders.get(path);
    if (!byNode) return [];
    const now = this.now();
    const out: HolderInfo[] = [];
    for (const [nodeId, lease] of byNode) {
      if (lease.expiresAtMs > now) out.push({ ...lease.value });
      else byNode.delete(nodeId);
    }
    if (byNode.size === 0) this.holders.delete(path);
    return out;
  }

  liveNodes(): NodeInfo[] {
    const now = this.now();
    const out: NodeInfo[] = [];
    for (const [nodeId, lease] of this.nodes) {
      if (lease.expiresAtMs > now) out.push({ ...lease.value });
      else this.nodes.delete(nodeId);
    }
    return out;
  }

  /** Tell every registry's watchers of the path what its holders are now. */
  changed(path: string): void {
    const holders = this.liveHolders(path);
    for (const r of this.registries) r.watchers.update(path, holders);
  }

  /** Expire what is due and tell the watchers (run by each registry's heartbeat). */
  sweep(): void {
    const paths = new Set<string>();
    for (const r of this.registries) for (const p of r.watchers.paths()) paths.add(p);
    for (const p of paths) this.changed(p);
  }
}

export class MemoryRegistry implements Registry {
  readonly watchers = new Watchers();
  private readonly own = new Map<string, Announcement>();
  private readonly leaseMs: number;
  private load = 0;
  private timer: Timer | undefined;
  private closed = false;

  constructor(
    readonly node: NodeIdentity,
    private readonly store: MemoryRegistryStore = new MemoryRegistryStore(),
    opts: RegistryOptions = {},
  ) {
    this.leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
    store.attach(this);
    this.heartbeat();
    this.timer = setInterval(() => this.heartbeat(), Math.max(1, Math.floor(this.leaseMs / 3)));
    this.timer.unref();
  }

  async announce(path: string, announcement: Announcement): Promise<void> {
    if (this.closed) throw new Error("registry: announce after close");
    checkAnnouncement(path, announcement);
    this.own.set(path, { role: announcement.role, hops: announcement.hops, upstream: announcement.upstream });
    this.renew(path);
    this.store.changed(path);
  }

  async withdraw(path: string): Promise<void> {
    if (!this.own.delete(path)) return;
    const byNode = this.store.holders.get(path);
    if (byNode?.get(this.node.nodeId)) {
      byNode.delete(this.node.nodeId);
      if (byNode.size === 0) this.store.holders.delete(path);
    }
    this.store.changed(path);
  }

  setLoad(load: number): void {
    this.load = load;
  }

  async locate(path: string): Promise<HolderInfo[]> {
    return this.store.liveHolders(path);
  }

  watch(path: string, cb: WatchCallback): () => void {
    const off = this.watchers.add(path, cb);
    queueMicrotask(() => this.watchers.deliverFirst(path, cb, this.store.liveHolders(path)));
    return off;
  }

  async nodes(): Promise<NodeInfo[]> {
    return this.store.liveNodes();
  }

  async paths(): Promise<PathHolders[]> {
    const out: PathHolders[] = [];
    for (const path of [...this.store.holders.keys()]) {
      const holders = this.store.liveHolders(path);
      if (holders.length > 0) out.push({ path, holders });
    }
    return out;
  }

  held(): ReadonlyMap<string, Announcement> {
    return this.own;
  }

  /** Stop heartbeating without withdrawing anything, as if this node's process died. */
  halt(): void {
    clearInterval(this.timer);
    this.closed = true;
  }

  async close(): Promise<void> {
    if (this.closed && this.own.size === 0) return;
    clearInterval(this.timer);
    for (const path of [...this.own.keys()]) await this.withdraw(path);
    this.store.nodes.delete(this.node.nodeId);
    this.closed = true;
    this.store.detach(this);
  }

  private heartbeat(): void {
    const now = this.store.now();
    this.store.nodes.set(this.node.nodeId, { value: { ...this.node, load: this.load, lastSeenMs: now }, expiresAtMs: now + this.leaseMs });
    for (const path of this.own.keys()) this.renew(path);
    this.store.sweep();
  }

  private renew(path: string): void {
    const a = this.own.get(path)!;
    let byNode = this.store.holders.get(path);
    if (!byNode) this.store.holders.set(path, (byNode = new Map()));
    byNode.set(this.node.nodeId, { value: { ...this.node, ...a, load: this.load }, expiresAtMs: this.store.now() + this.leaseMs });
  }
}
