/**
 * One UDP socket for every SRT reader of the bench. The server tells peers apart by address and
 * port, so each reader leaves from its own loopback address (127.0.0.2, 127.0.0.3, …, chosen per
 * datagram with IP_PKTINFO) and the same port; answers come back to this socket (bound to 0.0.0.0)
 * and are handed to the reader whose SRT socket id they name. What it saves: 500 readers' ACKs
 * (100 a second each, as libsrt sends them) leave in one sendmmsg per tick instead of 500 sends on
 * 500 sockets (measured ~8 µs each), so the load generator stays well inside its core.
 * Linux only (bun:ffi sendmmsg); elsewhere the bench uses one connected socket per reader.
 */
import type { udp } from "bun";
import { ptr } from "bun:ffi";
import { findUdpSocketFd, setUdpSocketBuffers } from "../server/socket-buffers.ts";
import { GsoBatch, ipv4 } from "../server/udp-gso.ts";

const SLOTS = 1024;
const SLOT_BYTES = 1500;
const SOCKET_BUFFER_BYTES = 32 << 20;

export type MuxReceiver = (buf: Uint8Array) => void;

/** Readers per shared socket: a few dozen, so the kernel's per-socket queues are read in parallel batches. */
export const READERS_PER_MUX = 32;

/** Shared sockets handed out in turn. */
export class SrtMuxPool {
  private i = 0;
  private constructor(readonly muxes: SrtMux[]) {}

  static async open(readers: number): Promise<SrtMuxPool> {
    const n = Math.max(1, Math.ceil(readers / READERS_PER_MUX));
    const muxes: SrtMux[] = [];
    for (let k = 0; k < n; k++) muxes.push(await SrtMux.open());
    return new SrtMuxPool(muxes);
  }

  next(): SrtMux {
    return this.muxes[this.i++ % this.muxes.length]!;
  }

  close(): void {
    for (const m of this.muxes) m.close();
  }
}

export class SrtMux {
  private readonly receivers = new Map<number, MuxReceiver>();
  private readonly arena = new Uint8Array(SLOTS * SLOT_BYTES);
  private readonly batch: GsoBatch;
  private n = 0;
  private scheduled = false;
  private readonly flushNow = () => this.flush();
  private nextHost = 2;
  sendErrors = 0;
  /** Datagrams for a socket id nobody here has (a reader that left). */
  strays = 0;

  private constructor(
    private readonly socket: udp.Socket<"uint8array">,
    fd: number,
  ) {
    this.batch = new GsoBatch(fd, SLOTS, SLOTS);
  }

  static usable(address: string): boolean {
    return process.platform === "linux" && ipv4(address) !== null && address.startsWith("127.");
  }

  static async open(): Promise<SrtMux> {
    let self: SrtMux | null = null;
    const socket = await Bun.udpSocket({
      hostname: "0.0.0.0",
      port: 0,
      binaryType: "uint8array",
      socket: {
        data: (_s, buf) => self?.onDatagram(buf),
        error: () => {
          if (self) self.sendErrors++;
        },
      },
    });
    setUdpSocketBuffers(socket.port, SOCKET_BUFFER_BYTES);
    const fd = findUdpSocketFd(socket.port);
    if (fd < 0) {
      socket.close();
      throw new Error("bench: cannot find the descriptor of the shared SRT socket");
    }
    self = new SrtMux(socket, fd);
    return self;
  }

  /** A source address for one more reader: 127.0.0.2 onwards (the whole of 127/8 is loopback). */
  allocSource(): number {
    const h = this.nextHost++;
    return ((127 << 24) | ((h >>> 16) & 0xff) << 16 | ((h >>> 8) & 0xff) << 8 | (h & 0xff)) >>> 0;
  }

  register(socketId: number, receive: MuxReceiver): void {
    this.receivers.set(socketId, receive);
  }

  unregister(socketId: number): void {
    this.receivers.delete(socketId);
  }

  send(buf: Uint8Array, len: number, sourceIp: number, port: number, address: string): void {
    if (len > SLOT_BYTES) {
      this.sendErrors++;
      return;
    }
    if (this.n === SLOTS) this.flush();
    const i = this.n++;
    this.arena.set(buf.length <= SLOT_BYTES ? buf : buf.subarray(0, len), i * SLOT_BYTES);
    this.batch.beginRun(port, address, len, sourceIp);
    this.batch.add(ptr(this.arena) + i * SLOT_BYTES, len);
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.flushNow);
    }
  }

  flush(): void {
    this.scheduled = false;
    const n = this.n;
    if (!n) return;
    this.n = 0;
    const took = this.batch.send();
    this.sendErrors += n - Math.max(0, took);
  }

  close(): void {
    this.flush();
    this.socket.close();
  }

  private onDatagram(buf: Uint8Array): void {
    if (buf.length < 16) return;
    // Every SRT packet names its destination socket id in its fourth word.
    const id = ((buf[12]! << 24) | (buf[13]! << 16) | (buf[14]! << 8) | buf[15]!) >>> 0;
    const r = this.receivers.get(id);
    if (r) r(buf);
    else this.strays++;
  }
}
