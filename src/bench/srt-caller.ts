/**
 * An SRT caller for the bench: one connected Bun.udpSocket and one SrtSession (caller role) per
 * connection. Viewers cannot share a socket: the server tells peers apart by address and port.
 * One SrtTicker drives every session of the process every 10 ms, as the server's listener does.
 */
import type { udp } from "bun";
import { wallMs } from "../core/errors.ts";
import { SrtSession, type SrtCloseInfo } from "../protocols/srt/session.ts";
import { setUdpSocketBuffers } from "../server/socket-buffers.ts";
import type { SrtMux } from "./srt-mux.ts";

const CALLER_SOCKET_BUFFER_BYTES = 8 << 20;

const TICK_MS = 10;

/** Our clock in µs: wall-clock based, so payload arrival times compare with stamped send times. */
export const nowUs = (): number => wallMs() * 1000;

export interface SrtCallerOptions {
  /** An IP address (names are resolved by the caller of `open`). */
  address: string;
  port: number;
  streamId: string;
  latencyMs: number;
  passphrase?: string;
  /** Limit for the handshake. */
  connectTimeoutMs: number;
  /** Send ring cap in packets (a viewer sends only control packets). */
  sendBufferPackets?: number;
  onConnected: () => void;
  /** A payload at its play time; `nowMs` is when it was handed out. The view is valid during the call only. */
  onPayload: (payload: Uint8Array, nowMs: number) => void;
  onClose: (info: SrtCloseInfo) => void;
}

export class SrtCaller {
  readonly session: SrtSession;
  /** Datagrams the kernel did not take (a full socket buffer, ICMP unreachable). */
  sendErrors: number;
  /** The clock reading last fed to the session, in ms. */
  nowMs: number;
  private socket: udp.ConnectedSocket<"uint8array"> | null;
  /** Instead of a socket of its own: the bench's shared socket and this reader's source address. */
  private mux: SrtMux | null;
  private readonly sourceIp: number;
  private readonly port: number;
  private readonly address: string;
  private readonly ticker: SrtTicker;
  /** Views of the session's control packet buffer by length (ACKs go out 100 times a second). */
  private controlBuf: Uint8Array | null;
  private readonly controlViews: Map<number, Uint8Array>;

  private constructor(o: SrtCallerOptions, socket: udp.ConnectedSocket<"uint8array"> | null, ticker: SrtTicker, mux: SrtMux | null = null) {
    this.sendErrors = 0;
    this.nowMs = wallMs();
    this.socket = socket;
    this.mux = mux;
    this.sourceIp = mux ? mux.allocSource() : -1;
    this.port = o.port;
    this.address = o.address;
    this.ticker = ticker;
    this.controlBuf = null;
    this.controlViews = new Map();
    this.session = new SrtSession({
      role: "caller",
      nowUs: this.nowMs * 1000,
      peerAddress: o.address,
      streamId: o.streamId,
      latencyMs: o.latencyMs,
      passphrase: o.passphrase,
      connectTimeoutMs: o.connectTimeoutMs,
      sendBufferPackets: o.sendBufferPackets,
      transport: { send: (buf, len) => this.send(buf, len) },
      onConnected: o.onConnected,
      onPayload: (payload) => o.onPayload(payload, this.nowMs),
      onClose: (info) => {
        this.release();
        o.onClose(info);
      },
    });
  }

  /** A caller on the bench's shared socket (see SrtMux); sends the first handshake. */
  static openMuxed(o: SrtCallerOptions, ticker: SrtTicker, mux: SrtMux): SrtCaller {
    const self = new SrtCaller(o, null, ticker, mux);
    mux.register(self.session.state.socketId, (buf) => self.onDatagram(buf));
    ticker.add(self);
    self.session.connect(nowUs());
    return self;
  }

  /** Opens the socket and sends the first handshake; the session reports the rest. */
  static async open(o: SrtCallerOptions, ticker: SrtTicker): Promise<SrtCaller> {
    let self: SrtCaller | null = null;
    const socket = await Bun.udpSocket({
      binaryType: "uint8array",
      connect: { hostname: o.address, port: o.port },
      socket: {
        data: (_s, buf) => self?.onDatagram(buf),
        // ICMP port unreachable for an earlier send: the session times out on its own.
        error: () => {
          if (self) self.sendErrors++;
        },
      },
    });
    // libsrt gives every socket large UDP buffers (SRTO_UDP_RCVBUF, 8 MB); so do we, or a keyframe
    // burst overflows the default 208 KiB before the bench's event loop reads it.
    setUdpSocketBuffers(socket.port, CALLER_SOCKET_BUFFER_BYTES);
    self = new SrtCaller(o, socket, ticker);
    ticker.add(self);
    self.session.connect(nowUs());
    return self;
  }

  /** Shuts the session down (SHUTDOWN to the peer) and closes the socket. */
  close(): void {
    this.session.close(nowUs()); // reports through onClose, which releases
    this.release();
  }

  tick(): void {
    const now = nowUs();
    this.nowMs = now / 1000;
    this.session.tick(now);
  }

  private onDatagram(buf: Uint8Array): void {
    const now = nowUs();
    this.nowMs = now / 1000;
    this.session.onPacket(buf, now);
  }

  private send(buf: Uint8Array, len: number): void {
    if (this.mux) return this.mux.send(buf, len, this.sourceIp, this.port, this.address);
    const s = this.socket;
    if (s === null) return;
    try {
      if (!s.send(this.view(buf, len))) this.sendErrors++;
    } catch {
      this.sendErrors++; // a refused send is a lost packet
    }
  }

  /**
   * `buf[0, len)` without a new view per packet for the buffer control packets are written into
   * (the first one we are given: the induction); data packets (the publisher's) get one each.
   */
  private view(buf: Uint8Array, len: number): Uint8Array {
    this.controlBuf ??= buf;
    if (buf !== this.controlBuf) return buf.subarray(0, len);
    let v = this.controlViews.get(len);
    if (v === undefined) {
      v = buf.subarray(0, len);
      this.controlViews.set(len, v);
    }
    return v;
  }

  private release(): void {
    this.ticker.remove(this);
    this.mux?.unregister(this.session.state.socketId);
    this.mux = null;
    const s = this.socket;
    this.socket = null;
    s?.close();
  }
}

/** The one 10 ms timer of the process's SRT sessions; it runs while it has any. */
export class SrtTicker {
  private readonly callers = new Set<SrtCaller>();
  private timer: ReturnType<typeof setInterval> | null = null;

  add(c: SrtCaller): void {
    this.callers.add(c);
    this.timer ??= setInterval(() => {
      for (const caller of this.callers) caller.tick();
    }, TICK_MS);
  }

  remove(c: SrtCaller): void {
    this.callers.delete(c);
    if (this.callers.size > 0 || this.timer === null) return;
    clearInterval(this.timer);
    this.timer = null;
  }

  get size(): number {
    return this.callers.size;
  }
}
