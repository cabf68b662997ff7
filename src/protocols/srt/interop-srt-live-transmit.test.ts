/**
 * Interop with libsrt 1.5.1's srt-live-transmit: our SrtSession on a real UDP socket, the peer as a
 * child process, both as caller and as listener, sending and receiving, plain and encrypted, with
 * key refresh, through a lossy relay, and refused. Assertions are on the numbered payloads that
 * arrived (all of them, in order), never on log lines.
 */
import { describe, expect, test } from "bun:test";
import { freeUdpPort } from "../../../test/helpers/ports.ts";
import { startUdpRelay } from "../../../test/helpers/udp-relay.ts";
import {
  cleanups, closeAndDrain, forwardedTo, listener, N, numbered, numberOf, PASS, payloadsIn, range, requirePeer, spawnPeer, udpFeeder, until,
} from "./interop-helpers.ts";
import type { SrtCloseInfo } from "./session.ts";
import { UdpSrtEndpoint } from "./udp-harness.ts";
import { REJ_BADSECRET } from "./wire/constants.ts";

const SLT = requirePeer("srt-live-transmit");

describe("srt-live-transmit publishes to our listener", () => {
  for (const [label, query, pass] of [
    ["plain", "", undefined],
    ["AES-128", `&passphrase=${PASS}&pbkeylen=16`, PASS],
    ["AES-256", `&passphrase=${PASS}&pbkeylen=32`, PASS],
  ] as const) {
    test(`${label}: handshake, stream id, every payload in order`, async () => {
      const l = await listener({ passphrase: pass });
      const input = await freeUdpPort();
      const peer = spawnPeer([SLT, "-a:no", `udp://127.0.0.1:${input}`, `srt://127.0.0.1:${l.ep.port}?streamid=publish:live/x&latency=200${query}`]);
      await until(() => l.connected.length === 1, 5000, `connection (${peer.stderr()})`);
      const s = l.connected[0]!;
      expect([s.state.mode, s.state.path, s.state.rcvLatencyMs]).toEqual(["publish", "live/x", 200]);
      expect(s.stats().encrypted).toBe(pass !== undefined);
      await (await udpFeeder()).send(input, N, peer, l.forwarded);
      await until(() => l.received.length === N, 5000, `payloads (${l.received.length})`);
      expect(l.received).toEqual(range(N));
      expect(s.stats().packetsUndecryptable).toBe(0);
    }, 20_000);
  }

  test("through a relay losing 5% each way: retransmissions fill every gap", async () => {
    const l = await listener();
    const relay = await startUdpRelay({ targetPort: l.ep.port, loss: 0.05, delayMs: 10, seed: 5 });
    cleanups.push(() => relay.close());
    const input = await freeUdpPort();
    const peer = spawnPeer([SLT, "-a:no", `udp://127.0.0.1:${input}`, `srt://127.0.0.1:${relay.port}?streamid=publish:live/x&latency=300`]);
    await until(() => l.connected.length === 1, 8000, "connection");
    await (await udpFeeder()).send(input, 1000, peer, l.forwarded);
    await until(() => l.received.length === 1000, 8000, `payloads (${l.received.length})`);
    expect(l.received).toEqual(range(1000));
    expect(l.connected[0]!.stats().packetsLost).toBeGreaterThan(0);
    expect(relay.stats.dropped).toBeGreaterThan(0);
  }, 30_000);

  test("a wrong passphrase is refused with SRT_REJ_BADSECRET: srt-live-transmit gives up unconnected", async () => {
    const l = await listener({ passphrase: PASS });
    const input = await freeUdpPort();
    const peer = spawnPeer([SLT, "-a:no", `udp://127.0.0.1:${input}`, `srt://127.0.0.1:${l.ep.port}?streamid=publish:live/x&passphrase=not-the-secret&pbkeylen=16`]);
    // srt-live-transmit exits 0 even when refused; that it exits at all, unconnected, is the signal.
    await Promise.race([peer.proc.exited, Bun.sleep(5000).then(() => Promise.reject(new Error("srt-live-transmit kept trying")))]);
    expect(l.connected).toEqual([]);
    expect(l.closes).toMatchObject([{ reason: "rejected", code: REJ_BADSECRET }]);
  }, 20_000);
});

describe("key refresh with libsrt (KMREQ/KMRSP in user-defined control packets)", () => {
  test("srt-live-transmit refreshes its key every 300 packets: we follow, nothing undecryptable", async () => {
    const l = await listener({ passphrase: PASS });
    const input = await freeUdpPort();
    const peer = spawnPeer([SLT, "-a:no", `udp://127.0.0.1:${input}`, `srt://127.0.0.1:${l.ep.port}?streamid=publish:live/x&passphrase=${PASS}&pbkeylen=16&kmrefreshrate=300&kmpreannounce=100`]);
    await until(() => l.connected.length === 1, 5000, "connection");
    await (await udpFeeder()).send(input, 1000, peer, l.forwarded);
    await until(() => l.received.length === 1000, 5000, `payloads (${l.received.length})`);
    expect(l.received).toEqual(range(1000));
    const s = l.connected[0]!;
    expect(s.state.rxOdd).not.toBe("");
    expect(s.stats().packetsUndecryptable).toBe(0);
  }, 20_000);

  test("we refresh our key every 300 packets: srt-live-transmit follows", async () => {
    const port = await freeUdpPort();
    const peer = spawnPeer([SLT, "-a:no", `srt://:${port}?mode=listener&passphrase=${PASS}`, "file://con"]);
    await Bun.sleep(300);
    const { endpoint, session } = await UdpSrtEndpoint.dial(port, { passphrase: PASS, streamId: "publish:live/x", kmRefreshPackets: 300, kmPreAnnouncePackets: 100 });
    cleanups.push(() => endpoint.close());
    await until(() => session.isConnected, 5000, "connection");
    for (let i = 0; i < 1000; i++) {
      session.send(numbered(i), performance.now() * 1000);
      await Bun.sleep(1);
    }
    await closeAndDrain(session, peer);
    expect(payloadsIn(peer.stdout)).toEqual(range(1000));
    expect(session.state.txKeyFlag).toBe(2); // even, odd, even, odd
  }, 20_000);
});

describe("srt-live-transmit reads from our listener", () => {
  for (const [label, query, pass] of [
    ["plain", "", undefined],
    ["AES-192", `&passphrase=${PASS}&pbkeylen=24`, PASS],
  ] as const) {
    test(`${label}: streamid=read, our session sends, it writes every payload to stdout`, async () => {
      const l = await listener({ passphrase: pass });
      const peer = spawnPeer([SLT, "-a:no", `srt://127.0.0.1:${l.ep.port}?streamid=read:live/x${query}`, "file://con"]);
      await until(() => l.connected.length === 1, 5000, `connection (${peer.stderr()})`);
      const s = l.connected[0]!;
      expect(s.state.mode).toBe("read");
      for (let i = 0; i < N; i++) {
        s.send(numbered(i), performance.now() * 1000);
        await Bun.sleep(1);
      }
      await closeAndDrain(s, peer);
      expect(payloadsIn(peer.stdout)).toEqual(range(N));
    }, 20_000);
  }
});

describe("our caller against a srt-live-transmit listener", () => {
  async function dial(port: number, opts: { passphrase?: string; keyLength?: number; streamId?: string }) {
    const received: number[] = [];
    const closes: SrtCloseInfo[] = [];
    const { endpoint, session } = await UdpSrtEndpoint.dial(port, {
      ...opts,
      latencyMs: 120,
      onPayload: (p) => received.push(numberOf(p)),
      onClose: (i) => closes.push(i),
    });
    cleanups.push(() => endpoint.close());
    return { session, received, closes };
  }

  for (const [label, query, pass, keyLength] of [
    ["plain", "", undefined, undefined],
    ["AES-256", `&passphrase=${PASS}&pbkeylen=32`, PASS, 32],
  ] as const) {
    test(`${label}: it sends (udp:// in, srt listener out), we receive every payload`, async () => {
      const input = await freeUdpPort();
      const port = await freeUdpPort();
      const peer = spawnPeer([SLT, "-a:no", `udp://127.0.0.1:${input}`, `srt://:${port}?mode=listener&latency=200${query}`]);
      await Bun.sleep(300);
      const c = await dial(port, { passphrase: pass, keyLength, streamId: "read:live/x" });
      await until(() => c.session.isConnected, 5000, `connection (${peer.stderr()})`);
      expect(c.session.state.rcvLatencyMs).toBe(200);
      await (await udpFeeder()).send(input, N, peer, () => forwardedTo(c.session));
      await until(() => c.received.length === N, 5000, `payloads (${c.received.length})`);
      expect(c.received).toEqual(range(N));
    }, 20_000);
  }

  test("we send (srt listener in, stdout out), it receives every payload", async () => {
    const port = await freeUdpPort();
    const peer = spawnPeer([SLT, "-a:no", `srt://:${port}?mode=listener&passphrase=${PASS}`, "file://con"]);
    await Bun.sleep(300);
    const c = await dial(port, { passphrase: PASS, streamId: "publish:live/x" });
    await until(() => c.session.isConnected, 5000, `connection (${peer.stderr()})`);
    for (let i = 0; i < N; i++) {
      c.session.send(numbered(i), performance.now() * 1000);
      await Bun.sleep(1);
    }
    await closeAndDrain(c.session, peer);
    expect(payloadsIn(peer.stdout)).toEqual(range(N));
  }, 20_000);

  test("a wrong passphrase: the listener rejects us with SRT_REJ_BADSECRET", async () => {
    const port = await freeUdpPort();
    spawnPeer([SLT, "-a:no", `srt://:${port}?mode=listener&passphrase=${PASS}`, "file://con"]);
    await Bun.sleep(300);
    const c = await dial(port, { passphrase: "definitely-wrong", streamId: "publish:live/x" });
    await until(() => c.closes.length > 0, 5000, "rejection");
    expect(c.closes).toMatchObject([{ reason: "rejected", code: REJ_BADSECRET }]);
  }, 20_000);
});
