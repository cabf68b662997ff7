/**
 * A minimal HTTP/1.1 client on Bun's TCP sockets for the bench's load generators, where fetch costs
 * more than the server it measures. An `HttpConnection` is one persistent (keep-alive) connection
 * carrying one GET at a time, as a browser's connection pool does with HTTP/1.1; it reconnects when
 * the server closes it. An `HttpAgent` owns the connections to one origin and one timer that times
 * their requests out. The request goes out as one small string; the response is framed by
 * HttpResponseReader, whose body is a view valid until the connection's next request.
 */
import type { Socket } from "bun";
import { assert, wallMs } from "../core/errors.ts";
import { HttpResponseReader } from "./http-response-reader.ts";

/** How often the agent looks for requests past their deadline. */
const TIMEOUT_SWEEP_MS = 100;

/** One socket of a connection; a socket its connection gave up on (timeout, close) stays unowned. */
interface SocketRef {
  conn: HttpConnection;
  live: boolean;
}

const HANDLERS = {
  // Plain Uint8Arrays: a Buffer's subarray costs more (Node's species lookup).
  binaryType: "uint8array" as const,
  open(s: Socket<SocketRef>) {
    if (s.data.live) s.data.conn.onOpen(s);
    else s.end();
  },
  data(s: Socket<SocketRef>, data: Uint8Array) {
    if (s.data.live) s.data.conn.onData(data);
  },
  drain(s: Socket<SocketRef>) {
    if (s.data.live) s.data.conn.onDrain();
  },
  end(s: Socket<SocketRef>) {
    if (s.data.live) s.data.conn.onClose(s.data, "connection closed");
  },
  close(s: Socket<SocketRef>, e?: Error) {
    if (s.data.live) s.data.conn.onClose(s.data, e ? e.message : "connection closed");
  },
  error(s: Socket<SocketRef>, e: Error) {
    if (s.data.live) s.data.conn.onClose(s.data, e.message);
  },
  connectError(s: Socket<SocketRef>, e: Error) {
    if (s.data.live) s.data.conn.onClose(s.data, e.message);
  },
};

export interface HttpOrigin {
  hostname: string;
  port: number;
  tls: boolean;
}

/** The origin of an http(s):// URL. */
export function originOf(url: URL): HttpOrigin {
  const tls = url.protocol === "https:";
  return { hostname: url.hostname.replace(/^\[|\]$/g, ""), port: Number(url.port) || (tls ? 443 : 80), tls };
}

/** The connections to one origin, and the timer that ends their requests at their deadline. */
export class HttpAgent {
  /** Sockets opened by all connections (a connection that is never closed opens one). */
  connects = 0;
  /** Requests sent again on a fresh socket after a kept-alive one closed before answering. */
  retries = 0;
  readonly hostHeader: string;
  private readonly connections: HttpConnection[] = [];
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(readonly origin: HttpOrigin) {
    const host = origin.hostname.includes(":") ? `[${origin.hostname}]` : origin.hostname;
    this.hostHeader = origin.port === (origin.tls ? 443 : 80) ? host : `${host}:${origin.port}`;
  }

  connection(): HttpConnection {
    const c = new HttpConnection(this);
    this.connections.push(c);
    if (!this.timer) {
      this.timer = setInterval(() => this.sweep(), TIMEOUT_SWEEP_MS);
      this.timer.unref();
    }
    return c;
  }

  /** Closes every connection (their requests in flight fail) and stops the timer. */
  close(): void {
    for (const c of this.connections) c.close();
    this.connections.length = 0;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private sweep(): void {
    const now = wallMs();
    for (const c of this.connections) if (c.deadlineMs < now) c.timeOut();
  }
}

export class HttpConnection {
  readonly reader = new HttpResponseReader();
  /** Why the last request failed. */
  error = "";
  /** When the request in flight times out (wall-clock ms); Infinity when idle. */
  deadlineMs = Infinity;
  private socket: Socket<SocketRef> | null = null;
  private ref: SocketRef | null = null;
  /** The request in flight, and what of it the socket has not taken yet. */
  private request = "";
  private unsent = "";
  private timeoutMs = 0;
  private resolve: ((status: number) => void) | null = null;
  /** Has the current socket answered a request before (so it may have been closed while idle)? */
  private reused = false;
  private retried = false;
  private closed = false;

  constructor(private readonly agent: HttpAgent) {}

  /** The last response's body: valid until the next request. */
  get body(): Uint8Array {
    return this.reader.body;
  }

  get busy(): boolean {
    return this.resolve !== null;
  }

  /**
   * GET `target` (path and query); resolves with the status code, or 0 when the request failed
   * (`error` says why: refused, closed, timed out, malformed). Never rejects.
   */
  get(target: string, timeoutMs: number): Promise<number> {
    assert(this.resolve === null, "one request at a time on an HTTP/1.1 connection");
    if (this.closed) {
      this.error = "closed";
      return Promise.resolve(0);
    }
    this.request = `GET ${target} HTTP/1.1\r\nHost: ${this.agent.hostHeader}\r\n\r\n`;
    this.timeoutMs = timeoutMs;
    this.deadlineMs = wallMs() + timeoutMs;
    this.retried = false;
    const p = new Promise<number>((r) => (this.resolve = r));
    this.send();
    return p;
  }

  /** Closes the socket; a request in flight fails with "closed". */
  close(): void {
    this.closed = true;
    this.drop();
    this.settle(0, "closed");
  }

  /** Called by the agent's timer past the deadline: the socket cannot carry another request, so it goes. */
  timeOut(): void {
    this.drop();
    this.settle(0, `no answer in ${this.timeoutMs} ms`);
  }

  onOpen(s: Socket<SocketRef>): void {
    this.socket = s;
    this.agent.connects++;
    if (this.resolve) this.write(this.request);
  }

  onData(data: Uint8Array): void {
    if (!this.resolve) {
      this.drop(); // bytes nobody asked for: the connection is out of step
      return;
    }
    const r = this.reader;
    let used: number;
    try {
      used = r.push(data);
    } catch (e) {
      this.drop();
      this.settle(0, (e as Error).message);
      return;
    }
    if (!r.done) return;
    if (used < data.length || !r.keepAlive) this.drop();
    else this.reused = true;
    this.settle(r.status, "");
  }

  onDrain(): void {
    if (this.unsent) this.write(this.unsent);
  }

  onClose(ref: SocketRef, reason: string): void {
    if (ref !== this.ref) return;
    const started = this.reader.started;
    const complete = this.resolve !== null && this.reader.end();
    const wasReused = this.reused;
    this.drop();
    if (!this.resolve) return;
    if (complete) return this.settle(this.reader.status, "");
    // RFC 9112 §9.3.1: a kept-alive connection the server closed while idle; the GET is sent again, once.
    if (wasReused && !started && !this.retried && !this.closed) {
      this.retried = true;
      this.agent.retries++;
      return this.send();
    }
    this.settle(0, reason);
  }

  private send(): void {
    this.reader.reset();
    if (this.socket) {
      this.write(this.request);
      return;
    }
    if (this.ref) return; // connecting: onOpen writes it
    const ref: SocketRef = { conn: this, live: true };
    this.ref = ref;
    this.reused = false;
    const o = this.agent.origin;
    Bun.connect<SocketRef>({ hostname: o.hostname, port: o.port, tls: o.tls || undefined, data: ref, socket: HANDLERS }).catch((e: Error) => {
      if (ref.live) this.onClose(ref, e.message);
    });
  }

  private write(s: string): void {
    const n = this.socket!.write(s);
    // Requests are ASCII: characters are bytes.
    this.unsent = n < s.length ? s.slice(Math.max(0, n)) : "";
  }

  /** Forgets the socket (and ends it) so that its late events are ignored. */
  private drop(): void {
    if (this.ref) this.ref.live = false;
    this.ref = null;
    this.socket?.end();
    this.socket = null;
    this.unsent = "";
    this.reused = false;
  }

  private settle(status: number, error: string): void {
    const resolve = this.resolve;
    if (!resolve) return;
    this.resolve = null;
    this.deadlineMs = Infinity;
    this.error = error;
    resolve(status);
  }
}
