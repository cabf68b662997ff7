/**
 * The relay's sockets: WebSocket upgrades on the HTTP port (`GET /_spate/relay/{path}`, binary
 * messages) on the upstream side, and the WebSocket client a downstream node pulls with. Each
 * WebSocket message carries whole relay messages (a run of the writer's ring, or a handshake
 * message); the decoder still accepts any chunking.
 */
import type { Server, ServerWebSocket, WebSocketHandler } from "bun";
import { ProtocolError, wallMs } from "../../core/errors.ts";
import type { Logger } from "../../core/log.ts";
import { isValidPath, type PathTable } from "../../core/path-table.ts";
import { RelayEgress, type RelayEgressLimits, type RelayTransport } from "./egress.ts";
import type { RelayIngest, RelayLink } from "./ingest.ts";
import { MessageReader, RelayServerHandshake } from "./session.ts";
import { encodeKeepalive, encodeRefuse, MsgType, RefuseCode } from "./wire/message.ts";

export const RELAY_PREFIX = "/_spate/relay/";
/** Bytes a downstream may have queued in its WebSocket before the cursor waits for drain. */
const MAX_QUEUED_BYTES = 1024 * 1024;
export const KEEPALIVE_MS = 1000;
/** An upstream silent this long (no frame, no keepalive) is taken for dead. */
export const UPSTREAM_SILENCE_MS = 2000;
/** A connection that has not authenticated this long after it opened is closed. */
export const AUTH_TIMEOUT_MS = 5000;
/** Bytes a downstream may send in one message: AUTH and keepalives only. */
const MAX_INBOUND_MESSAGE = 4096;

export interface RelayServerOptions extends RelayEgressLimits {
  nodeId: string;
  secret: string | undefined;
  /** This node's distance from the origin of `path` (255 when it does not know yet). */
  hopsOf(path: string): number;
  /** Whether this node pulls `path` from `nodeId` (serving it would close a loop). */
  pullsFrom(path: string, nodeId: string): boolean;
}

export interface RelayConn {
  path: string;
  handshake: RelayServerHandshake;
  reader: MessageReader;
  egress: RelayEgress | null;
  remote: string;
  openedMs: number;
}

/** The upstream side: every downstream node pulling a stream from this one. */
export class RelayServer {
  readonly connections = new Set<ServerWebSocket<RelayConn>>();
  /** Downstream connections accepted and refused since start (API counters). */
  accepted = 0;
  refused = 0;
  private readonly keepalive: ReturnType<typeof setInterval>;

  constructor(
    readonly paths: PathTable,
    readonly opts: RelayServerOptions,
    readonly log: Logger,
  ) {
    this.keepalive = setInterval(() => {
      const k = encodeKeepalive(wallMs());
      const now = performance.now();
      for (const ws of this.connections) {
        if (ws.data.egress || now - ws.data.openedMs < AUTH_TIMEOUT_MS) ws.send(k);
        else ws.close(1008, "no authentication");
      }
    }, KEEPALIVE_MS);
    this.keepalive.unref();
  }

  /** For the HTTP fetch handler: the upgrade response (undefined once upgraded), or null when not a relay URL. */
  route(req: Request, server: Server<RelayConn>): Response | undefined | null {
    const url = new URL(req.url);
    if (!url.pathname.startsWith(RELAY_PREFIX)) return null;
    let path: string;
    try {
      path = decodeURIComponent(url.pathname.slice(RELAY_PREFIX.length));
    } catch {
      return new Response("bad path encoding\n", { status: 400 });
    }
    if (!isValidPath(path)) return new Response(`bad stream path ${JSON.stringify(path)}\n`, { status: 400 });
    const conn: RelayConn = {
      path,
      handshake: new RelayServerHandshake(this.opts.nodeId, this.opts.secret, path),
      reader: new MessageReader(),
      egress: null,
      remote: server.requestIP(req)?.address ?? "",
      openedMs: performance.now(),
    };
    if (server.upgrade(req, { data: conn })) return undefined;
    return new Response("expected a WebSocket upgrade\n", { status: 426 });
  }

  readonly websocket: WebSocketHandler<RelayConn> = {
    maxPayloadLength: MAX_INBOUND_MESSAGE,
    open: (ws) => {
      this.connections.add(ws);
      ws.send(ws.data.handshake.hello());
    },
    message: (ws, data) => {
      const c = ws.data;
      const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
      try {
        c.reader.push(bytes, (m) => {
          if (m.type === MsgType.Keepalive) return;
          if (c.egress) throw new ProtocolError("relay", "unexpected", `message type ${m.type} after the handshake`);
          const r = c.handshake.onAuth(m, this.opts.hopsOf(c.path), (node) => this.opts.pullsFrom(c.path, node));
          ws.send(r.reply);
          if (r.refused !== null) {
            this.refused++;
            this.log.warn("relay pull refused", { path: c.path, node: r.nodeId, remote: c.remote, reason: r.refused });
            ws.close(1008, "refused");
            return;
          }
          this.accepted++;
          this.log.info("relay pull", { path: c.path, node: r.nodeId, remote: c.remote });
          c.egress = new RelayEgress(this.paths.read(c.path), this.paths, transport(ws), this.opts, r.nodeId);
        });
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw e;
        this.log.warn("relay protocol error", { path: c.path, remote: c.remote, error: e.message });
        ws.send(encodeRefuse(RefuseCode.BadRequest, e.message));
        ws.close(1002, "protocol error");
      }
    },
    drain: (ws) => ws.data.egress?.onDrain(),
    close: (ws) => {
      this.connections.delete(ws);
      ws.data.egress?.detach();
    },
  };

  stop(): void {
    clearInterval(this.keepalive);
    for (const ws of this.connections) ws.close(1001, "server shutting down");
  }
}

function transport(ws: ServerWebSocket<RelayConn>): RelayTransport {
  return {
    send(bytes, control) {
      if (!control && ws.getBufferedAmount() > MAX_QUEUED_BYTES) return false;
      return ws.send(bytes) !== 0;
    },
    close(reason) {
      ws.close(1000, reason.slice(0, 120));
    },
  };
}

/**
 * The downstream side: one WebSocket to the chosen upstream, feeding `ingest`. `onEnd` is called
 * once, when the connection is gone for any reason (closed, error, or silent for UPSTREAM_SILENCE_MS).
 */
export function dialRelay(upstreamId: string, address: string, path: string, ingest: RelayIngest, log: Logger, onEnd: (reason: string, accepted: boolean) => void): RelayLink {
  const url = `ws://${address}${RELAY_PREFIX}${path.split("/").map(encodeURIComponent).join("/")}`;
  const ws = new WebSocket(url);
  ws.binaryType = "arraybuffer";
  const reader = new MessageReader();
  let lastRxMs = performance.now();
  let ended = false;
  let accepted = false;
  const end = (reason: string) => {
    if (ended) return;
    ended = true;
    clearInterval(watchdog);
    ws.onmessage = null;
    ws.onclose = null;
    ws.onerror = null;
    try {
      ws.close();
    } catch {
      // already closing
    }
    ingest.disconnected();
    onEnd(reason, accepted);
  };
  let lastTxMs = performance.now();
  const watchdog = setInterval(() => {
    const now = performance.now();
    if (now - lastRxMs > UPSTREAM_SILENCE_MS) return end(`upstream silent for ${UPSTREAM_SILENCE_MS} ms`);
    // The upstream's WebSocket idle timeout counts what we send: a keepalive a second keeps it fed.
    if (now - lastTxMs >= KEEPALIVE_MS && ws.readyState === WebSocket.OPEN) {
      lastTxMs = now;
      ws.send(encodeKeepalive(wallMs()));
    }
  }, 250);
  watchdog.unref();
  const link: RelayLink = {
    send: (bytes) => ws.readyState === WebSocket.OPEN && ws.send(bytes),
    close: (reason) => end(reason),
  };
  ws.onopen = () => ingest.connected(link, address, upstreamId);
  ws.onmessage = (e) => {
    lastRxMs = performance.now();
    if (!(e.data instanceof ArrayBuffer)) return end("text message from upstream");
    try {
      reader.push(new Uint8Array(e.data), (m) => {
        ingest.onMessage(m);
        if (m.type === MsgType.Accept) accepted = true; // verified: onMessage throws otherwise
      });
      ingest.flush();
    } catch (err) {
      if (!(err instanceof ProtocolError)) throw err;
      log.warn("relay protocol error from upstream", { path, upstream: upstreamId, address, error: err.message });
      end(err.message);
    }
  };
  ws.onclose = (e) => end(`closed (${e.code}${e.reason ? ` ${e.reason}` : ""})`);
  ws.onerror = () => end("connection failed");
  return link;
}
