/**
 * Fuzz targets for whole sessions: mutated datagram sequences fed to a listener session (what any
 * host on the internet can send to our SRT port once past the cookie) and to a caller session
 * waiting for the listener's answers. A session counts and drops malformed datagrams, so nothing
 * at all may escape it. Seeds are recorded from a real exchange over FakeNetwork (AES-128, a key
 * refresh, a little loss so NAKs, drop requests and retransmissions are in them).
 */
import { mulberry32 } from "../../core/fuzz.ts";
import type { FuzzTarget } from "../../core/fuzz-target.ts";
import { FakeNetwork } from "./fake-network.ts";
import { SrtSession } from "./session.ts";

const PASS = "fuzz-passphrase";

function seededRandom(seed: number): (b: Uint8Array) => void {
  const rng = mulberry32(seed);
  return (b) => {
    for (let i = 0; i < b.length; i++) b[i] = rng.next() & 0xff;
  };
}

/** Datagrams as [u16 length][bytes]... */
function pack(datagrams: Uint8Array[], maxBytes: number): Uint8Array {
  const parts: number[] = [];
  for (const d of datagrams) {
    if (parts.length + 2 + d.length > maxBytes) break;
    parts.push(d.length >> 8, d.length & 0xff, ...d);
  }
  return Uint8Array.from(parts);
}

function* unpack(input: Uint8Array): Generator<Uint8Array> {
  let at = 0;
  while (at + 2 <= input.length) {
    const len = (input[at]! << 8) | input[at + 1]!;
    at += 2;
    yield input.subarray(at, Math.min(at + len, input.length));
    at += len;
  }
}

function record(): { up: Uint8Array[]; down: Uint8Array[] } {
  const up: Uint8Array[] = [];
  const down: Uint8Array[] = [];
  const net = new FakeNetwork({
    delayMs: 5,
    seed: 3,
    dropIf: (dir, i, b) => {
      (dir === "up" ? up : down).push(Uint8Array.from(b));
      return i % 17 === 5; // some loss: NAKs and retransmissions
    },
  });
  const common = { passphrase: PASS, kmRefreshPackets: 40, kmPreAnnouncePackets: 10, latencyMs: 50 };
  net.listen({ ...common, random: seededRandom(2) });
  const caller = net.dial({ ...common, streamId: "publish:live/fuzz", random: seededRandom(1) });
  net.run(net.nowUs + 100_000);
  const payload = new Uint8Array(64);
  let n = 0;
  net.run(net.nowUs + 200_000, (now) => {
    payload[0] = n++;
    caller.send(payload, now);
    net.listener?.send(payload, now);
  }, 2000);
  caller.close(net.nowUs);
  net.run(net.nowUs + 50_000);
  return { up, down };
}

const recorded = record();
const MAX_INPUT = 6000;

function feed(session: SrtSession, input: Uint8Array, startUs: number): number {
  let now = startUs;
  let n = 0;
  for (const d of unpack(input)) {
    session.onPacket(d, now);
    now += 3000;
    if (++n % 3 === 0) session.tick(now);
  }
  session.tick(now + 6_000_000); // timers: retransmission, drops, idle timeout
  return n;
}

const sink = { send() {} };

export const targets: FuzzTarget[] = [
  {
    name: "srt/session-listener",
    seeds: [pack(recorded.up, MAX_INPUT), pack(recorded.up.slice(1), MAX_INPUT), pack(recorded.up.filter((d) => d[0]! & 0x80), MAX_INPUT)],
    maxInputBytes: MAX_INPUT,
    run(input) {
      const s = new SrtSession({ role: "listener", transport: sink, nowUs: 1_000_000, passphrase: PASS, random: seededRandom(2), onPayload() {} });
      return feed(s, input, 1_000_000);
    },
  },
  {
    name: "srt/session-caller",
    seeds: [pack(recorded.down, MAX_INPUT), pack(recorded.down.filter((d) => d[0]! & 0x80), MAX_INPUT)],
    maxInputBytes: MAX_INPUT,
    run(input) {
      const s = new SrtSession({ role: "caller", transport: sink, nowUs: 1_000_000, passphrase: PASS, streamId: "read:x", random: seededRandom(1), onPayload() {} });
      s.connect(1_000_000);
      return feed(s, input, 1_000_000);
    },
  },
];
