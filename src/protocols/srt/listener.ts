import type { udp } from "bun";
import { PathBusyError, isValidPath, type PathTable, type SourceHandle, type SourceProvider } from "../../core/path-table.ts";
import type { Logger } from "../../core/log.ts";
import { SrtEgress } from "./egress.ts";
import { SrtHandshakeGate } from "./handshake-gate.ts";
import { listenUdpPort, UdpBatch } from "./udp-batch.ts";
import { TsIngest } from "./ingest.ts";
import { SrtSession } from "./session.ts";
import type { SrtAcceptResult } from "./session-handshake.ts";
import { parseStreamId } from "./stream-id.ts";
import { HS_INDUCTION, REJX_BAD_REQUEST, REJX_CONFLICT, REJX_NOTFOUND } from "./wire/constants.ts";

export interface SrtListenerOptions {
  host: string;
  port: number;
  latencyMs: number;
  /** Required from every peer unless `passphrases` names one for the path. */
  passphrase?: string;
  pbkeylen: number;
  passphrases: Record<string, string>;
  /** Paths pulled from remote SRT listeners while they have readers (caller mode). */
  pull: Record<string, string>;
  /** Kernel buffers of the one UDP socket (0: the OS default). */
  socketBufferBytes?: number;
  /** Send runs of datagrams with UDP GSO where the OS has it (default true). */
  gso?: boolean;
}

/** Monotonic µs, comparable across processes (sessions may move with an upgrade). */
export const nowUs = (): number => (performance.timeOrigin + performance.now()) * 1000;

const TICK_MS = 10;
/** A peer silent this long is gone (libsrt waits 5 s; we clean up inside that). */
const PEER_IDLE_TIMEOUT_MS = 4000;
/** A pull source whose remote listener does not answer tries again after this long. */
const PULL_RETRY_MS = 2000;

/** One peer on the SRT port: its session and what it does (publish, read, or a pull we started). */
class SrtConnection {
  ingest: TsIngest | null = null;
  egress: SrtEgress | null = null;
  accepted: { mode: "publish" | "read"; path: string } | null = null;
  dirty = false;
  session!: SrtSession;
  constructor(
    readonly key: string,
    readonly address: string,
    readonly port: number,
  ) {}
}

/**
 * The only SRT file with a socket: one UDP port for every SRT peer. Inductions are answered by a
 * stateless cookie gate; a conclusion with a good cookie creates the peer's SrtSession. The stream
 * id picks publish or read; an unknown path to read, or a live one to publish, is refused with
 * the access-control rejection codes (1404, 1409). All sessions are ticked by one 10 ms timer.
 */
export class SrtListener implements SourceProvider {
  readonly connections = new Map<string, SrtConnection>();
  private socket: udp.Socket<"uint8array"> | null = null;
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly gate = new SrtHandshakeGate({ nowUs: nowUs() });
  private readonly out = new Uint8Array(1500);
  /** Datagrams the kernel refused to send (counted, reported in the API). */
  sendErrors = 0;
  /** Session datagrams go out in one sendmmsg per event (see UdpBatch). */
  readonly batch = new UdpBatch(() => this.socket);

  constructor(
    private readonly paths: PathTable,
    private readonly opts: SrtListenerOptions,
    private readonly log: Logger,
  ) {}

  get port(): number {
    return this.socket?.port ?? 0;
  }

  async listen(): Promise<void> {
    this.socket = await listenUdpPort(this.opts, this.batch, this.log, (buf, port, address) => this.onDatagram(buf, port, address));
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const now = nowUs();
    for (const c of [...this.connections.values()]) c.session.close(now);
    this.batch.flush(); // the shutdowns just queued
    this.socket?.close();
    this.socket = null;
  }

  /** One datagram out. A refused send (ICMP unreachable: the peer left) is a lost packet, never an exception. */
  private send(data: Uint8Array, port: number, address: string): void {
    try {
      this.socket?.send(data, port, address);
    } catch (e) {
      this.sendErrors++;
      this.log.debug("udp send failed", { to: `${address}:${port}`, error: (e as Error).message });
    }
  }

  private tick(): void {
    const now = nowUs();
    for (const c of this.connections.values()) {
      c.session.tick(now);
      this.flush(c);
    }
  }

  private flush(c: SrtConnection): void {
    if (!c.dirty) return;
    c.dirty = false;
    c.ingest?.flush();
  }

  private onDatagram(buf: Uint8Array, port: number, address: string): void {
    const now = nowUs();
    const key = `${address}:${port}`;
    const known = this.connections.get(key);
    if (known && !(known.accepted && this.gate.handshakeType(buf) === HS_INDUCTION)) {
      known.session.onPacket(buf, now);
      this.flush(known);
      return;
    }
    // A caller restarting from the same port: its old session goes, the gate answers the new one.
    if (known) known.session.close(now);
    const n = this.gate.answerInduction(buf, key, now, this.out, address);
    if (n) return this.send(this.out.subarray(0, n), port, address);
    if (!this.gate.acceptsConclusion(buf, key, now)) return;
    const c = this.open(key, address, port, "listener");
    c.session.onPacket(buf, now);
  }

  private open(key: string, address: string, port: number, role: "listener" | "caller", callerOpts?: { streamId: string; passphrase?: string; path: string; onClose: () => void }): SrtConnection {
    const c = new SrtConnection(key, address, port);
    const log = this.log.child(`${role === "caller" ? "pull" : "peer"} ${key}`);
    c.session = new SrtSession({
      role,
      nowUs: nowUs(),
      peerAddress: address,
      latencyMs: this.opts.latencyMs,
      passphrase: role === "caller" ? callerOpts?.passphrase : this.opts.passphrase,
      keyLength: this.opts.pbkeylen,
      peerIdleTimeoutMs: PEER_IDLE_TIMEOUT_MS,
      streamId: callerOpts?.streamId,
      transport: { send: (b, len) => this.batch.send(b, len, port, address) },
      accept: (streamId) => this.accept(c, streamId),
      onConnected: () => {
        if (role === "caller") c.accepted = { mode: "publish", path: callerOpts!.path };
        this.attach(c, log);
      },
      onPayload: (payload) => {
        if (!c.ingest) return;
        c.ingest.push(payload);
        c.dirty = true;
      },
      onClose: (info) => {
        if (this.connections.get(key) === c) this.connections.delete(key);
        if (c.ingest) {
          log.info("publisher left", { path: c.ingest.stream.path, reason: info.reason, code: info.code });
          c.ingest.detach();
        }
        if (c.egress) log.info("reader left", { path: c.egress.stream.path, reason: info.reason, code: info.code, stats: c.session.stats() });
        c.egress?.detach();
        c.ingest = null;
        c.egress = null;
        callerOpts?.onClose();
      },
    });
    this.connections.set(key, c);
    return c;
  }

  /** Judges a caller's stream id (the session sends the rejection). */
  private accept(c: SrtConnection, streamId: string): SrtAcceptResult {
    const req = parseStreamId(streamId);
    if (!req || !isValidPath(req.path)) return { reject: REJX_BAD_REQUEST };
    const stream = this.paths.get(req.path);
    if (req.mode === "publish" && stream?.state === "live" && !this.paths.opts.takeover) return { reject: REJX_CONFLICT };
    // Another source (the cluster relay) may find any path: the reader waits for it, as over RTMP.
    const otherSources = this.paths.opts.sources?.some((p) => p !== this) ?? false;
    if (req.mode === "read" && !stream && !this.opts.pull[req.path] && !otherSources) {
      return { reject: REJX_NOTFOUND };
    }
    c.accepted = { mode: req.mode === "publish" ? "publish" : "read", path: req.path };
    const passphrase = this.opts.passphrases[req.path] ?? this.opts.passphrase;
    return { mode: req.mode, path: req.path, ...(passphrase ? { passphrase } : {}) };
  }

  /** The handshake is done: the peer publishes or reads its path. */
  private attach(c: SrtConnection, log: Logger): void {
    const a = c.accepted!;
    if (c.ingest || c.egress || c.session.isClosed) return; // attached once, and only while open
    const now = nowUs();
    if (a.mode === "publish") {
      try {
        c.ingest = new TsIngest("srt", c.key, this.paths, a.path, (reason) => {
          log.info("publisher closed", { path: a.path, reason });
          c.session.close(nowUs());
        });
      } catch (e) {
        if (!(e instanceof PathBusyError)) throw e;
        log.warn("publish refused: path busy", { path: a.path });
        c.session.close(now);
        return;
      }
      const ingest = c.ingest;
      ingest.stats = () => ({ ...c.session.stats(), ts: { ...ingest.demuxer.stats, ignoredTracks: ingest.ignoredTracks } });
      log.info("publishing", { path: a.path });
    } else {
      c.egress = new SrtEgress(c.session, this.paths.read(a.path), this.paths, nowUs);
      log.info("reading", { path: a.path });
    }
  }

  /**
   * SourceProvider (caller mode): a path in `srt.pull` is pulled from its remote listener while
   * readers want it, retried every PULL_RETRY_MS while it fails.
   */
  start(path: string): SourceHandle | null {
    const url = this.opts.pull[path];
    if (!url) return null;
    const u = new URL(url);
    const address = u.hostname === "localhost" ? "127.0.0.1" : u.hostname.replace(/^\[|\]$/g, "");
    const port = Number(u.port);
    const streamId = u.searchParams.get("streamid") ?? "";
    const passphrase = u.searchParams.get("passphrase") ?? undefined;
    let stopped = false;
    let current: SrtConnection | null = null;
    let retry: ReturnType<typeof setTimeout> | null = null;
    const dial = () => {
      retry = null;
      if (stopped || !this.socket) return;
      current = this.open(`${address}:${port}`, address, port, "caller", {
        streamId,
        passphrase,
        path,
        onClose: () => {
          current = null;
          if (!stopped) retry = setTimeout(dial, PULL_RETRY_MS);
        },
      });
      current.session.connect(nowUs());
    };
    dial();
    this.log.info("pulling", { path, url: `srt://${address}:${port}` });
    return {
      stop: (reason) => {
        stopped = true;
        if (retry) clearTimeout(retry);
        this.log.info("pull stopped", { path, reason });
        current?.session.close(nowUs());
      },
    };
  }
}
