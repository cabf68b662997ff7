/**
 * Session to session, without sockets: a caller and a listener SrtSession over FakeNetwork (fake
 * clock, seeded loss both ways, 30 ms delay, reordering jitter).
 */
import { describe, expect, test } from "bun:test";
import { mulberry32 } from "../../core/fuzz.ts";
import { FakeNetwork, type LinkOptions } from "./fake-network.ts";
import type { SrtCloseInfo, SrtSession } from "./session.ts";
import { REJ_BADSECRET, REJ_UNSECURE, REJX_FORBIDDEN } from "./wire/constants.ts";

const seeded = (seed: number) => {
  const rng = mulberry32(seed);
  return (b: Uint8Array) => {
    for (let i = 0; i < b.length; i++) b[i] = rng.next() & 0xff;
  };
};

interface Run {
  net: FakeNetwork;
  caller: SrtSession;
  listener: () => SrtSession;
  received: number[];
  closes: { caller: SrtCloseInfo[]; listener: SrtCloseInfo[] };
}

function setup(link: LinkOptions, o: { latencyMs?: number; callerPass?: string; listenerPass?: string; keyLength?: number; streamId?: string; reject?: number; kmRefreshPackets?: number; kmPreAnnouncePackets?: number } = {}): Run {
  const net = new FakeNetwork(link);
  const received: number[] = [];
  const closes: Run["closes"] = { caller: [], listener: [] };
  const record = (p: Uint8Array) => received.push(p[0]! | (p[1]! << 8) | (p[2]! << 16));
  net.listen({
    latencyMs: o.latencyMs ?? 200,
    passphrase: o.listenerPass,
    random: seeded(2),
    accept: o.reject ? () => ({ reject: o.reject! }) : undefined,
    onPayload: record,
    onClose: (i) => closes.listener.push(i),
    kmRefreshPackets: o.kmRefreshPackets,
    kmPreAnnouncePackets: o.kmPreAnnouncePackets,
  });
  const caller = net.dial({
    latencyMs: 120,
    streamId: o.streamId ?? "publish:live/x",
    passphrase: o.callerPass,
    keyLength: o.keyLength,
    random: seeded(1),
    onPayload: record,
    onClose: (i) => closes.caller.push(i),
    kmRefreshPackets: o.kmRefreshPackets,
    kmPreAnnouncePackets: o.kmPreAnnouncePackets,
  });
  net.run(net.nowUs + 1_000_000);
  return { net, caller, listener: () => net.listener!, received, closes };
}

/** Sends `count` numbered 1316-byte payloads, one per millisecond, then lets the link settle. */
function stream(r: Run, from: SrtSession, count: number, settleMs = 2000): void {
  const payload = new Uint8Array(1316);
  let sent = 0;
  r.net.run(
    r.net.nowUs + count * 1000 + 10_000,
    (now) => {
      if (sent >= count) return;
      payload[0] = sent & 0xff;
      payload[1] = (sent >> 8) & 0xff;
      payload[2] = sent >> 16;
      payload.fill(sent & 0xff, 3, 40);
      expect(from.send(payload, now)).toBe(true);
      sent++;
    },
    1000,
  );
  r.net.run(r.net.nowUs + settleMs * 1000);
}

const lossy = (loss: number, seed = 7): LinkOptions => ({ lossUp: loss, lossDown: loss, delayMs: 30, jitterMs: 2, seed });

describe("handshake", () => {
  test("connects, hands the stream id to the listener, takes the larger latency both ways", () => {
    const r = setup({ delayMs: 30 }, { streamId: "#!::r=live/cam1,m=publish" });
    const l = r.listener();
    expect(r.caller.isConnected).toBe(true);
    expect(l.isConnected).toBe(true);
    expect([l.state.mode, l.state.path, l.state.streamId]).toEqual(["publish", "live/cam1", "#!::r=live/cam1,m=publish"]);
    expect([r.caller.state.rcvLatencyMs, r.caller.state.sndLatencyMs, l.state.rcvLatencyMs, l.state.sndLatencyMs]).toEqual([200, 200, 200, 200]);
    expect(r.caller.state.peerSocketId).toBe(l.state.socketId);
    expect(l.state.peerSocketId).toBe(r.caller.state.socketId);
  });

  test("survives handshake packets lost both ways (retries every 250 ms)", () => {
    const drops = new Set(["up0", "down0", "up2", "down1"]);
    const r = setup({ delayMs: 10, dropIf: (dir, i) => drops.has(`${dir}${i}`) });
    r.net.run(r.net.nowUs + 1_000_000);
    expect(r.caller.isConnected).toBe(true);
    expect(r.listener().isConnected).toBe(true);
  });

  test("gives up after the connect timeout when nobody answers", () => {
    const net = new FakeNetwork({ delayMs: 10 });
    const closes: SrtCloseInfo[] = [];
    const caller = net.dial({ streamId: "read:x", onClose: (i) => closes.push(i) });
    net.run(net.nowUs + 4_000_000);
    expect(caller.isClosed).toBe(true);
    expect(closes).toMatchObject([{ reason: "timeout" }]);
  });

  test("a stream id the listener refuses: the caller sees the listener's code", () => {
    const r = setup({ delayMs: 10 }, { reject: REJX_FORBIDDEN });
    expect(r.closes.caller).toMatchObject([{ reason: "rejected", code: REJX_FORBIDDEN }]);
    expect(r.closes.listener).toMatchObject([{ reason: "rejected", code: REJX_FORBIDDEN }]);
  });

  test("a wrong passphrase is rejected with SRT_REJ_BADSECRET", () => {
    const r = setup({ delayMs: 10 }, { callerPass: "0123456789", listenerPass: "0123456789-other" });
    expect(r.closes.caller).toMatchObject([{ reason: "rejected", code: REJ_BADSECRET }]);
    expect(r.closes.listener).toMatchObject([{ reason: "rejected", code: REJ_BADSECRET }]);
  });

  test("a missing passphrase on either side is rejected with SRT_REJ_UNSECURE", () => {
    expect(setup({ delayMs: 10 }, { listenerPass: "0123456789" }).closes.caller).toMatchObject([{ reason: "rejected", code: REJ_UNSECURE }]);
    expect(setup({ delayMs: 10 }, { callerPass: "0123456789" }).closes.caller).toMatchObject([{ reason: "rejected", code: REJ_UNSECURE }]);
  });
});

describe("data under loss", () => {
  const N = 5000;
  const inOrder = (xs: number[]) => xs.every((x, i) => i === 0 || x > xs[i - 1]!);

  test("5% loss both ways, 200 ms latency: every payload arrives, in order, none dropped", () => {
    const r = setup(lossy(0.05));
    stream(r, r.caller, N);
    const l = r.listener().stats();
    expect(r.received).toEqual(Array.from({ length: N }, (_, i) => i));
    expect(l.packetsDropped).toBe(0);
    expect(l.packetsLost).toBeGreaterThan(N * 0.03);
    expect(r.caller.stats().packetsRetransmitted).toBeGreaterThan(l.packetsLost);
    expect(r.net.dropped.up).toBeGreaterThan(N * 0.04);
  });

  for (const keyLength of [16, 24, 32]) {
    test(`5% loss, AES-${keyLength * 8}: every payload arrives, in order, decrypted`, () => {
      const r = setup(lossy(0.05, keyLength), { callerPass: "correct horse battery", listenerPass: "correct horse battery", keyLength });
      expect(r.listener().state.keyLength).toBe(keyLength);
      stream(r, r.caller, N);
      expect(r.received).toEqual(Array.from({ length: N }, (_, i) => i));
      expect(r.listener().stats()).toMatchObject({ encrypted: true, packetsDropped: 0, packetsUndecryptable: 0 });
    });
  }

  test("10% loss both ways: in order, at most a few too late at 200 ms, none at 400 ms", () => {
    const r = setup(lossy(0.1));
    stream(r, r.caller, N);
    expect(inOrder(r.received)).toBe(true);
    expect(r.listener().stats().packetsDropped).toBeLessThanOrEqual(N * 0.002);
    expect(r.received.length + r.listener().stats().packetsDropped).toBe(N);
    const slow = setup(lossy(0.1), { latencyMs: 400 });
    stream(slow, slow.caller, N);
    expect(slow.received).toEqual(Array.from({ length: N }, (_, i) => i));
  });

  test("listener to caller (a reader pulling), 5% loss, encrypted", () => {
    const r = setup(lossy(0.05, 11), { callerPass: "0123456789", listenerPass: "0123456789", streamId: "read:live/x" });
    expect(r.listener().state.mode).toBe("read");
    stream(r, r.listener(), N);
    expect(r.received).toEqual(Array.from({ length: N }, (_, i) => i));
  });

  test("30% loss with 50 ms latency: too-late packets are skipped, the rest play in order", () => {
    const r = setup(lossy(0.3), { latencyMs: 50 });
    stream(r, r.caller, 2000);
    const l = r.listener().stats();
    expect(l.packetsDropped).toBeGreaterThan(0);
    expect(inOrder(r.received)).toBe(true);
    expect(r.received.length + l.packetsDropped).toBe(2000);
  });

  test("payloads play at their timestamp + latency", () => {
    const r = setup({ delayMs: 30 }, { latencyMs: 200 });
    const playedAt: number[] = [];
    const sentAt = r.net.nowUs;
    const l = r.listener();
    (l as unknown as { opts: { onPayload: () => void } }).opts.onPayload = () => playedAt.push(r.net.nowUs);
    r.caller.send(new Uint8Array(188), sentAt);
    r.net.run(r.net.nowUs + 500_000);
    expect(playedAt.length).toBe(1);
    // One-way delay (in the time base) + 200 ms, to the 10 ms tick.
    expect(playedAt[0]! - sentAt).toBeGreaterThanOrEqual(230_000);
    expect(playedAt[0]! - sentAt).toBeLessThanOrEqual(240_000);
  });
});

describe("keys", () => {
  test("the sender refreshes its key (KMREQ, odd/even switch) mid-stream; the receiver follows", () => {
    const r = setup(lossy(0.02), { callerPass: "0123456789", listenerPass: "0123456789", kmRefreshPackets: 1000, kmPreAnnouncePackets: 200 });
    stream(r, r.caller, 3500);
    expect(r.received).toEqual(Array.from({ length: 3500 }, (_, i) => i));
    expect(r.listener().state.rxOdd).not.toBe("");
    expect(r.caller.state.txKeyFlag).toBe(2);
    expect(r.listener().stats().packetsUndecryptable).toBe(0);
  });
});

describe("liveness", () => {
  test("keepalives flow while idle; a peer silent for 5 s is declared dead", () => {
    const r = setup({ delayMs: 5 });
    r.net.run(r.net.nowUs + 3_000_000);
    expect(r.caller.isConnected && r.listener().isConnected).toBe(true);
    r.net.silence.up = true;
    r.net.run(r.net.nowUs + 6_000_000);
    expect(r.closes.listener).toMatchObject([{ reason: "timeout" }]);
    expect(r.caller.isConnected).toBe(true);
  });

  test("shutdown reaches the peer", () => {
    const r = setup({ delayMs: 5 });
    r.caller.close(r.net.nowUs);
    r.net.run(r.net.nowUs + 100_000);
    expect(r.closes.caller).toMatchObject([{ reason: "local" }]);
    expect(r.closes.listener).toMatchObject([{ reason: "shutdown" }]);
    expect(r.caller.send(new Uint8Array(10), r.net.nowUs)).toBe(false);
  });

  test("a receiver that stops acknowledging: the sender drops what is too old and bounds its buffer", () => {
    const r = setup({ delayMs: 5 });
    r.net.silence.down = true;
    stream(r, r.caller, 1500, 500);
    const c = r.caller.stats();
    // 3 s of packets at 500/s; libsrt's threshold keeps max(latency, 1 s) + 20 ms of them.
    expect(c.packetsSendDropped).toBeGreaterThan(900);
    expect(c.sendBufferPackets).toBeLessThan(600);
  });
});

describe("flow control", () => {
  test("the sender keeps no more unacknowledged packets in flight than the receiver's window", () => {
    const net = new FakeNetwork({ delayMs: 5 });
    const received: number[] = [];
    net.listen({ receiveBufferPackets: 64, latencyMs: 300, onPayload: (p) => received.push(p[0]! | (p[1]! << 8)) });
    const caller = net.dial({ streamId: "publish:x" });
    net.run(net.nowUs + 200_000);
    expect(caller.state.peerFlowWindow).toBe(64);
    net.silence.up = true; // nothing reaches the listener, so nothing is acknowledged
    const r: Run = { net, caller, listener: () => net.listener!, received, closes: { caller: [], listener: [] } };
    stream(r, caller, 200, 0);
    expect(caller.state.sndSentUpTo - caller.state.sndAcked).toBe(64);
    expect(caller.stats().sendBufferPackets).toBe(200);
    net.silence.up = false;
    net.run(net.nowUs + 4_000_000);
    expect(received).toEqual(Array.from({ length: 200 }, (_, i) => i));
  });
});

describe("state", () => {
  test("is plain JSON, and a restored session carries on (what was in flight is given up)", () => {
    const r = setup(lossy(0.02));
    stream(r, r.caller, 500, 500);
    const json = JSON.stringify(r.caller.state);
    const { SrtSession } = require("./session.ts") as typeof import("./session.ts");
    const moved = SrtSession.restore(JSON.parse(json), { role: "caller", transport: r.net.transport("up"), nowUs: r.net.nowUs });
    r.net.caller = moved;
    expect(moved.isConnected).toBe(true);
    const before = r.received.length;
    stream(r, moved, 500, 1000);
    expect(r.received.length - before).toBe(500);
    expect(r.received.slice(before)).toEqual(Array.from({ length: 500 }, (_, i) => i));
  });

  test("timestamps wrapping at 2^32 µs do not disturb play-out", () => {
    const net = new FakeNetwork({ delayMs: 10 }, 4_000_000_000);
    const received: number[] = [];
    net.listen({ latencyMs: 120, onPayload: (p) => received.push(p[0]! | (p[1]! << 8)) });
    // The caller's clock started 2^32 - 1.5 s ago: its timestamps wrap 1.5 s in.
    const caller = net.dial({ latencyMs: 120, streamId: "publish:w" });
    caller.state.startUs -= 2 ** 32 - 2_500_000;
    const r: Run = { net, caller, listener: () => net.listener!, received, closes: { caller: [], listener: [] } };
    net.run(net.nowUs + 1_000_000);
    stream(r, caller, 3000);
    expect(received).toEqual(Array.from({ length: 3000 }, (_, i) => i & 0xffff));
  });
});
