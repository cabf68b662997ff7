import { describe, expect, test } from "bun:test";
import type { Frame } from "./frame.ts";
import { PathBusyError, PathTable, isValidPath } from "./path-table.ts";
import type { Publisher, StreamState, Writer } from "./stream.ts";

const OPTS = { graceMs: 50, takeover: false, ringBytes: 1 << 16, ringFrames: 256 };

function publisher(name = "p"): Publisher & { closed: string | null } {
  return {
    protocol: "test",
    remoteAddress: name,
    closed: null,
    close(reason: string) {
      this.closed = reason;
    },
  };
}

class RecordingWriter implements Writer {
  readonly format = "rec";
  frames: { track: number; dts: number; pts: number }[] = [];
  states: StreamState[] = [];
  flushes = 0;
  onFrame(f: Frame): void {
    this.frames.push({ track: f.track, dts: f.dts, pts: f.pts });
  }
  flush(): void {
    this.flushes++;
  }
  onTracks(): void {}
  onState(s: StreamState): void {
    this.states.push(s);
  }
}

describe("Stream timestamps", () => {
  test("a returning publisher continues after the last frame, tracks in sync", () => {
    const table = new PathTable(OPTS);
    const p1 = publisher();
    const s = table.publish("live/a", p1);
    const v = s.ensureTrack("h264", 90000);
    const a = s.ensureTrack("aac", 48000);
    const w = s.writer("rec", () => new RecordingWriter());
    for (let i = 0; i < 10; i++) {
      s.push(new Uint8Array(4), v.id, i * 3000, i * 3000 + 3000, i === 0);
      s.push(new Uint8Array(4), a.id, i * 1600, i * 1600, true);
    }
    table.unpublish(s, p1);
    expect(s.state).toBe("waiting");
    const p2 = publisher();
    expect(table.publish("live/a", p2)).toBe(s);
    expect(s.ensureTrack("h264", 90000)).toBe(v);
    s.push(new Uint8Array(4), v.id, 0, 3000, true);
    s.push(new Uint8Array(4), a.id, 0, 0, true);
    const vf = w.frames.filter((f) => f.track === v.id);
    const af = w.frames.filter((f) => f.track === a.id);
    // last video dts 27000 + 3000 = 30000 (1/3 s); audio ended at 16000/48000 = 1/3 s too.
    expect(vf.at(-1)!.dts).toBe(30000);
    expect(vf.at(-1)!.pts - vf.at(-1)!.dts).toBe(3000);
    expect(af.at(-1)!.dts).toBe(16000);
  });

  test("dts is strictly increasing per track and jumps are re-anchored", () => {
    const table = new PathTable(OPTS);
    const s = table.publish("x", publisher());
    const v = s.ensureTrack("h264", 90000);
    const w = s.writer("rec", () => new RecordingWriter());
    const input = [0, 3000, 3000, 6000, 9_000_000, 9_003_000, 100, 3100];
    for (const d of input) s.push(new Uint8Array(1), v.id, d, d, true);
    const out = w.frames.map((f) => f.dts);
    for (let i = 1; i < out.length; i++) expect(out[i]!).toBeGreaterThan(out[i - 1]!);
    expect(out.at(-1)! - out[0]!).toBeLessThan(90000);
  });
});

describe("PathTable", () => {
  test("a second publisher is refused, or takes over when configured", () => {
    const t = new PathTable(OPTS);
    const p1 = publisher("1");
    t.publish("live/a", p1);
    expect(() => t.publish("live/a", publisher("2"))).toThrow(PathBusyError);
    const t2 = new PathTable({ ...OPTS, takeover: true });
    const q1 = publisher("1");
    const s = t2.publish("live/a", q1);
    const q2 = publisher("2");
    t2.publish("live/a", q2);
    expect(q1.closed).toContain("taken over");
    t2.unpublish(s, q1); // the old session's close handler: must not start a grace period
    expect(s.state).toBe("live");
    expect(s.publisher).toBe(q2);
  });

  test("after the grace period readers get end-of-stream and the path is free", async () => {
    const t = new PathTable(OPTS);
    const p = publisher();
    const s = t.publish("live/a", p);
    const w = s.writer("rec", () => new RecordingWriter());
    t.unpublish(s, p);
    expect(t.get("live/a")).toBe(s);
    await Bun.sleep(OPTS.graceMs + 30);
    expect(w.states).toEqual(["waiting", "ended"]);
    expect(t.get("live/a")).toBeUndefined();
  });

  test("a publisher back within the grace period keeps the stream", async () => {
    const t = new PathTable(OPTS);
    const p = publisher();
    const s = t.publish("live/a", p);
    t.unpublish(s, p);
    t.publish("live/a", publisher());
    await Bun.sleep(OPTS.graceMs + 30);
    expect(t.get("live/a")).toBe(s);
    expect(s.state).toBe("live");
  });

  test("readers wait on an idle stream that goes with its last reader", () => {
    const t = new PathTable(OPTS);
    const s = t.read("live/later");
    s.addReader("rtmp");
    expect(s.state).toBe("idle");
    expect(t.publish("live/later", publisher())).toBe(s);
    const idle = t.read("live/none");
    idle.addReader("rtmp");
    idle.removeReader("rtmp");
    t.readerLeft(idle);
    expect(t.get("live/none")).toBeUndefined();
  });

  test("path validation", () => {
    for (const ok of ["live/cam1", "a", "a/b/c", "x-y_z.1"]) expect(isValidPath(ok)).toBe(true);
    for (const bad of ["", "/a", "a/", "a//b", "a/../b", "a b", "a?b", "x".repeat(300)]) expect(isValidPath(bad)).toBe(false);
  });
});

describe("Stream flush coalescing", () => {
  test("audio-only batches wait for video or coalesceMs; video goes at once", async () => {
    const t = new PathTable({ ...OPTS, coalesceMs: 30 });
    const s = t.publish("c", publisher());
    const v = s.ensureTrack("h264", 90000);
    const a = s.ensureTrack("aac", 48000);
    const w = s.writer("rec", () => new RecordingWriter());
    s.push(new Uint8Array(1), a.id, 0, 0, true);
    s.flush();
    expect(w.flushes).toBe(0); // waiting for video
    s.push(new Uint8Array(1), v.id, 0, 0, true);
    s.flush();
    expect(w.flushes).toBe(1); // the audio rode along
    s.push(new Uint8Array(1), a.id, 1024, 1024, true);
    s.flush();
    expect(w.flushes).toBe(1);
    await Bun.sleep(50);
    expect(w.flushes).toBe(2); // no video came: written after coalesceMs
    s.flush();
    expect(w.flushes).toBe(2); // nothing new, nothing written
  });

  test("coalesceMs 0 writes every batch", () => {
    const t = new PathTable({ ...OPTS, coalesceMs: 0 });
    const s = t.publish("c", publisher());
    s.ensureTrack("h264", 90000);
    const a = s.ensureTrack("aac", 48000);
    const w = s.writer("rec", () => new RecordingWriter());
    s.push(new Uint8Array(1), a.id, 0, 0, true);
    s.flush();
    expect(w.flushes).toBe(1);
  });
});

describe("PathTable pull sources", () => {
  test("a source starts on the first reader and stops after the last one leaves (with a linger)", async () => {
    const events: string[] = [];
    let t: PathTable;
    const source = {
      start(path: string) {
        if (path !== "pull/a") return null;
        events.push("start");
        const p = publisher("source");
        p.close = () => {
          t.unpublish(t.get(path)!, p);
        };
        t.publish(path, p);
        return { stop: (reason: string) => (events.push(`stop: ${reason}`), p.close("")) };
      },
    };
    t = new PathTable({ ...OPTS, sources: [source], sourceLingerMs: 30 });
    const s = t.read("pull/a");
    s.addReader("rtmp");
    expect(events).toEqual(["start"]);
    expect(s.state).toBe("live");
    const s2 = t.read("pull/a"); // a second reader: no second pull
    s2.addReader("srt");
    expect(events).toEqual(["start"]);
    s.removeReader("rtmp");
    t.readerLeft(s);
    s.removeReader("srt");
    t.readerLeft(s);
    await Bun.sleep(10);
    t.read("pull/a").addReader("rtmp"); // back within the linger: keeps pulling
    s.removeReader("rtmp");
    t.readerLeft(s);
    await Bun.sleep(60);
    expect(events).toEqual(["start", "stop: no readers left"]);
    expect(t.get("pull/a")).toBeUndefined();
    expect(t.read("pull/other").publisher).toBeNull(); // no source knows it: readers wait
  });
});
