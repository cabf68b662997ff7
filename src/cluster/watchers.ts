/**
 * The watchers of a registry: per path, the callbacks and the last holder set they saw, so a
 * callback runs only when the set really changed (a heartbeat that renews a lease is no change).
 */
import { log } from "../core/log.ts";
import type { HolderInfo, WatchCallback } from "./registry.ts";

const logger = log.child("cluster");

interface Watched {
  callbacks: Set<WatchCallback>;
  /** Callbacks that have not been given a set yet. */
  pending: Set<WatchCallback>;
  /** The canonical form of the last set delivered; undefined before the first. */
  lastKey: string | undefined;
}

export class Watchers {
  private readonly byPath = new Map<string, Watched>();

  add(path: string, cb: WatchCallback): () => void {
    let w = this.byPath.get(path);
    if (!w) this.byPath.set(path, (w = { callbacks: new Set(), pending: new Set(), lastKey: undefined }));
    w.callbacks.add(cb);
    w.pending.add(cb);
    return () => {
      const cur = this.byPath.get(path);
      if (!cur) return;
      cur.callbacks.delete(cb);
      cur.pending.delete(cb);
      if (cur.callbacks.size === 0) this.byPath.delete(path);
    };
  }

  /** A new watcher's first set, unless an update() reached it first. */
  deliverFirst(path: string, cb: WatchCallback, holders: HolderInfo[]): void {
    const w = this.byPath.get(path);
    if (!w?.pending.delete(cb)) return;
    w.lastKey ??= canonical(holders);
    call(cb, path, holders);
  }

  paths(): string[] {
    return [...this.byPath.keys()];
  }

  get size(): number {
    return this.byPath.size;
  }

  /** The path's holders as they are now: calls its watchers when they differ from the last set. */
  update(path: string, holders: HolderInfo[]): void {
    const w = this.byPath.get(path);
    if (!w) return;
    const key = canonical(holders);
    const targets = key === w.lastKey ? [...w.pending] : [...w.callbacks];
    w.lastKey = key;
    w.pending.clear();
    for (const cb of targets) call(cb, path, holders);
  }
}

function call(cb: WatchCallback, path: string, holders: HolderInfo[]): void {
  try {
    cb(holders.map((h) => ({ ...h })));
  } catch (e) {
    logger.error("registry watch callback threw", { path, error: String(e) });
  }
}

function canonical(holders: HolderInfo[]): string {
  const sorted = [...holders].sort((a, b) => (a.nodeId < b.nodeId ? -1 : a.nodeId > b.nodeId ? 1 : 0));
  return JSON.stringify(sorted.map((h) => [h.nodeId, h.region, h.datacenter, h.address, h.role, h.hops, h.upstream, h.load]));
}
