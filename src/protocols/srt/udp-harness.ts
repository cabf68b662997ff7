/**
 * For interop tests only: SrtSessions on a real UDP socket (Bun.udpSocket on 127.0.0.1), with the
 * smallest listener loop that works (gate, a session per peer address, a 10 ms tick). The server's
 * listener.ts is the production version of this.
 */
import type { udp } from "bun";
import { SrtHandshakeGate } from "./handshake-gate.ts";
import { SrtSession, type SrtSessionOptions } from "./session.ts";

export const monotonicUs = (): number => performance.now() * 1000;

type SessionOptions = Omit<SrtSessionOptions, "role" | "transport" | "nowUs" | "peerAddress">;

export class UdpSrtEndpoint {
  readonly sessions: Map<string, SrtSession>;
  /** Every session ever created here (closed ones too). */
  readonly history: SrtSession[];
  private readonly gate: SrtHandshakeGate;
  private readonly out: Uint8Array;
  private timer: ReturnType<typeof setInterval> | null;

  private constructor(
    readonly socket: udp.Socket<"buffer">,
    private readonly listenOptions: SessionOptions | null,
  ) {
    this.sessions = new Map();
    this.history = [];
    this.gate = new SrtHandshakeGate({ nowUs: monotonicUs() });
    this.out = new Uint8Array(1500);
    this.timer = setInterval(() => {
      const now = monotonicUs();
      for (const s of this.sessions.values()) s.tick(now);
    }, 10);
  }

  get port(): number {
    return this.socket.port;
  }

  /** A listener on 127.0.0.1:0. */
  static async listen(opts: SessionOptions): Promise<UdpSrtEndpoint> {
    let self: UdpSrtEndpoint | null = null;
    const socket = await Bun.udpSocket({
      hostname: "127.0.0.1",
      port: 0,
      socket: { data: (_s, buf, port, address) => self!.onDatagram(buf, port, address) },
    });
    self = new UdpSrtEndpoint(socket, opts);
    return self;
  }

  /** A caller from 127.0.0.1:0 to 127.0.0.1:`port`. */
  static async dial(port: number, opts: SessionOptions): Promise<{ endpoint: UdpSrtEndpoint; session: SrtSession }> {
    let self: UdpSrtEndpoint | null = null;
    const socket = await Bun.udpSocket({
      hostname: "127.0.0.1",
      port: 0,
      socket: { data: (_s, buf, from, address) => self!.onDatagram(buf, from, address) },
    });
    self = new UdpSrtEndpoint(socket, null);
    const session = self.open(`127.0.0.1:${port}`, "127.0.0.1", port, "caller", opts);
    session.connect(monotonicUs());
    return { endpoint: self, session };
  }

  close(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const now = monotonicUs();
    for (const s of this.sessions.values()) s.close(now);
    this.socket.close();
  }

  private open(key: string, address: string, port: number, role: "caller" | "listener", opts: SessionOptions): SrtSession {
    const socket = this.socket;
    const session = new SrtSession({
      ...opts,
      role,
      nowUs: monotonicUs(),
      peerAddress: address,
      transport: { send: (buf, len) => void socket.send(buf.subarray(0, len), port, address) },
      onClose: (info) => {
        this.sessions.delete(key);
        opts.onClose?.(info);
      },
    });
    this.sessions.set(key, session);
    this.history.push(session);
    return session;
  }

  private onDatagram(buf: Uint8Array, port: number, address: string): void {
    const now = monotonicUs();
    const key = `${address}:${port}`;
    const session = this.sessions.get(key);
    if (session) return session.onPacket(buf, now);
    if (!this.listenOptions) return;
    const n = this.gate.answerInduction(buf, key, now, this.out, address);
    if (n) {
      this.socket.send(this.out.subarray(0, n), port, address);
      return;
    }
    if (!this.gate.acceptsConclusion(buf, key, now)) return;
    this.open(key, address, port, "listener", this.listenOptions).onPacket(buf, now);
  }
}
