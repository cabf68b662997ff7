import { describe, expect, test } from "bun:test";
import { findUdpSocketFd, setUdpSocketBuffers } from "../../server/socket-buffers.ts";
import { UdpBatch } from "./udp-batch.ts";

/** Two receivers, one sender; what arrives, in order, per receiver. */
async function setup() {
  const got: Uint8Array[][] = [[], []];
  const rx = await Promise.all(
    [0, 1].map((k) => Bun.udpSocket({ hostname: "127.0.0.1", port: 0, binaryType: "uint8array", socket: { data: (_s, b) => void got[k]!.push(b.slice()) } })),
  );
  for (const r of rx) setUdpSocketBuffers(r.port, 4 << 20); // a blast of 600 outgrows the default 208 KiB
  const tx = await Bun.udpSocket({ hostname: "127.0.0.1", port: 0, binaryType: "uint8array" });
  return { got, rx, tx, close: () => [tx, ...rx].forEach((s) => s.close()) };
}

function packet(tag: number, len: number): Uint8Array {
  const b = new Uint8Array(len);
  b.fill(tag & 0xff);
  b[0] = tag >> 8;
  return b;
}

async function until(cond: () => boolean, ms = 2000) {
  const end = performance.now() + ms;
  while (!cond() && performance.now() < end) await Bun.sleep(5);
}

describe("UdpBatch", () => {
  for (const gso of [true, false]) {
    test(`runs to two peers arrive whole and in order (${gso ? "UDP GSO" : "sendMany"})`, async () => {
      const t = await setup();
      try {
        const batch = new UdpBatch(() => t.tx);
        if (gso) batch.useGso(findUdpSocketFd(t.tx.port));
        expect(batch.gsoEnabled).toBe(gso);
        // A run of equal packets with a short tail, a control packet, then the other peer, then back.
        const plan: [number, number, number][] = [];
        for (let i = 0; i < 8; i++) plan.push([0, i, 1332]);
        plan.push([0, 8, 700], [0, 9, 20], [1, 10, 1332], [1, 11, 1332], [0, 12, 1332]);
        for (let i = 0; i < 70; i++) plan.push([1, 100 + i, 1332]); // more than one run's 64 segments
        for (const [peer, tag, len] of plan) batch.send(packet(tag, len), len, t.rx[peer]!.port, "127.0.0.1");
        await until(() => t.got[0]!.length + t.got[1]!.length === plan.length);
        for (const peer of [0, 1]) {
          const want = plan.filter((p) => p[0] === peer);
          expect(t.got[peer]!.map((b) => [b[0]! * 256 + b[1]!, b.length])).toEqual(want.map(([, tag, len]) => [tag, len]));
        }
        expect(batch.sent).toBe(plan.length);
        expect(batch.dropped).toBe(0);
        expect(batch.calls).toBe(1); // one event, one system call
      } finally {
        t.close();
      }
    });
  }

  test("a batch over the arena's slots goes out in several calls, nothing lost", async () => {
    const t = await setup();
    try {
      const batch = new UdpBatch(() => t.tx);
      batch.useGso(findUdpSocketFd(t.tx.port));
      for (let i = 0; i < 600; i++) batch.send(packet(i, 1332), 1332, t.rx[i % 2]!.port, "127.0.0.1");
      await until(() => t.got[0]!.length + t.got[1]!.length === 600);
      expect(t.got[0]!.length + t.got[1]!.length).toBe(600);
      expect(batch.calls).toBe(3);
    } finally {
      t.close();
    }
  });
});
