/**
 * The relay's downstream half: a SourceProvider that, when a local reader of any protocol asks for
 * a path nobody publishes here, finds the nearest holder through the registry and the locator,
 * pulls the stream from it, and announces this node as a holder (role relay, hops + 1). Exactly one
 * pull per stream per node (the PathTable starts a source once per stream); it stops after the last
 * local reader leaves and the linger passes. An upstream that breaks is replaced: re-locate, with
 * the failed node excluded until its lease has surely expired, and re-attach while the readers wait.
 */
import type { Logger } from "../core/log.ts";
import type { PathTable, SourceHandle, SourceProvider } from "../core/path-table.ts";
import { RelayIngest } from "../protocols/relay/ingest.ts";
import { dialRelay } from "../protocols/relay/listener.ts";
import { chooseUpstream } from "./locator.ts";
import type { HolderInfo, Registry } from "./registry.ts";

/**
 * Retry delays: nobody holds the path yet (the first seconds, then slower) / the registry is
 * unreachable / an upstream just broke.
 */
const IDLE_RETRY_MS = 250;
const SLOW_RETRY_MS = 1000;
const FAST_RETRIES_MS = 5000;
const UNAVAILABLE_RETRY_MS = 1000;
const BROKEN_RETRY_MS = 20;
/** Unknown hops in ACCEPT (the upstream had not announced yet). */
const HOPS_UNKNOWN = 255;

export interface RelaySourceOptions {
  secret: string | undefined;
  /** A failed upstream is not chosen again for this long (its lease may still be in the registry). */
  excludeMs: number;
}

export class RelaySource implements SourceProvider {
  readonly pulls = new Map<string, RelayPull>();
  /** Upstream connections opened since start (each re-attach counts): the API's relay counters. */
  dials = 0;

  constructor(
    readonly paths: PathTable,
    readonly registry: Registry,
    readonly opts: RelaySourceOptions,
    readonly log: Logger,
  ) {}

  start(path: string): SourceHandle {
    const pull = new RelayPull(this, path);
    this.pulls.set(path, pull);
    pull.attempt();
    return pull;
  }

  /** The node this node pulls `path` from now, null when none. */
  upstreamOf(path: string): string | null {
    const p = this.pulls.get(path);
    return p?.upstream ? p.upstream.nodeId : null;
  }

  stop(): void {
    for (const p of [...this.pulls.values()]) p.stop("server shutting down");
  }
}

export class RelayPull implements SourceHandle {
  readonly ingest: RelayIngest;
  upstream: HolderInfo | null;
  private stopped: boolean;
  private timer: ReturnType<typeof setTimeout> | null;
  private link: { close(reason: string): void } | null;
  /** nodeId -> until (performance.now() ms) */
  private readonly failed = new Map<string, number>();
  private warned: string;
  /** Until then a path nobody holds is looked up again every IDLE_RETRY_MS, then every SLOW_RETRY_MS. */
  private fastUntilMs = performance.now() + FAST_RETRIES_MS;

  constructor(
    readonly source: RelaySource,
    readonly path: string,
  ) {
    const reg = source.registry;
    this.upstream = null;
    this.stopped = false;
    this.timer = null;
    this.link = null;
    this.warned = "";
    this.ingest = new RelayIngest(source.paths, path, reg.node.nodeId, source.opts.secret, {
      accepted: (node, hops) => {
        const h = hops === HOPS_UNKNOWN ? (this.upstream?.hops ?? 0) : hops;
        reg.announce(path, { role: "relay", hops: h + 1, upstream: node }).catch((e) => this.warn("announce failed", e));
      },
      refused: (reason) => this.warn("upstream refused the pull", reason),
      closed: (reason) => this.stop(reason),
    });
  }

  /** Locate, choose, dial; on any failure try again later (until stopped). */
  attempt(): void {
    this.timer = null;
    if (this.stopped) return;
    const local = this.source.paths.get(this.path)?.publisher;
    // Published here meanwhile (a reader came first): nothing to pull while that publisher lasts.
    if (local && local !== this.ingest) return this.retry(SLOW_RETRY_MS);
    this.source.registry.locate(this.path).then(
      (holders) => {
        if (this.stopped) return;
        const now = performance.now();
        for (const [id, until] of this.failed) if (until < now) this.failed.delete(id);
        const c = chooseUpstream(this.source.registry.node, holders, { exclude: new Set(this.failed.keys()) });
        if (!c || c.holder.nodeId === this.source.registry.node.nodeId) {
          return this.retry(performance.now() < this.fastUntilMs ? IDLE_RETRY_MS : SLOW_RETRY_MS);
        }
        this.dial(c.holder);
      },
      (e) => {
        this.warn("registry lookup failed", e);
        this.retry(UNAVAILABLE_RETRY_MS);
      },
    );
  }

  stop(reason: string): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.source.pulls.get(this.path) === this) this.source.pulls.delete(this.path);
    this.link?.close(reason);
    this.link = null;
    this.ingest.stop();
    this.source.registry.withdraw(this.path).catch((e) => this.warn("withdraw failed", e));
  }

  private dial(up: HolderInfo): void {
    this.upstream = up;
    this.source.dials++;
    this.link = dialRelay(up.nodeId, up.address, this.path, this.ingest, this.source.log, (reason, accepted) => {
      this.link = null;
      if (this.stopped) return;
      this.source.log.info("relay upstream gone", { path: this.path, upstream: up.nodeId, reason });
      this.failed.set(up.nodeId, performance.now() + this.source.opts.excludeMs);
      this.fastUntilMs = performance.now() + FAST_RETRIES_MS;
      this.retry(accepted ? BROKEN_RETRY_MS : IDLE_RETRY_MS);
    });
  }

  private retry(ms: number): void {
    if (this.stopped || this.timer) return;
    this.timer = setTimeout(() => this.attempt(), ms);
    this.timer.unref?.();
  }

  /** Logged once per distinct message, not once per retry. */
  private warn(what: string, e: unknown): void {
    const msg = `${what}: ${e instanceof Error ? e.message : String(e)}`;
    if (msg === this.warned) return;
    this.warned = msg;
    this.source.log.warn(msg, { path: this.path, upstream: this.upstream?.nodeId ?? null });
  }
}
