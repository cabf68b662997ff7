/**
 * For the interop tests: real peers (srt-live-transmit, ffmpeg) as child processes killed after each
 * test, numbered payloads, and our listener on a real UDP socket (udp-harness.ts).
 */
import { afterEach } from "bun:test";
import type { Subprocess } from "bun";
import { UdpSrtEndpoint } from "./udp-harness.ts";
import type { SrtCloseInfo, SrtSession } from "./session.ts";

export const PASS = "interop-secret-1";
export const N = 400;

export const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

export interface Peer {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  stdout: Uint8Array[];
  stderr: () => string;
}

export function spawnPeer(cmd: string[]): Peer {
  const proc = Bun.spawn(cmd, { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
  const stdout: Uint8Array[] = [];
  let err = "";
  void (async () => {
    for await (const c of proc.stdout) stdout.push(c);
  })();
  void (async () => {
    for await (const c of proc.stderr) err += new TextDecoder().decode(c);
  })();
  cleanups.push(() => proc.kill("SIGKILL"));
  return { proc, stdout, stderr: () => err };
}

export async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

/** 64 datagrams of 1316 bytes: well inside a default 208 KiB UDP receive buffer. */
const FEED_WINDOW = 64;

/** A UDP socket feeding numbered 1316-byte datagrams to a peer's udp:// input. */
export async function udpFeeder() {
  const socket = await Bun.udpSocket({ socket: { error() {} } });
  cleanups.push(() => socket.close());
  return {
    /**
     * srt-live-transmit opens its udp:// input only once its own side of the handshake is done
     * (later than ours when our answer is lost and it retries): wait for it to say so, then a bit.
     */
    async send(port: number, count: number, peer: Peer, forwarded?: () => number) {
      await until(() => /SRT (target|source) connect(ed|ion)/.test(peer.stderr()), 5000, "srt-live-transmit to connect");
      await Bun.sleep(200);
      for (let i = 0; i < count; i++) {
        // The peer's udp:// input has a small socket buffer and nothing retransmits into it: when
        // the peer is descheduled (a busy CI machine), a free-running feeder overflows it and the
        // payloads never enter SRT at all. With `forwarded` (how many crossed SRT so far) at most
        // FEED_WINDOW payloads wait in front of the peer.
        if (forwarded) await until(() => i - forwarded() < FEED_WINDOW, 5000, `the peer to forward payload ${i - FEED_WINDOW}`);
        socket.send(numbered(i), port, "127.0.0.1");
        await Bun.sleep(1);
      }
    },
  };
}

export function numbered(i: number): Uint8Array {
  const p = new Uint8Array(1316);
  p[0] = i & 0xff;
  p[1] = i >> 8;
  p.fill(0x5a, 2);
  return p;
}

export const numberOf = (p: Uint8Array) => p[0]! | (p[1]! << 8);

/** Splits a byte stream back into the 1316-byte payloads we numbered. */
export function payloadsIn(chunks: Uint8Array[]): number[] {
  const all = Buffer.concat(chunks);
  const out: number[] = [];
  for (let at = 0; at + 1316 <= all.length; at += 1316) out.push(numberOf(all.subarray(at, at + 1316)));
  return out;
}

/**
 * srt-live-transmit buffers stdout when it is a pipe: after the last payload has had its latency to
 * play out, we shut the connection down so it exits (with -a:no) and flushes, then read the rest.
 */
export async function closeAndDrain(s: SrtSession, peer: Peer): Promise<void> {
  await until(() => s.stats().sendBufferPackets === 0, 3000, "acknowledgement of everything sent");
  await Bun.sleep(400);
  s.close(performance.now() * 1000);
  await Promise.race([peer.proc.exited, Bun.sleep(5000)]);
  await Bun.sleep(50);
}

/** Payloads the peer has sent `s` so far: delivered, waiting to play, awaited after a loss, or given up. */
export function forwardedTo(s: SrtSession | undefined): number {
  const st = s?.stats();
  return st ? st.packetsDelivered + st.receiveBufferPackets + st.receiveLossPackets + st.packetsDropped : 0;
}

export const range = (n: number) => Array.from({ length: n }, (_, i) => i);

export async function listener(opts: { passphrase?: string; accept?: (id: string) => { mode: "publish" | "read"; path: string } | { reject: number } } = {}) {
  const received: number[] = [];
  const closes: SrtCloseInfo[] = [];
  const connected: SrtSession[] = [];
  const ep = await UdpSrtEndpoint.listen({
    latencyMs: 120,
    passphrase: opts.passphrase,
    accept: opts.accept,
    onConnected: (s) => connected.push(s),
    onPayload: (p) => received.push(numberOf(p)),
    onClose: (i) => closes.push(i),
  });
  cleanups.push(() => ep.close());
  return { ep, received, closes, connected, forwarded: () => forwardedTo(connected[0]) };
}

/** A peer the tests need: its path, or a failure that says how to get it (no silent skip). */
export function requirePeer(name: string): string {
  const path = Bun.which(name);
  if (!path) throw new Error(`${name} not found: run the tests with npm test, which installs the peers (scripts/ensure-peers.sh)`);
  return path;
}
