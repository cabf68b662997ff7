/**
 * Interop with real peers (libsrt 1.5.1's srt-live-transmit, ffmpeg with libsrt): our SrtSession on
 * a real UDP socket (udp-harness.ts), the peer as a child process. Payloads are numbered, so the
 * assertions are on what arrived (all of it, in order), never on log lines.
 */
import { afterEach, describe, expect, test } from "bun:test";
import type { Subprocess } from "bun";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freeUdpPort } from "../../../test/helpers/ports.ts";
import { startUdpRelay } from "../../../test/helpers/udp-relay.ts";
import { UdpSrtEndpoint } from "./udp-harness.ts";
import type { SrtCloseInfo, SrtSession } from "./session.ts";
import { REJ_BADSECRET, REJX_FORBIDDEN } from "./wire/constants.ts";

const SLT = Bun.which("srt-live-transmit");
const FFMPEG = Bun.which("ffmpeg");
const PASS = "interop-secret-1";
const N = 400;

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

interface Peer {
  proc: Subprocess<"ignore", "pipe", "pipe">;
  stdout: Uint8Array[];
  stderr: () => string;
}

function spawnPeer(cmd: string[]): Peer {
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

async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(10);
  }
}

/** A UDP socket feeding numbered 1316-byte datagrams to a peer's udp:// input. */
async function udpFeeder() {
  const socket = await Bun.udpSocket({ socket: { error() {} } });
  cleanups.push(() => socket.close());
  return {
    /** srt-live-transmit binds its udp:// input only once the SRT side is connected: give it time. */
    async send(port: number, count: number) {
      await Bun.sleep(500);
      for (let i = 0; i < count; i++) {
        socket.send(numbered(i), port, "127.0.0.1");
        await Bun.sleep(1);
      }
    },
  };
}

function numbered(i: number): Uint8Array {
  const p = new Uint8Array(1316);
  p[0] = i & 0xff;
  p[1] = i >> 8;
  p.fill(0x5a, 2);
  return p;
}

const numberOf = (p: Uint8Array) => p[0]! | (p[1]! << 8);

/** Splits a byte stream back into the 1316-byte payloads we numbered. */
function payloadsIn(chunks: Uint8Array[]): number[] {
  const all = Buffer.concat(chunks);
  const out: number[] = [];
  for (let at = 0; at + 1316 <= all.length; at += 1316) out.push(numberOf(all.subarray(at, at + 1316)));
  return out;
}

/**
 * srt-live-transmit buffers stdout when it is a pipe: after the last payload has had its latency to
 * play out, we shut the connection down so it exits (with -a:no) and flushes, then read the rest.
 */
async function closeAndDrain(s: SrtSession, peer: Peer): Promise<void> {
  await until(() => s.stats().sendBufferPackets === 0, 3000, "acknowledgement of everything sent");
  await Bun.sleep(400);
  s.close(performance.now() * 1000);
  await Promise.race([peer.proc.exited, Bun.sleep(5000)]);
  await Bun.sleep(50);
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

async function listener(opts: { passphrase?: string; accept?: (id: string) => { mode: "publish" | "read"; path: string } | { reject: number } } = {}) {
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
  return { ep, received, closes, connected };
}

describe.if(SLT !== null)("srt-live-transmit publishes to our listener", () => {
  for (const [label, query, pass] of [
    ["plain", "", undefined],
    ["AES-128", `&passphrase=${PASS}&pbkeylen=16`, PASS],
    ["AES-256", `&passphrase=${PASS}&pbkeylen=32`, PASS],
  ] as const) {
    test(`${label}: handshake, stream id, every payload in order`, async () => {
      const l = await listener({ passphrase: pass });
      const input = await freeUdpPort();
      const peer = spawnPeer([SLT!, "-a:no", `udp://127.0.0.1:${input}`, `srt://127.0.0.1:${l.ep.port}?streamid=publish:live/x&latency=200${query}`]);
      await until(() => l.connected.length === 1, 5000, `connection (${peer.stderr()})`);
      const s = l.connected[0]!;
      expect([s.state.mode, s.state.path, s.state.rcvLatencyMs]).toEqual(["publish", "live/x", 200]);
      expect(s.stats().encrypted).toBe(pass !== undefined);
      await (await udpFeeder()).send(input, N);
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
    spawnPeer([SLT!, "-a:no", `udp://127.0.0.1:${input}`, `srt://127.0.0.1:${relay.port}?streamid=publish:live/x&latency=300`]);
    await until(() => l.connected.length === 1, 8000, "connection");
    await (await udpFeeder()).send(input, 1000);
    await until(() => l.received.length === 1000, 8000, `payloads (${l.received.length})`);
    expect(l.received).toEqual(range(1000));
    expect(l.connected[0]!.stats().packetsLost).toBeGreaterThan(0);
    expect(relay.stats.dropped).toBeGreaterThan(0);
  }, 30_000);

  test("a wrong passphrase is refused with SRT_REJ_BADSECRET: srt-live-transmit gives up unconnected", async () => {
    const l = await listener({ passphrase: PASS });
    const input = await freeUdpPort();
    const peer = spawnPeer([SLT!, "-a:no", `udp://127.0.0.1:${input}`, `srt://127.0.0.1:${l.ep.port}?streamid=publish:live/x&passphrase=not-the-secret&pbkeylen=16`]);
    // srt-live-transmit exits 0 even when refused; that it exits at all, unconnected, is the signal.
    await Promise.race([peer.proc.exited, Bun.sleep(5000).then(() => Promise.reject(new Error("srt-live-transmit kept trying")))]);
    expect(l.connected).toEqual([]);
    expect(l.closes).toMatchObject([{ reason: "rejected", code: REJ_BADSECRET }]);
  }, 20_000);
});

describe.if(SLT !== null)("key refresh with libsrt (KMREQ/KMRSP in user-defined control packets)", () => {
  test("srt-live-transmit refreshes its key every 300 packets: we follow, nothing undecryptable", async () => {
    const l = await listener({ passphrase: PASS });
    const input = await freeUdpPort();
    spawnPeer([SLT!, "-a:no", `udp://127.0.0.1:${input}`, `srt://127.0.0.1:${l.ep.port}?streamid=publish:live/x&passphrase=${PASS}&pbkeylen=16&kmrefreshrate=300&kmpreannounce=100`]);
    await until(() => l.connected.length === 1, 5000, "connection");
    await (await udpFeeder()).send(input, 1000);
    await until(() => l.received.length === 1000, 5000, `payloads (${l.received.length})`);
    expect(l.received).toEqual(range(1000));
    const s = l.connected[0]!;
    expect(s.state.rxOdd).not.toBe("");
    expect(s.stats().packetsUndecryptable).toBe(0);
  }, 20_000);

  test("we refresh our key every 300 packets: srt-live-transmit follows", async () => {
    const port = await freeUdpPort();
    const peer = spawnPeer([SLT!, "-a:no", `srt://:${port}?mode=listener&passphrase=${PASS}`, "file://con"]);
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

describe.if(SLT !== null)("srt-live-transmit reads from our listener", () => {
  for (const [label, query, pass] of [
    ["plain", "", undefined],
    ["AES-192", `&passphrase=${PASS}&pbkeylen=24`, PASS],
  ] as const) {
    test(`${label}: streamid=read, our session sends, it writes every payload to stdout`, async () => {
      const l = await listener({ passphrase: pass });
      const peer = spawnPeer([SLT!, "-a:no", `srt://127.0.0.1:${l.ep.port}?streamid=read:live/x${query}`, "file://con"]);
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

describe.if(SLT !== null)("our caller against a srt-live-transmit listener", () => {
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
      const peer = spawnPeer([SLT!, "-a:no", `udp://127.0.0.1:${input}`, `srt://:${port}?mode=listener&latency=200${query}`]);
      await Bun.sleep(300);
      const c = await dial(port, { passphrase: pass, keyLength, streamId: "read:live/x" });
      await until(() => c.session.isConnected, 5000, `connection (${peer.stderr()})`);
      expect(c.session.state.rcvLatencyMs).toBe(200);
      await (await udpFeeder()).send(input, N);
      await until(() => c.received.length === N, 5000, `payloads (${c.received.length})`);
      expect(c.received).toEqual(range(N));
    }, 20_000);
  }

  test("we send (srt listener in, stdout out), it receives every payload", async () => {
    const port = await freeUdpPort();
    const peer = spawnPeer([SLT!, "-a:no", `srt://:${port}?mode=listener&passphrase=${PASS}`, "file://con"]);
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
    spawnPeer([SLT!, "-a:no", `srt://:${port}?mode=listener&passphrase=${PASS}`, "file://con"]);
    await Bun.sleep(300);
    const c = await dial(port, { passphrase: "definitely-wrong", streamId: "publish:live/x" });
    await until(() => c.closes.length > 0, 5000, "rejection");
    expect(c.closes).toMatchObject([{ reason: "rejected", code: REJ_BADSECRET }]);
  }, 20_000);
});

describe.if(FFMPEG !== null)("ffmpeg (libsrt) publishes MPEG-TS to our listener", () => {
  for (const [label, query, pass] of [
    ["plain", "", undefined],
    ["AES-128", `&passphrase=${PASS}&pbkeylen=16`, PASS],
  ] as const) {
    test(`${label}: TS packets arrive whole, continuity counters intact`, async () => {
      const payloads: Uint8Array[] = [];
      const connected: SrtSession[] = [];
      const ep = await UdpSrtEndpoint.listen({ latencyMs: 120, passphrase: pass, onConnected: (s) => connected.push(s), onPayload: (p) => payloads.push(p.slice()) });
      cleanups.push(() => ep.close());
      const peer = spawnPeer([
        FFMPEG!, "-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "2",
        "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-f", "mpegts",
        `srt://127.0.0.1:${ep.port}?streamid=publish:live/x&pkt_size=1316${query}`,
      ]);
      expect(await peer.proc.exited).toBe(0);
      await Bun.sleep(500);
      expect(connected.length).toBe(1);
      expect([connected[0]!.state.mode, connected[0]!.state.path]).toEqual(["publish", "live/x"]);
      expect(payloads.length).toBeGreaterThan(20);
      const cc = new Map<number, number>();
      let discontinuities = 0;
      for (const p of payloads) {
        expect(p.length % 188).toBe(0);
        for (let at = 0; at < p.length; at += 188) {
          expect(p[at]).toBe(0x47);
          const pid = ((p[at + 1]! & 0x1f) << 8) | p[at + 2]!;
          const hasPayload = (p[at + 3]! & 0x10) !== 0;
          const counter = p[at + 3]! & 0x0f;
          const prev = cc.get(pid);
          if (hasPayload && prev !== undefined && counter !== ((prev + 1) & 15)) discontinuities++;
          if (hasPayload) cc.set(pid, counter);
        }
      }
      expect(discontinuities).toBe(0);
      expect(cc.has(0)).toBe(true); // the PAT came through
    }, 30_000);
  }

  for (const [label, query, opts, code] of [
    ["a wrong passphrase (SRT_REJ_BADSECRET)", "&passphrase=not-the-secret&pbkeylen=16", { passphrase: PASS }, REJ_BADSECRET],
    ["a stream id the accept callback refuses (REJX_FORBIDDEN)", "", { accept: () => ({ reject: REJX_FORBIDDEN }) }, REJX_FORBIDDEN],
  ] as const) {
    test(`${label}: ffmpeg fails to connect`, async () => {
      const l = await listener(opts);
      const peer = spawnPeer([
        FFMPEG!, "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=160x120:rate=25", "-t", "1",
        "-c:v", "libx264", "-f", "mpegts", `srt://127.0.0.1:${l.ep.port}?streamid=publish:live/x&pkt_size=1316${query}`,
      ]);
      expect(await peer.proc.exited).not.toBe(0);
      expect(l.connected).toEqual([]);
      expect(l.closes).toMatchObject([{ reason: "rejected", code }]);
    }, 20_000);
  }
});

describe.if(FFMPEG !== null && Bun.which("ffprobe") !== null)("ffmpeg (libsrt) reads MPEG-TS from our listener", () => {
  test("streamid=read: every video frame of a 2 s clip decodes on the other side (AES-128)", async () => {
    const dir = mkdtempSync(join(tmpdir(), "spate-srt-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const source = join(dir, "source.ts");
    const made = Bun.spawnSync([
      FFMPEG!, "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=25", "-t", "2",
      "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-f", "mpegts", source,
    ]);
    expect(made.exitCode).toBe(0);
    const ts = new Uint8Array(readFileSync(source));
    const l = await listener({ passphrase: PASS });
    const out = join(dir, "received.ts");
    const peer = spawnPeer([FFMPEG!, "-hide_banner", "-loglevel", "error", "-y", "-i", `srt://127.0.0.1:${l.ep.port}?streamid=read:live/x&passphrase=${PASS}&pbkeylen=16`, "-c", "copy", "-f", "mpegts", out]);
    await until(() => l.connected.length === 1, 5000, `connection (${peer.stderr()})`);
    const s = l.connected[0]!;
    for (let at = 0; at < ts.length; at += 1316) {
      s.send(ts.subarray(at, Math.min(at + 1316, ts.length)), performance.now() * 1000);
      await Bun.sleep(1);
    }
    await closeAndDrain(s, peer);
    const probe = Bun.spawnSync(["ffprobe", "-v", "error", "-count_frames", "-select_streams", "v:0", "-show_entries", "stream=nb_read_frames", "-of", "csv=p=0", out]);
    // One line for the program, one for the stream: the same count.
    expect(probe.stdout.toString().trim().split(/\s+/).map(Number)).toContain(50);
  }, 30_000);
});
