/**
 * Datagrams out in batches: every datagram a session sends while one event is handled (a frame
 * fanned out to every reader, a burst of ACKs) is copied into a preallocated arena and handed to
 * the kernel in one system call when the event is done, instead of one sendto each. Where the OS
 * allows (Linux, IPv4), consecutive equal-length datagrams to one peer (a reader's share of a frame)
 * go as one UDP GSO run (see server/udp-gso.ts); elsewhere Bun's `sendMany` (sendmmsg).
 * The copy frees the caller's buffer at once (sessions reuse one scratch buffer for control
 * packets); nothing is allocated per datagram.
 */
import type { udp } from "bun";
import { ptr } from "bun:ffi";
import type { Logger } from "../../core/log.ts";
import { findUdpSocketFd, setUdpSocketBuffers } from "../../server/socket-buffers.ts";
import { GSO_MAX_BYTES, GSO_MAX_SEGMENTS, GsoBatch } from "../../server/udp-gso.ts";

export const BATCH_SLOTS = 256;
const SLOT_BYTES = 1500;

/** What the batcher needs of a socket: Bun's `udp.Socket.sendMany`. */
export interface ManySender {
  sendMany(packets: readonly (Uint8Array | string | number)[]): number;
}

export class UdpBatch {
  private readonly arena = new Uint8Array(BATCH_SLOTS * SLOT_BYTES);
  private readonly views: Uint8Array[] = [];
  private readonly lens = new Int32Array(BATCH_SLOTS);
  private readonly ports = new Int32Array(BATCH_SLOTS);
  private readonly addresses: string[] = new Array(BATCH_SLOTS).fill("");
  /** [view, port, address] per datagram, for `sendMany`. */
  private readonly entries: (Uint8Array | string | number)[] = [];
  private n = 0;
  private scheduled = false;
  private readonly flushNow = () => this.flush();
  private gso: GsoBatch | null = null;
  /** Datagrams the kernel did not take, and oversized ones refused. */
  dropped = 0;
  sent = 0;
  /** System calls made (one per flush when all goes well). */
  calls = 0;

  constructor(private readonly socket: () => ManySender | null) {
    for (let i = 0; i < BATCH_SLOTS; i++) this.views.push(this.arena.subarray(i * SLOT_BYTES, i * SLOT_BYTES));
  }

  /** Sends through UDP GSO on the socket's descriptor from now on (Linux; -1 keeps `sendMany`). */
  useGso(fd: number): void {
    this.gso = fd >= 0 && process.platform === "linux" ? new GsoBatch(fd, BATCH_SLOTS, BATCH_SLOTS) : null;
  }

  get gsoEnabled(): boolean {
    return this.gso !== null;
  }

  /** Queues one datagram (copied); it goes out when the current event is done, or when the batch is full. */
  send(buf: Uint8Array, len: number, port: number, address: string): void {
    if (len > SLOT_BYTES) {
      this.dropped++;
      return;
    }
    if (this.n === BATCH_SLOTS) this.flush();
    const i = this.n++;
    // Copying a whole send slot or scratch buffer (≤ 1,500 bytes) is cheaper than a view of its head.
    this.arena.set(buf.length <= SLOT_BYTES ? buf : buf.subarray(0, len), i * SLOT_BYTES);
    this.lens[i] = len;
    this.ports[i] = port;
    this.addresses[i] = address;
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
    let took = -1;
    if (this.gso) {
      took = this.sendGso(this.gso, n);
      // The first refusal (no GSO in this kernel, no libc): `sendMany` from now on.
      if (took < 0 && this.sent === 0) this.gso = null;
    }
    if (took < 0) took = this.sendMany(n);
    this.calls++;
    this.sent += took;
    this.dropped += n - took;
  }

  /** Runs: consecutive datagrams to one peer, all of the first one's length but the last. */
  private sendGso(g: GsoBatch, n: number): number {
    const base = ptr(this.arena);
    const { lens, ports, addresses } = this;
    let segment = 0;
    let count = 0;
    let bytes = 0;
    for (let i = 0; i < n; i++) {
      const len = lens[i]!;
      const sameRun =
        count > 0 && ports[i] === ports[i - 1] && addresses[i] === addresses[i - 1] && lens[i - 1] === segment && len <= segment && count < GSO_MAX_SEGMENTS && bytes + len <= GSO_MAX_BYTES;
      if (!sameRun) {
        if (!GsoBatch.usable(addresses[i]!)) return -1; // an IPv6 peer: this batch goes by sendMany
        g.beginRun(ports[i]!, addresses[i]!, len);
        segment = len;
        count = 0;
        bytes = 0;
      }
      g.add(base + i * SLOT_BYTES, len);
      count++;
      bytes += len;
    }
    return g.send();
  }

  private sendMany(n: number): number {
    const s = this.socket();
    if (!s) return 0;
    const e = this.entries;
    for (let i = 0; i < n; i++) {
      let view = this.views[i]!;
      if (view.length !== this.lens[i]) view = this.views[i] = this.arena.subarray(i * SLOT_BYTES, i * SLOT_BYTES + this.lens[i]!);
      e[3 * i] = view;
      e[3 * i + 1] = this.ports[i]!;
      e[3 * i + 2] = this.addresses[i]!;
    }
    if (e.length !== 3 * n) e.length = 3 * n;
    try {
      return s.sendMany(e);
    } catch {
      return this.oneByOne(s, n); // a peer that left (ICMP unreachable) must not cost the others their packets
    }
  }

  private oneByOne(s: ManySender, n: number): number {
    const e = this.entries;
    const one: (Uint8Array | string | number)[] = [];
    let took = 0;
    for (let i = 0; i < n; i++) {
      one[0] = e[3 * i]!;
      one[1] = e[3 * i + 1]!;
      one[2] = e[3 * i + 2]!;
      try {
        took += s.sendMany(one);
      } catch {
        // that peer's datagram is lost
      }
    }
    return took;
  }
}

export interface UdpPortOptions {
  host?: string;
  port: number;
  /** Kernel receive and send buffers for the port (0 or absent: the system default). */
  socketBufferBytes?: number;
  /** false: Bun's sendMany, never UDP GSO. */
  gso?: boolean;
}

/**
 * Binds one protocol's shared UDP port (SRT, WebRTC): datagrams to `onDatagram`, the socket buffers
 * enlarged, and `batch` sending through UDP GSO where it can.
 */
export async function listenUdpPort(
  o: UdpPortOptions,
  batch: UdpBatch,
  log: Logger,
  onDatagram: (buf: Uint8Array, port: number, address: string) => void,
): Promise<udp.Socket<"uint8array">> {
  const socket = await Bun.udpSocket({
    hostname: o.host,
    port: o.port,
    binaryType: "uint8array",
    socket: {
      data: (_s, buf, port, address) => onDatagram(buf, port, address),
      // ICMP errors for a peer that went away (ECONNREFUSED): its session times out on its own.
      error: (_s, e) => log.debug("udp error", { error: String((e as Error | undefined)?.message ?? e) }),
    },
  });
  if (o.socketBufferBytes) {
    const r = setUdpSocketBuffers(socket.port, o.socketBufferBytes);
    if (typeof r === "string") log.warn("kept the default UDP buffers", { reason: r });
    else log.debug("UDP buffers", { receive: r.rcvBytes, send: r.sndBytes });
  }
  if (o.gso !== false) batch.useGso(findUdpSocketFd(socket.port));
  return socket;
}
