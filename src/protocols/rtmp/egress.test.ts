import { describe, expect, test } from "bun:test";
import { describeAvcConfig } from "../../codecs/h264.ts";
import { Logger } from "../../core/log.ts";
import { PathTable } from "../../core/path-table.ts";
import { RtmpEgress } from "./egress.ts";
import { RtmpSession, type RtmpTransport } from "./session.ts";
import { ChunkDecoder } from "./wire/chunk-decoder.ts";
import type { ChunkHeader } from "./wire/chunk-header.ts";
import { MessageAssembler } from "./wire/message-assembler.ts";
import { VIDEO } from "./wire/message-types.ts";
import { fixture } from "../../codecs/h264.cases.ts";

/** A socket whose kernel buffer takes `budget` bytes, then nothing until more budget is given. */
class FakeTransport implements RtmpTransport {
  readonly remoteAddress = "fake:1";
  budget = Number.POSITIVE_INFINITY;
  received: Uint8Array[] = [];
  ended = false;
  write(data: Uint8Array, offset: number, length: number): number {
    const n = Math.min(length, this.budget);
    this.budget -= n;
    if (n > 0) this.received.push(data.slice(offset, offset + n));
    return n;
  }
  end(): void {
    this.ended = true;
  }
  /** Video messages received since `from` (chunk index): [timestamp, first body byte]. */
  videoMessages(): { ts: number; frameType: number; packetType: number }[] {
    const out: { ts: number; frameType: number; packetType: number }[] = [];
    const asm = new MessageAssembler({
      onMessage(h: ChunkHeader, body: Uint8Array) {
        if (h.msgTypeId === VIDEO) out.push({ ts: h.timestamp, frameType: body[0]! >> 4, packetType: body[1]! });
      },
    });
    const dec = new ChunkDecoder(asm);
    dec.setChunkSize(4096);
    const all = Buffer.concat(this.received);
    const n = dec.decode(all);
    expect(n).toBe(all.length);
    return out;
  }
}

const LIMITS = { protocol: "rtmp" as const, chunkSize: 4096, maxViewerLagMs: 1000, viewerDropMs: 5000, maxSkips: 3 };

function setup() {
  let now = 0;
  const paths = new PathTable({ graceMs: 1000, takeover: false, ringBytes: 1 << 20, ringFrames: 1024, clock: () => now });
  const stream = paths.publish("live/t", { protocol: "test", remoteAddress: "x", close() {} });
  const track = stream.ensureTrack("h264", 90000);
  const config = fixture("h264-high-720p.avcc");
  stream.setConfig(track, config, describeAvcConfig(config));
  let n = 0;
  // 30 fps, keyframe every 30 frames; the fake clock follows media time, so lag is deterministic.
  const push = (count: number) => {
    for (let i = 0; i < count; i++, n++) {
      now = n * (1000 / 30);
      stream.push(new Uint8Array(2000).fill(n & 0xff), track.id, n * 3000, n * 3000, n % 30 === 0);
    }
    stream.flush();
  };
  const viewer = () => {
    const t = new FakeTransport();
    const s = new RtmpSession(t, paths, LIMITS, new Logger("test"));
    s.phase = "ready";
    const e = new RtmpEgress(s, stream, 1);
    s.egress = e;
    return { t, e };
  };
  return { paths, stream, push, viewer };
}

describe("RtmpEgress", () => {
  test("a late joiner gets the sequence header, then the newest keyframe and what follows", () => {
    const { push, viewer } = setup();
    push(45); // keyframes at 0 and 30
    const { t } = viewer();
    push(5);
    const v = t.videoMessages();
    expect(v[0]).toMatchObject({ packetType: 0 }); // AVC sequence header
    expect(v[1]).toMatchObject({ frameType: 1, packetType: 1, ts: 1000 }); // keyframe 30 at 1000 ms
    expect(v.length).toBe(1 + 20);
  });

  test("every viewer is sent the same media bytes, encoded once", () => {
    const { push, viewer, stream } = setup();
    push(1);
    const a = viewer();
    const b = viewer();
    push(40);
    expect(Buffer.concat(a.t.received).equals(Buffer.concat(b.t.received))).toBe(true);
    const w = a.e.writer;
    expect(b.e.writer).toBe(w);
    expect(w.framesEncoded).toBe(41);
    expect(stream.readerCount).toBe(2);
  });

  test("a viewer that falls behind skips to the newest keyframe, headers first", () => {
    const { push, viewer } = setup();
    push(1);
    const { t, e } = viewer();
    t.budget = 0; // socket full
    push(100); // 3.3 s of media: beyond maxViewerLagMs
    t.budget = Number.POSITIVE_INFINITY;
    t.received = [];
    e.onDrain();
    const v = t.videoMessages();
    expect(e.cursor.skips).toBe(1);
    expect(v[0]).toMatchObject({ packetType: 0 });
    expect(v[1]).toMatchObject({ frameType: 1, ts: 3000 }); // keyframe 90
    expect(v.length).toBe(1 + 11);
  });

  test("a viewer far behind is dropped", () => {
    const { push, viewer, stream } = setup();
    push(1);
    const { t, e } = viewer();
    t.budget = 100; // stuck mid-keyframe
    push(200); // 6.6 s of media > viewerDropMs
    e.onDrain();
    expect(e.dropReason ?? "").toContain("behind");
    expect(stream.droppedViewers).toBe(1);
  });

  test("a viewer whose socket takes nothing is dropped after viewerDropMs and holds no media queue", async () => {
    const { push, viewer, stream, paths } = setup();
    push(1);
    const opts = { ...LIMITS, viewerDropMs: 50 };
    const t = new FakeTransport();
    const s = new RtmpSession(t, paths, opts, new Logger("test"));
    s.phase = "ready";
    s.egress = new RtmpEgress(s, stream, 1);
    const egress = s.egress;
    t.budget = 0;
    push(1);
    expect(egress.dropReason).toBeNull();
    await Bun.sleep(60);
    push(1);
    expect(t.ended).toBe(true);
    expect(stream.droppedViewers).toBe(1);
    expect(stream.readerCount).toBe(0);
    void viewer;
  });

  test("a viewer that keeps skipping without catching up is dropped", () => {
    const { push, viewer, stream } = setup();
    push(1);
    const { t, e } = viewer();
    for (let i = 0; i < LIMITS.maxSkips + 1; i++) {
      t.budget = 0;
      push(45); // 1.5 s behind again
      t.budget = 3000; // a trickle: never catches up
      e.onDrain();
    }
    expect(e.dropReason ?? "").toContain("skipped");
    expect(stream.droppedViewers).toBe(1);
  });
});
