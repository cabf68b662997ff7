/**
 * The Redis registry, through Bun's built-in client. Every claim is a key with a lease (PX
 * leaseMs), rewritten by the heartbeat every leaseMs / 3, so a node that dies loses its claims
 * within leaseMs; index sets (paths, holders of a path, nodes) are pruned as they are read.
 *
 *   {prefix}node:<id>          this node's NodeInfo JSON, PX lease
 *   {prefix}nodes              ZSET of node ids, scored by their last heartbeat (wall-clock ms)
 *   {prefix}h:<path>|<id>      one holder's HolderInfo JSON, PX lease (path and id URI-encoded)
 *   {prefix}hs:<path>          SET of the path's holder ids, PX lease (renewed by every holder)
 *   {prefix}paths              ZSET of paths, scored by their last claim (wall-clock ms)
 *
 * The two global indexes are trimmed by every heartbeat of members older than INDEX_STALE_MS (so
 * they stay bounded), and pruned of members whose key expired when read; the keys alone decide
 * what is live, so clock skew between nodes only delays the trimming.
 *
 * Redis unreachable: announce and withdraw still update what this node holds and resolve; the
 * failure is logged once, and the heartbeat reconnects and rewrites everything held (a restarted
 * Redis is empty) as soon as Redis answers again. locate, nodes and paths throw
 * RegistryUnavailableError meanwhile. Watches poll the watched paths every heartbeat.
 */
import { RedisClient } from "bun";
import { wallMs } from "../core/errors.ts";
import { log } from "../core/log.ts";
import { decodeHolder, decodeNode, decodePath, encodeHolder, encodeNode } from "./registry-entry.ts";
import {
  checkAnnouncement,
  DEFAULT_LEASE_MS,
  RegistryUnavailableError,
  type Announcement,
  type HolderInfo,
  type NodeIdentity,
  type NodeInfo,
  type PathHolders,
  type Registry,
  type RegistryOptions,
  type WatchCallback,
} from "./registry.ts";
import { Watchers } from "./watchers.ts";

export interface RedisRegistryOptions extends RegistryOptions {
  /** Key prefix (default "spate:"): several clusters can share one Redis. */
  prefix?: string;
  /** A Redis command not answered within this long counts as unreachable (default 2000). */
  commandTimeoutMs?: number;
}

/** Index sets are read whole: a bound on what one read may return. */
const MAX_INDEX_MEMBERS = 100_000;
/** Global index members not refreshed for this long (or 10 leases) are trimmed. */
const INDEX_STALE_MS = 60_000;

export class RedisRegistry implements Registry {
  private readonly client: RedisClient;
  private readonly own = new Map<string, Announcement>();
  private readonly watchers = new Watchers();
  private readonly leaseMs: number;
  private readonly prefix: string;
  private readonly commandTimeoutMs: number;
  private readonly logger = log.child("cluster").child("redis");
  private readonly store: string;
  private load = 0;
  private timer: Timer | undefined;
  private beating: Promise<void> | undefined;
  private connecting: Promise<void> | undefined;
  private available = true;
  private closed = false;
  /** The first heartbeat (connect included): operations wait for it so start-up is not an outage. */
  private readonly ready: Promise<void>;

  constructor(
    readonly node: NodeIdentity,
    url: string,
    opts: RedisRegistryOptions = {},
  ) {
    this.leaseMs = opts.leaseMs ?? DEFAULT_LEASE_MS;
    this.prefix = opts.prefix ?? "spate:";
    this.commandTimeoutMs = opts.commandTimeoutMs ?? 2000;
    this.store = redactUrl(url);
    // We reconnect ourselves from the heartbeat (and re-announce then): no offline queue, so a
    // lookup while Redis is away fails at once instead of waiting.
    this.client = new RedisClient(url, { autoReconnect: false, enableOfflineQueue: false, connectionTimeout: this.commandTimeoutMs });
    this.client.onclose = () => {};
    this.timer = setInterval(() => void this.heartbeat(), Math.max(1, Math.floor(this.leaseMs / 3)));
    this.timer.unref();
    this.ready = this.heartbeat();
  }

  async announce(path: string, announcement: Announcement): Promise<void> {
    if (this.closed) throw new Error("registry: announce after close");
    checkAnnouncement(path, announcement);
    this.own.set(path, { role: announcement.role, hops: announcement.hops, upstream: announcement.upstream });
    await this.ready;
    await this.attempt("announce", () => Promise.all(this.claimCommands(path)));
    this.refresh(path);
  }

  async withdraw(path: string): Promise<void> {
    if (!this.own.delete(path)) return;
    await this.ready;
    // When this fails the lease ends the claim within leaseMs.
    await this.attempt("withdraw", () => Promise.all([this.cmd("DEL", [this.holderKey(path, this.node.nodeId)]), this.cmd("SREM", [this.holdersKey(path), this.node.nodeId])]));
    this.refresh(path);
  }

  setLoad(load: number): void {
    this.load = load;
  }

  async locate(path: string): Promise<HolderInfo[]> {
    return this.lookup(() => this.readHolders(path));
  }

  watch(path: string, cb: WatchCallback): () => void {
    const off = this.watchers.add(path, cb);
    this.ready.then(() => this.readHolders(path)).then(
      (holders) => this.watchers.deliverFirst(path, cb, holders),
      () => {}, // unreachable: the first poll after recovery delivers
    );
    return off;
  }

  async nodes(): Promise<NodeInfo[]> {
    return this.lookup(async () => {
      const ids = await this.members(this.key("nodes"), true);
      if (ids.length === 0) return [];
      const values: (string | null)[] = await this.cmd("MGET", ids.map((id) => this.key(`node:${enc(id)}`)));
      const out: NodeInfo[] = [];
      const gone: string[] = [];
      ids.forEach((id, i) => {
        const n = decodeNode(values[i], id);
        if (n) out.push(n);
        else if (values[i] === null) gone.push(id);
      });
      if (gone.length > 0) void this.cmd("ZREM", [this.key("nodes"), ...gone]).catch(() => {});
      return out;
    });
  }

  async paths(): Promise<PathHolders[]> {
    return this.lookup(async () => {
      const paths = (await this.members(this.key("paths"), true)).map(decodePath).filter((p): p is string => p !== null);
      const all = await Promise.all(paths.map(async (path) => ({ path, holders: await this.readHolders(path) })));
      const empty = all.filter((p) => p.holders.length === 0).map((p) => p.path);
      // A path announced meanwhile is added back by its holder's next heartbeat.
      if (empty.length > 0) void this.cmd("ZREM", [this.key("paths"), ...empty]).catch(() => {});
      return all.filter((p) => p.holders.length > 0);
    });
  }

  held(): ReadonlyMap<string, Announcement> {
    return this.own;
  }

  /** Stop heartbeating and drop the connection without withdrawing anything, as if this node's process died. */
  halt(): void {
    this.closed = true;
    clearInterval(this.timer);
    this.client.close();
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.timer);
    await this.beating;
    if (this.client.connected) {
      const paths = [...this.own.keys()];
      this.own.clear();
      await this.attempt("close", () =>
        Promise.all([
          this.cmd("DEL", [this.key(`node:${enc(this.node.nodeId)}`), ...paths.map((p) => this.holderKey(p, this.node.nodeId))]),
          this.cmd("ZREM", [this.key("nodes"), this.node.nodeId]),
          ...paths.map((p) => this.cmd("SREM", [this.holdersKey(p), this.node.nodeId])),
        ]),
      );
    }
    this.client.close();
  }

  /** Reconnect when needed, then rewrite this node's entry and every claim with a fresh lease. */
  private heartbeat(): Promise<void> {
    if (this.beating || this.closed) return this.beating ?? Promise.resolve();
    this.beating = (async () => {
      const ok = await this.attempt("heartbeat", async () => {
        const now = Math.round(wallMs());
        const node: NodeInfo = { ...this.node, load: this.load, lastSeenMs: now };
        const stale = String(now - Math.max(INDEX_STALE_MS, 10 * this.leaseMs));
        const commands = [
          this.cmd("SET", [this.key(`node:${enc(this.node.nodeId)}`), encodeNode(node), "PX", String(this.leaseMs)]),
          this.cmd("ZADD", [this.key("nodes"), String(now), this.node.nodeId]),
          this.cmd("ZREMRANGEBYSCORE", [this.key("nodes"), "-inf", `(${stale}`]),
          this.cmd("ZREMRANGEBYSCORE", [this.key("paths"), "-inf", `(${stale}`]),
        ];
        for (const path of this.own.keys()) commands.push(...this.claimCommands(path));
        await Promise.all(commands);
      }, true);
      if (ok) await this.poll();
    })().finally(() => (this.beating = undefined));
    return this.beating;
  }

  private async ensureConnected(): Promise<void> {
    if (this.client.connected) return;
    this.connecting ??= withTimeout(this.client.connect(), this.commandTimeoutMs, "connect").finally(() => (this.connecting = undefined));
    await this.connecting;
  }

  /** The watched paths, re-read; watchers hear only of changes. */
  private async poll(): Promise<void> {
    await Promise.all(
      this.watchers.paths().map((path) =>
        this.readHolders(path).then(
          (holders) => this.watchers.update(path, holders),
          () => {},
        ),
      ),
    );
  }

  private refresh(path: string): void {
    if (this.watchers.paths().includes(path)) {
      this.readHolders(path).then(
        (holders) => this.watchers.update(path, holders),
        () => {},
      );
    }
  }

  /** The writes of this node's claim on a path; none once it was withdrawn. */
  private claimCommands(path: string): Promise<unknown>[] {
    const a = this.own.get(path);
    if (!a) return [];
    const holder: HolderInfo = { ...this.node, ...a, load: this.load };
    const lease = String(this.leaseMs);
    return [
      this.cmd("SET", [this.holderKey(path, this.node.nodeId), encodeHolder(holder), "PX", lease]),
      this.cmd("SADD", [this.holdersKey(path), this.node.nodeId]),
      this.cmd("PEXPIRE", [this.holdersKey(path), lease]),
      this.cmd("ZADD", [this.key("paths"), String(Math.round(wallMs())), path]),
    ];
  }

  private async readHolders(path: string): Promise<HolderInfo[]> {
    const ids = await this.members(this.holdersKey(path));
    if (ids.length === 0) return [];
    const values: (string | null)[] = await this.cmd("MGET", ids.map((id) => this.holderKey(path, id)));
    const out: HolderInfo[] = [];
    const gone: string[] = [];
    ids.forEach((id, i) => {
      const h = decodeHolder(values[i], id);
      if (h) out.push(h);
      else if (values[i] === null) gone.push(id); // lease expired
    });
    if (gone.length > 0) void this.cmd("SREM", [this.holdersKey(path), ...gone]).catch(() => {});
    return out;
  }

  private async members(key: string, sorted = false): Promise<string[]> {
    const v: unknown = await this.cmd(sorted ? "ZRANGE" : "SMEMBERS", sorted ? [key, "0", String(MAX_INDEX_MEMBERS - 1)] : [key]);
    if (!Array.isArray(v)) return [];
    const out: string[] = [];
    for (const m of v) {
      if (out.length >= MAX_INDEX_MEMBERS) break;
      if (typeof m === "string" && m.length > 0 && m.length <= 1024) out.push(m);
    }
    return out;
  }

  /** A lookup: RegistryUnavailableError when Redis does not answer. */
  private async lookup<T>(fn: () => Promise<T>): Promise<T> {
    await this.ready;
    if (!this.client.connected) throw new RegistryUnavailableError(this.store, new Error("not connected"));
    try {
      return await fn();
    } catch (e) {
      throw new RegistryUnavailableError(this.store, e);
    }
  }

  /** A write that must not fail the caller: logs the first failure and the recovery. */
  private async attempt(what: string, fn: () => Promise<unknown>, reconnect = false): Promise<boolean> {
    try {
      if (reconnect) await this.ensureConnected();
      else if (!this.client.connected) throw new Error("not connected");
      await fn();
      if (!this.available) {
        this.available = true;
        this.logger.info("registry reachable again; claims rewritten", { store: this.store, paths: this.own.size });
      }
      return true;
    } catch (e) {
      if (this.available) {
        this.available = false;
        this.logger.warn("registry unreachable; retrying every heartbeat", { store: this.store, during: what, error: (e as Error).message });
      }
      return false;
    }
  }

  private cmd(command: string, args: string[]): Promise<any> {
    return withTimeout(this.client.send(command, args), this.commandTimeoutMs, command);
  }

  private key(name: string): string {
    return this.prefix + name;
  }
  private holdersKey(path: string): string {
    return this.key(`hs:${enc(path)}`);
  }
  private holderKey(path: string, nodeId: string): string {
    return this.key(`h:${enc(path)}|${enc(nodeId)}`);
  }
}

const enc = encodeURIComponent;

function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, "//***@");
}

function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: Timer | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
