import { describe, expect, test } from "bun:test";
import { mulberry32 } from "../../core/fuzz.ts";
import { ProtocolError } from "../../core/errors.ts";
import { MAX_UNSYNCED_BYTES, PacketFramer, type PacketSink } from "./sync.ts";

class Collect implements PacketSink {
  packets: number[] = [];
  onPacket(buf: Uint8Array, off: number): void {
    this.packets.push(buf[off + 1]! * 256 + buf[off + 2]!);
  }
}

/** Packets numbered by their PID bytes, with bursts of random garbage (that may hold 0x47) between some. */
function stream(seed: number): Uint8Array {
  const rng = mulberry32(seed);
  const out: number[] = [];
  for (let i = 0; i < 40; i++) {
    if (rng.below(4) === 0) for (let g = rng.below(300); g > 0; g--) out.push(rng.below(6) === 0 ? 0x47 : rng.below(256));
    const p = new Array<number>(188).fill(0);
    p[0] = 0x47;
    p[1] = i >>> 8;
    p[2] = i & 0xff;
    out.push(...p);
  }
  return Uint8Array.from(out);
}

function frame(input: Uint8Array, splits: number[]): { packets: number[]; losses: number; skipped: number } {
  const c = new Collect();
  const f = new PacketFramer(c);
  let at = 0;
  for (const s of [...splits, input.length]) {
    f.push(input.subarray(at, s));
    at = s;
  }
  f.end();
  return { packets: c.packets, losses: f.syncLosses, skipped: f.skippedBytes };
}

describe("PacketFramer", () => {
  test("the same packets whatever the chunking, garbage included", () => {
    for (let seed = 1; seed <= 20; seed++) {
      const input = stream(seed);
      const whole = frame(input, []);
      expect(whole.packets.length).toBeGreaterThan(30);
      expect(frame(input, Array.from({ length: input.length - 1 }, (_, i) => i + 1))).toEqual(whole);
      expect(frame(input, Array.from({ length: Math.floor(input.length / 1316) }, (_, i) => (i + 1) * 1316))).toEqual(whole);
    }
  });

  test("clean input: every packet, no loss", () => {
    const input = new Uint8Array(188 * 7);
    for (let i = 0; i < 7; i++) input[i * 188] = 0x47;
    expect(frame(input, [100, 500])).toEqual({ packets: [0, 0, 0, 0, 0, 0, 0], losses: 0, skipped: 0 });
  });

  test("no packet boundary in MAX_UNSYNCED_BYTES: not a transport stream", () => {
    const f = new PacketFramer(new Collect());
    let err: unknown;
    try {
      for (let i = 0; i <= MAX_UNSYNCED_BYTES / 1316 + 1; i++) f.push(new Uint8Array(1316).fill(0x11));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ProtocolError);
    expect((err as ProtocolError).code).toBe("no-sync");
  });
});
