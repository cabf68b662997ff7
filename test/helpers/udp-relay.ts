/**
 * A lossy UDP relay for tests: clients send to `relay.port`, the relay forwards to `target` and
 * the answers back, dropping each datagram with probability `loss` (seeded, both directions) and
 * delaying each by `delayMs`. One client address at a time per relay port is enough for our tests
 * (a second client address gets its own upstream socket).
 */
import type { udp } from "bun";
import { mulberry32 } from "../../src/core/fuzz.ts";

export interface RelayOptions {
  targetPort: number;
  targetHost?: string;
  /** Drop probability per datagram, each direction (0..1). */
  loss: number;
  delayMs: number;
  seed?: number;
}

export interface Relay {
  port: number;
  stats: { forwarded: number; dropped: number };
  close(): void;
}

export async function startUdpRelay(o: RelayOptions): Promise<Relay> {
  const rng = mulberry32(o.seed ?? 1);
  const host = o.targetHost ?? "127.0.0.1";
  const stats = { forwarded: 0, dropped: 0 };
  const lose = () => (rng.next() / 0x100000000 < o.loss ? (stats.dropped++, true) : (stats.forwarded++, false));
  const later = (fn: () => void) => (o.delayMs > 0 ? setTimeout(fn, o.delayMs) : fn());
  const upstreams = new Map<string, Promise<udp.Socket<"uint8array">>>();
  let closed = false;

  const front = await Bun.udpSocket({
    hostname: "127.0.0.1",
    port: 0,
    binaryType: "uint8array",
    socket: {
      error() {}, // ICMP "port unreachable" from a peer that left: a lossy link ignores it
      data(_s, data, port, address) {
        if (closed || lose()) return;
        const key = `${address}:${port}`;
        const copy = data.slice();
        void upstreamFor(key, address, port).then((up) => later(() => !closed && trySend(up, copy, o.targetPort, host)));
      },
    },
  });

  function upstreamFor(key: string, address: string, port: number) {
    let up = upstreams.get(key);
    if (!up) {
      // One upstream socket per client address, created once even when datagrams race it.
      up = Bun.udpSocket({
        hostname: "127.0.0.1",
        port: 0,
        binaryType: "uint8array",
        socket: {
          error() {},
          data(_s, data) {
            if (closed || lose()) return;
            const copy = data.slice();
            later(() => !closed && trySend(front, copy, port, address));
          },
        },
      });
      upstreams.set(key, up);
    }
    return up;
  }

  return {
    port: front.port,
    stats,
    close() {
      closed = true;
      front.close();
      for (const u of upstreams.values()) void u.then((s) => s.close());
    },
  };
}

/** A peer that went away makes the kernel refuse sends (ICMP unreachable): a lossy link drops them. */
function trySend(s: udp.Socket<"uint8array">, data: Uint8Array, port: number, address: string): boolean {
  try {
    return s.send(data, port, address);
  } catch {
    return false;
  }
}
