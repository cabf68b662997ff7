import { describe, expect, test } from "bun:test";
import { concatBytes } from "../../core/bytes.ts";
import { Logger } from "../../core/log.ts";
import { PathTable } from "../../core/path-table.ts";
import { RtmpSession, type RtmpTransport } from "./session.ts";
import { asc, avcc, cmd, connect, media, publishSession } from "./session.cases.ts";
import * as T from "./wire/message-types.ts";

const OPTS = { protocol: "rtmp" as const, chunkSize: 4096, maxViewerLagMs: 3000, viewerDropMs: 10000, maxSkips: 5 };

function setup() {
  const paths = new PathTable({ graceMs: 1000, takeover: false, ringBytes: 1 << 20, ringFrames: 256 });
  let ended = false;
  const transport: RtmpTransport = { remoteAddress: "t:1", write: (_d, _o, n) => n, end: () => void (ended = true) };
  const session = new RtmpSession(transport, paths, OPTS, new Logger("test"));
  return { paths, session, ended: () => ended };
}

describe("RtmpSession publishing", () => {
  test("a whole publish session: tracks, configurations and frames reach the stream", () => {
    const { paths, session, ended } = setup();
    session.feed(publishSession);
    const s = paths.get("live/a")!;
    expect(s.tracks.map((t) => t.codec)).toEqual(["h264", "aac"]);
    expect(s.tracks[0]!.config).toEqual(avcc);
    expect(s.tracks[1]!.config).toEqual(asc);
    expect(s.tracks[0]!.info).toMatchObject({ width: 320, height: 240 });
    expect(s.tracks[0]!.frames).toBe(2);
    expect(s.tracks[1]!.frames).toBe(1);
    const key = s.ring.frame(s.ring.lastKey);
    expect(key.keyframe).toBe(true);
    expect(key.payload.length).toBe(6000); // the 6,000-byte keyframe, assembled in the ring from two chunks
    expect(key.payload[4]).toBe(0x65);
    // deleteStream ended the publishing, not the connection
    expect(s.state).toBe("waiting");
    expect(ended()).toBe(false);
    expect(session.phase).toBe("ready");
  });

  test("the same bytes one at a time give the same stream", () => {
    const { paths, session } = setup();
    for (let i = 0; i < publishSession.length; i++) session.feed(publishSession.subarray(i, i + 1));
    const s = paths.get("live/a")!;
    expect(s.tracks[0]!.frames).toBe(2);
    expect(s.ring.frame(s.ring.lastKey).payload.length).toBe(6000);
  });

  test("1- and 2-byte NAL lengths are rewritten to the common 4-byte form", () => {
    const { paths, session } = setup();
    const record = avcc.slice();
    record[4] = 0xfc | 1; // lengthSizeMinusOne = 1
    const nal = Uint8Array.of(0x65, 1, 2, 3, 4);
    const frame2 = concatBytes([Uint8Array.of(0x17, 1, 0, 0, 0), Uint8Array.of(0, nal.length), nal, Uint8Array.of(0, 2, 0x06, 9)]);
    session.feed(
      concatBytes([
        ...connect.slice(0, 3),
        cmd("publish", 5, null, 1, "b", "live"),
        media(T.VIDEO, 0, concatBytes([Uint8Array.of(0x17, 0, 0, 0, 0), record])),
        media(T.VIDEO, 0, frame2),
      ]),
    );
    const s = paths.get("live/b")!;
    expect(s.tracks[0]!.config![4]! & 3).toBe(3);
    expect([...s.ring.frame(s.ring.lastKey).payload]).toEqual([0, 0, 0, 5, 0x65, 1, 2, 3, 4, 0, 0, 0, 2, 0x06, 9]);
  });

  test("a second publisher on a live path is refused, the first keeps publishing", () => {
    const { paths, session } = setup();
    session.feed(publishSession.subarray(0, publishSession.length - 40)); // without the deleteStream
    const refused: Uint8Array[] = [];
    const s2 = new RtmpSession({ remoteAddress: "t:2", write: (d, o, n) => (refused.push(d.slice(o, o + n)), n), end() {} }, paths, OPTS, new Logger("t"));
    s2.feed(concatBytes([...connect.slice(0, 3), cmd("publish", 5, null, 1, "a", "live")]));
    expect(Buffer.concat(refused).includes("NetStream.Publish.BadName")).toBe(true);
    expect(paths.get("live/a")!.publisher?.remoteAddress).toBe("t:1");
  });

  test("with takeover configured, a second publisher replaces the first, whose connection ends", () => {
    const paths = new PathTable({ graceMs: 1000, takeover: true, ringBytes: 1 << 20, ringFrames: 256 });
    const ended: string[] = [];
    const open = (name: string) =>
      new RtmpSession({ remoteAddress: name, write: (_d, _o, n) => n, end: () => void ended.push(name) }, paths, OPTS, new Logger("t"));
    const first = open("t:1");
    first.feed(publishSession.subarray(0, publishSession.length - 40));
    const second = open("t:2");
    second.feed(concatBytes([...connect.slice(0, 3), cmd("publish", 5, null, 1, "a", "live")]));
    const s = paths.get("live/a")!;
    expect(s.publisher?.remoteAddress).toBe("t:2");
    expect(s.state).toBe("live");
    expect(ended).toEqual(["t:1"]);
    expect(first.phase).toBe("closed");
  });
});
