/**
 * The relay without sockets: an origin PathTable, a RelayEgress writing into an in-memory transport,
 * and a downstream PathTable fed by a RelayIngest through the same MessageReader the listener uses.
 */
import { describe, expect, test } from "bun:test";
import { fuzz } from "../../core/fuzz.ts";
import { PathTable } from "../../core/path-table.ts";
import type { Publisher, Stream } from "../../core/stream.ts";
import { RelayEgress, type RelayTransport } from "./egress.ts";
import { target as ingestFuzz } from "./ingest.fuzz.ts";
import { handshake } from "./handshake.cases.ts";
import { RelayIngest, type RelayIngestEvents } from "./ingest.ts";
import { MessageReader, RelayClientHandshake, RelayServerHandshake } from "./session.ts";
import { encodeAccept, encodeHello, encodeState, MsgType, RelayMessage } from "./wire/message.ts";

const SECRET = "unit-test-secret-0123456789";
const PATH = "live/a";
const avcC = Uint8Array.from([1, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 4, 0x67, 0x64, 0, 0x1f, 1, 0, 2, 0x68, 0xee]);
const asc = Uint8Array.from([0x12, 0x10]);

const table = () => new PathTable({ graceMs: 60_000, takeover: false, ringBytes: 1 << 16, ringFrames: 256 });

class FakePublisher implements Publisher {
  readonly protocol = "rtmp";
  readonly remoteAddress = "test";
  close(): void {}
}

/** Collects what the egress sends; `full` refuses media (the connection's queue is full). */
class FakeTransport implements RelayTransport {
  chunks: Uint8Array[] = [];
  full = false;
  closed: string | null = null;
  send(bytes: Uint8Array, control?: boolean): boolean {
    if (this.full && !control) return false;
    this.chunks.push(bytes.slice());
    return true;
  }
  close(reason: string): void {
    this.closed = reason;
  }
  take(): Uint8Array[] {
    const c = this.chunks;
    this.chunks = [];
    return c;
  }
}

function origin(): { paths: PathTable; stream: Stream } {
  const paths = table();
  const stream = paths.publish(PATH, new FakePublisher());
  const v = stream.ensureTrack("h264", 90_000);
  stream.setConfig(v, avcC, { codecString: "avc1.64001f", width: 640, height: 360 });
  const a = stream.ensureTrack("aac", 48_000);
  stream.setConfig(a, asc, { sampleRate: 48_000, channels: 2 });
  return { paths, stream };
}

/** Frame n of a 30 fps stream with a keyframe every `gop` frames, plus one audio frame. */
function pushFrames(stream: Stream, from: number, to: number, gop = 10, ingestMs?: (n: number) => number): void {
  for (let n = from; n < to; n++) {
    stream.push(Uint8Array.from([0, 0, 0, 2, n % 30 === 0 ? 0x65 : 0x41, n & 0xff]), 0, n * 3000, n * 3000, n % gop === 0, ingestMs?.(n));
    stream.push(Uint8Array.from([0x21, n & 0xff]), 1, n * 1600, n * 1600, true, ingestMs?.(n));
    stream.flushNow();
  }
}

function downstream() {
  const paths = table();
  paths.read(PATH); // a local reader waits on the idle stream, as the PathTable does before a pull
  const ingest = new RelayIngest(paths, PATH, "B", SECRET, { accepted() {}, refused() {}, closed() {} });
  const reader = new MessageReader();
  const feed = (chunks: Uint8Array[]) => {
    for (const c of chunks) reader.push(c, (m) => ingest.onMessage(m));
    ingest.flush();
  };
  return { paths, ingest, feed };
}

const limits = { maxViewerLagMs: 3000, viewerDropMs: 10_000 };

describe("relay egress -> ingest", () => {
  test("frames arrive unchanged, with the origin's ingest time, tracks and configs", () => {
    const o = origin();
    pushFrames(o.stream, 0, 5, 10, (n) => 1_000_000 + n);
    const t = new FakeTransport();
    const egress = new RelayEgress(o.stream, o.paths, t, limits, "B");
    const d = downstream();
    handshake(d.ingest, "A", SECRET);
    d.feed(t.take());
    const s = d.paths.get(PATH)!;
    expect(s.state).toBe("live");
    expect(s.publisher).toBe(d.ingest);
    expect(s.tracks.map((x) => [x.codec, x.clockRate, [...x.config!]])).toEqual([["h264", 90_000, [...avcC]], ["aac", 48_000, [...asc]]]);
    pushFrames(o.stream, 5, 12, 10, (n) => 1_000_000 + n);
    d.feed(t.take());
    const frames = [];
    for (let seq = s.ring.tail; seq < s.ring.head; seq++) frames.push(s.ring.frame(seq));
    const video = frames.filter((f) => f.track === 0);
    expect(video.map((f) => f.dts)).toEqual(Array.from({ length: 12 }, (_, n) => n * 3000));
    expect(video.map((f) => f.keyframe)).toEqual(Array.from({ length: 12 }, (_, n) => n % 10 === 0));
    expect(video.map((f) => f.ingestMs)).toEqual(Array.from({ length: 12 }, (_, n) => 1_000_000 + n));
    expect([...video[11]!.payload]).toEqual([0, 0, 0, 2, 0x41, 11]);
    expect(frames.filter((f) => f.track === 1)).toHaveLength(12);
    expect(o.stream.readers.get("relay")).toBe(1);
    egress.detach();
    expect(o.stream.readers.get("relay")).toBeUndefined();
    expect(o.stream.writerFormats).not.toContain("relay");
  });

  test("one writer, the same bytes for every downstream", () => {
    const o = origin();
    pushFrames(o.stream, 0, 3);
    const [t1, t2] = [new FakeTransport(), new FakeTransport()];
    new RelayEgress(o.stream, o.paths, t1, limits, "B");
    new RelayEgress(o.stream, o.paths, t2, limits, "C");
    expect(o.stream.writerFormats.filter((f) => f === "relay")).toHaveLength(1);
    t1.take();
    t2.take();
    pushFrames(o.stream, 3, 6);
    expect(t1.take()).toEqual(t2.take());
  });

  test("a downstream that takes nothing skips to the newest keyframe, then is dropped", () => {
    const o = origin();
    pushFrames(o.stream, 0, 1, 10, () => 0);
    const t = new FakeTransport();
    const egress = new RelayEgress(o.stream, o.paths, t, { maxViewerLagMs: 100, viewerDropMs: 50 }, "B");
    t.full = true;
    pushFrames(o.stream, 1, 25, 10, (n) => n * 33); // 800 ms of media, keyframes at 10 and 20
    t.full = false;
    egress.onDrain();
    const d = downstream();
    handshake(d.ingest, "A", SECRET);
    d.feed(t.take());
    expect(o.stream.viewerSkips).toBe(1);
    const s = d.paths.get(PATH)!;
    const video = [];
    for (let seq = s.ring.tail; seq < s.ring.head; seq++) if (s.ring.frame(seq).track === 0) video.push(s.ring.frame(seq).dts);
    expect(video[0]).toBe(0);
    expect(video[1]).toBe(20 * 3000); // after frame 0 it went on from the newest keyframe
    t.full = true;
    pushFrames(o.stream, 25, 26);
    const blockedAt = performance.now();
    while (performance.now() - blockedAt < 60) {} // viewerDropMs passes with the socket full
    pushFrames(o.stream, 26, 27);
    expect(t.closed).toContain("took nothing");
    expect(o.stream.droppedViewers).toBe(1);
    expect(o.stream.readers.get("relay")).toBeUndefined();
  });

  test("after a re-attach, frames the readers had are skipped: monotonic, from a new keyframe", () => {
    const o = origin();
    pushFrames(o.stream, 0, 15);
    const d = downstream();
    const t1 = new FakeTransport();
    const e1 = new RelayEgress(o.stream, o.paths, t1, limits, "B");
    handshake(d.ingest, "A", SECRET);
    d.feed(t1.take()); // frames 10..14 (from the newest keyframe)
    e1.detach();
    d.ingest.disconnected();
    const s = d.paths.get(PATH)!;
    expect(s.state).toBe("waiting");
    pushFrames(o.stream, 15, 18); // lost in the gap
    const t2 = new FakeTransport();
    new RelayEgress(o.stream, o.paths, t2, limits, "B"); // the new upstream starts at keyframe 10 again
    handshake(d.ingest, "A", SECRET);
    d.feed(t2.take());
    expect(s.state).toBe("live");
    pushFrames(o.stream, 18, 25);
    d.feed(t2.take());
    expect((d.ingest.stats() as { lastReattachMs: number }).lastReattachMs).toBeGreaterThanOrEqual(0);
    const video: number[] = [];
    const numbers: number[] = [];
    for (let seq = s.ring.tail; seq < s.ring.head; seq++) {
      const f = s.ring.frame(seq);
      if (f.track !== 0) continue;
      video.push(f.dts);
      numbers.push(f.payload[5]!);
    }
    for (let i = 1; i < video.length; i++) expect(video[i]!).toBeGreaterThan(video[i - 1]!);
    // 10..14, then nothing until the first keyframe past 14 (20): the repeated 10..14 and the
    // undecodable 15..19 (their reference frames were lost in the gap) are dropped. The stream
    // continues the timestamps where they stopped (the publisher-reconnect epoch): 20 follows 14.
    expect(numbers).toEqual([10, 11, 12, 13, 14, 20, 21, 22, 23, 24]);
    expect(video[5]! - video[4]!).toBe(3000);
    const audio: number[] = [];
    for (let seq = s.ring.tail; seq < s.ring.head; seq++) if (s.ring.frame(seq).track === 1) audio.push(s.ring.frame(seq).dts);
    for (let i = 1; i < audio.length; i++) expect(audio[i]!).toBeGreaterThan(audio[i - 1]!);
    expect(d.ingest.framesSkipped).toBeGreaterThan(0);
  });
});

describe("relay handshake", () => {
  const ingest = (secret: string | undefined, events: Partial<RelayIngestEvents> = {}) =>
    new RelayIngest(table(), PATH, "B", secret, { accepted() {}, refused() {}, closed() {}, ...events });

  test("the right secret both ways: accepted, and the ingest takes media only then", () => {
    const accepted: string[] = [];
    const i = ingest(SECRET, { accepted: (node) => void accepted.push(node) });
    const frame = new RelayMessage();
    new MessageReader().push(encodeState("live"), (m) => Object.assign(frame, m));
    i.connected({ send() {}, close() {} }, "a:1", "A");
    expect(() => i.onMessage(frame)).toThrow("before the upstream proved the cluster secret");
    expect(handshake(i, "A", SECRET).refused).toBeNull();
    expect(accepted).toEqual(["A"]);
    i.onMessage(frame); // STATE live after ACCEPT: published
    expect(i.published).toBe(true);
  });

  test("a downstream with a wrong or missing secret is refused, with a clear reason", () => {
    expect(handshake(ingest("wrong-secret-0123456789"), "A", SECRET).refused).toContain("authentication failed");
    expect(handshake(ingest(undefined), "A", SECRET).refused).toContain("wrong or missing cluster.secret");
    expect(handshake(ingest(SECRET), "A", undefined).refused).toContain("no cluster.secret");
  });

  test("an upstream without the secret cannot pose as a holder: its ACCEPT is refused by the downstream", () => {
    // An impostor that accepts anything: it answers AUTH with an ACCEPT it cannot sign.
    const i = ingest(SECRET);
    let auth: Uint8Array | null = null;
    i.connected({ send: (b) => void (auth = b), close() {} }, "x:1", "X");
    new MessageReader().push(encodeHello(new Uint8Array(16), "X"), (m) => i.onMessage(m));
    expect(auth).not.toBeNull();
    const accept = encodeAccept("X", 0, new Uint8Array(32));
    expect(() => new MessageReader().push(accept, (m) => i.onMessage(m))).toThrow("did not prove the cluster secret");
    // An ACCEPT signed for another downstream's AUTH (another client nonce) fails the same way.
    const replayed = new RelayServerHandshake("A", SECRET, PATH);
    let reply: Uint8Array | null = null;
    const late = ingest(SECRET);
    late.connected({ send() {}, close() {} }, "a:1", "A");
    new MessageReader().push(replayed.hello(), (m) => late.onMessage(m));
    const fresh = ingest(SECRET);
    let freshAuth: Uint8Array | null = null;
    fresh.connected({ send: (b) => void (freshAuth = b), close() {} }, "a:2", "A");
    new MessageReader().push(replayed.hello(), (m) => fresh.onMessage(m));
    new MessageReader().push(freshAuth!, (m) => void (reply = replayed.onAuth(m, 0, () => false).reply));
    expect(() => new MessageReader().push(reply!, (m) => late.onMessage(m))).toThrow("did not prove the cluster secret");
  });

  test("the node that answers must be the one dialled", () => {
    const i = ingest(SECRET);
    i.connected({ send() {}, close() {} }, "a:1", "A");
    expect(() => new MessageReader().push(encodeHello(new Uint8Array(16), "Z"), (m) => i.onMessage(m))).toThrow("dialled node A, node Z answered");
  });

  test("a MAC for another path, or replayed on another connection, is refused", () => {
    const client = new RelayClientHandshake(SECRET, "live/other", "B", "A");
    const server = new RelayServerHandshake("A", SECRET, PATH);
    const hello = new RelayMessage();
    new MessageReader().push(server.hello(), (m) => Object.assign(hello, m));
    const auth = new RelayMessage();
    new MessageReader().push(client.onHello(hello), (m) => Object.assign(auth, m));
    expect(server.onAuth(auth, 0, () => false).refused).not.toBeNull(); // signed for live/other
    const replayTo = new RelayServerHandshake("A", SECRET, "live/other"); // a fresh nonce
    expect(replayTo.onAuth(auth, 0, () => false).refused).not.toBeNull();
  });

  test("a node this one pulls from is refused (a loop)", () => {
    const server = new RelayServerHandshake("A", SECRET, PATH);
    const client = new RelayClientHandshake(SECRET, PATH, "B", "A");
    const hello = new RelayMessage();
    new MessageReader().push(server.hello(), (m) => Object.assign(hello, m));
    const auth = new RelayMessage();
    new MessageReader().push(client.onHello(hello), (m) => Object.assign(auth, m));
    const r = server.onAuth(auth, 1, (node) => node === "B");
    expect(r.refused).toContain("loop");
    new MessageReader().push(r.reply, (m) => expect(m.type).toBe(MsgType.Refuse));
  });
});

test("fuzz relay/ingest: 2,000 mutated upstream conversations, nothing but ProtocolError", () => {
  expect(ingestFuzz.seeds.map((s) => ingestFuzz.run(s))).toEqual([28, 18]); // the seeds carry frames, through a re-attach
  const r = fuzz(ingestFuzz, { iterations: 2000, seed: 0x7e1b });
  expect(r.crashes.map((c) => String(c.error))).toEqual([]);
  expect(r.hangs).toEqual([]);
});
