import type { Socket, TCPSocketListener } from "bun";
import { ProtocolError } from "../../core/errors.ts";
import type { Logger } from "../../core/log.ts";
import type { PathTable } from "../../core/path-table.ts";
import { RtmpSession, type RtmpSessionOptions, type RtmpTransport } from "./session.ts";

export interface RtmpListenerOptions extends RtmpSessionOptions {
  host: string;
  port: number;
  /** PEM files: the listener speaks RTMPS (TLS) when both are given. */
  tls?: { cert: string; key: string };
}

/** The socket of one connection, seen by the session as a transport. */
class SocketTransport implements RtmpTransport {
  readonly remoteAddress: string;
  constructor(private readonly socket: Socket<RtmpSession>) {
    this.remoteAddress = `${socket.remoteAddress}:${(socket as unknown as { remotePort?: number }).remotePort ?? 0}`;
  }
  write(data: Uint8Array, offset: number, length: number): number {
    const n = this.socket.write(data, offset, length);
    return n > 0 ? n : 0;
  }
  end(): void {
    this.socket.end();
  }
}

/** The only RTMP file with sockets: accepts connections and feeds each to its RtmpSession. */
export class RtmpListener {
  private server: TCPSocketListener<RtmpSession> | null = null;
  readonly sessions = new Set<RtmpSession>();

  constructor(
    private readonly paths: PathTable,
    private readonly opts: RtmpListenerOptions,
    private readonly log: Logger,
  ) {}

  get port(): number {
    return this.server?.port ?? 0;
  }

  start(): void {
    const log = this.log;
    const sessions = this.sessions;
    const fail = (socket: Socket<RtmpSession>, e: unknown) => {
      const session = socket.data;
      if (e instanceof ProtocolError) session.log.warn("closing: bad input", { error: e.message, code: e.code });
      else session.log.error("closing: internal error", { error: String((e as Error)?.stack ?? e) });
      session.close(e instanceof Error ? e.message : String(e));
      socket.end();
    };
    this.server = Bun.listen<RtmpSession>({
      hostname: this.opts.host,
      port: this.opts.port,
      tls: this.opts.tls ? { cert: Bun.file(this.opts.tls.cert), key: Bun.file(this.opts.tls.key) } : undefined,
      socket: {
        open: (socket) => {
          const transport = new SocketTransport(socket);
          socket.data = new RtmpSession(transport, this.paths, this.opts, log.child(`conn ${transport.remoteAddress}`));
          sessions.add(socket.data);
        },
        data: (socket, data) => {
          try {
            socket.data.feed(data);
          } catch (e) {
            fail(socket, e);
          }
        },
        drain: (socket) => {
          try {
            socket.data.onDrain();
          } catch (e) {
            fail(socket, e);
          }
        },
        close: (socket) => {
          socket.data?.close("connection closed");
          sessions.delete(socket.data);
        },
        error: (socket, error) => {
          socket.data?.log.debug("socket error", { error: error.message });
        },
        handshake: (socket, success, authorizationError) => {
          if (!success) socket.data?.log.warn("TLS handshake failed", { error: authorizationError?.message });
        },
      },
    });
  }

  stop(): void {
    for (const s of this.sessions) {
      s.close("server shutting down");
      s.transport.end();
    }
    this.server?.stop(true);
    this.server = null;
  }
}
