import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Socket, TCPSocketListener } from "bun";
import { RtmpClient, RtmpStatusError } from "./client.ts";
import { decodeCommand, decodeData, encodeCommand, onStatus } from "./wire/amf0.ts";
import { type ChunkHeader, MessageReader, encodeMessage } from "./wire/chunk.ts";
import * as ctl from "./wire/control.ts";
import { ServerHandshake } from "./wire/handshake.ts";
import * as T from "./wire/message-types.ts";

interface Received {
  typeId: number;
  timestamp: number;
  streamId: number;
  body: Uint8Array;
}

interface Conn {
  handshake: ServerHandshake;
  reader: MessageReader;
  pending: Uint8Array;
  received: Received[];
  commands: string[];
  acks: number[];
  pings: number[];
}

/** A minimal RTMP server built from wire/ only: enough of §7.2 to publish to and play from. */
class FakeServer {
  readonly conns: Conn[] = [];
  readonly listener: TCPSocketListener<Conn>;
  /** Media sent to a player after Play.Start: [typeId, timestamp, body]. */
  playMedia: [number, number, Uint8Array][] = [];
  windowAckSize = 5000;

  constructor(tls?: { cert: string; key: string }) {
    this.listener = Bun.listen<Conn>({
      hostname: "127.0.0.1",
      port: 0,
      tls,
      socket: {
        open: (s) => {
          const conn: Conn = {
            handshake: new ServerHandshake(),
            reader: new MessageReader({ onMessage: (h, body) => this.message(s, conn, h, body) }),
            pending: new Uint8Array(0),
            received: [],
            commands: [],
            acks: [],
            pings: [],
          };
          s.data = conn;
          this.conns.push(conn);
        },
        data: (s, data) => {
          const c = s.data;
          const buf = new Uint8Array(c.pending.length + data.length);
          buf.set(c.pending);
          buf.set(data, c.pending.length);
          let pos = 0;
          if (!c.handshake.done) {
            pos = c.handshake.feed(buf);
            const out = c.handshake.takeOutput();
            if (out) s.write(out);
          }
          if (c.handshake.done) pos += c.reader.decode(buf.subarray(pos));
          c.pending = buf.slice(pos);
        },
      },
    });
  }

  url(path: string, scheme = "rtmp"): string {
    return `${scheme}://127.0.0.1:${this.listener.port}/${path}`;
  }

  private send(s: Socket<Conn>, csid: number, typeId: number, ts: number, streamId: number, body: Uint8Array): void {
    s.write(encodeMessage(csid, ts, typeId, streamId, 128, body));
  }

  private reply(s: Socket<Conn>, name: string, tx: number, streamId: number, ...args: unknown[]): void {
    this.send(s, 3, T.COMMAND_AMF0, 0, streamId, encodeCommand(name, tx, null, ...args));
  }

  private message(s: Socket<Conn>, c: Conn, h: ChunkHeader, body: Uint8Array): void {
    if (h.msgTypeId === T.ACKNOWLEDGEMENT) c.acks.push(ctl.decodeAck(body));
    if (h.msgTypeId === T.USER_CONTROL) c.pings.push(ctl.decodeUserControl(body).value);
    if (h.msgTypeId !== T.COMMAND_AMF0) {
      c.received.push({ typeId: h.msgTypeId, timestamp: h.timestamp, streamId: h.msgStreamId, body: body.slice() });
      return;
    }
    const cmd = decodeCommand(body);
    c.commands.push(cmd.name);
    const key = String(cmd.args[0]);
    switch (cmd.name) {
      case "connect":
        s.write(ctl.controlMessage(ctl.encodeWindowAckSizeTo, this.windowAckSize));
        s.write(ctl.controlMessage(ctl.encodeSetPeerBandwidthTo, this.windowAckSize, T.PeerBandwidthLimit.Dynamic));
        s.write(ctl.controlMessage(ctl.encodeUserControlTo, T.UserControl.PingRequest, 777));
        return this.reply(s, "_result", cmd.transactionId, 0, onStatus("status", "NetConnection.Connect.Success", String(cmd.commandObject?.app)));
      case "createStream":
        return this.reply(s, "_result", cmd.transactionId, 0, 1);
      case "publish":
        if (key === "taken") return this.reply(s, "onStatus", 0, 1, onStatus("error", "NetStream.Publish.BadName", "taken"));
        return this.reply(s, "onStatus", 0, 1, onStatus("status", "NetStream.Publish.Start", key));
      case "play":
        if (key === "missing") return this.reply(s, "onStatus", 0, 1, onStatus("error", "NetStream.Play.StreamNotFound", key));
        s.write(ctl.controlMessage(ctl.encodeSetChunkSizeTo, 1000)); // the client must apply it at once
        s.write(ctl.controlMessage(ctl.encodeUserControlTo, T.UserControl.StreamBegin, 1));
        this.reply(s, "onStatus", 0, 1, onStatus("status", "NetStream.Play.Start", key));
        for (const [typeId, ts, b] of this.playMedia) s.write(encodeMessage(6, ts, typeId, 1, 1000, b));
        return;
      default:
        if (cmd.transactionId) this.reply(s, "_result", cmd.transactionId, 0, null);
    }
  }
}

const server = new FakeServer();
afterAll(() => server.listener.stop(true));

const until = async (cond: () => boolean, what: string, timeoutMs = 5000) => {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(2);
  }
};

const pattern = (seed: number, n: number) => Uint8Array.from({ length: n }, (_, i) => (seed + i * 13) & 0xff);

describe("RtmpClient against a fake server", () => {
  test("publish: connect with a digest handshake, the publish sequence, then media", async () => {
    const conns = server.conns.length;
    const client = await RtmpClient.connect(server.url("live/cam1"));
    expect(client.app).toBe("live");
    expect(client.tcUrl).toBe(`rtmp://127.0.0.1:${server.listener.port}/live`);
    await client.publish();
    const conn = server.conns[conns]!;
    expect(conn.handshake.digest).toBe(true);
    expect(conn.commands).toEqual(["connect", "releaseStream", "FCPublish", "createStream", "publish"]);
    expect(conn.pings).toEqual([777]); // PingResponse to the server's PingRequest

    client.sendData("@setDataFrame", "onMetaData", { width: 640 });
    const big = pattern(1, 100_000);
    client.sendVideo(0, big);
    client.sendAudio(23, pattern(2, 300));
    client.sendVideo(0x1000000, pattern(3, 5000)); // extended timestamp
    await until(() => conn.received.filter((m) => m.typeId !== T.WINDOW_ACK_SIZE).length >= 5, "media");
    const media = conn.received.filter((m) => m.typeId >= T.AUDIO);
    expect(media.map((m) => [m.typeId, m.timestamp, m.streamId, m.body.length])).toEqual([
      [T.DATA_AMF0, 0, 1, media[0]!.body.length],
      [T.VIDEO, 0, 1, 100_000],
      [T.AUDIO, 23, 1, 300],
      [T.VIDEO, 0x1000000, 1, 5000],
    ]);
    expect(decodeData(media[0]!.body)).toEqual({ name: "@setDataFrame", args: ["onMetaData", { width: 640 }] });
    expect(media[1]!.body).toEqual(big);
    client.close();
    await until(() => conn.commands.includes("deleteStream"), "deleteStream");
  });

  test("publish refused: rejects with the status code", async () => {
    const client = await RtmpClient.connect(server.url("live"), { digestHandshake: false });
    expect(server.conns.at(-1)!.handshake.digest).toBe(false);
    const error = await client.publish("taken").catch((e) => e);
    expect(error).toBeInstanceOf(RtmpStatusError);
    expect(error.code).toBe("NetStream.Publish.BadName");
    client.close();
  });

  test("play: media arrives through onMessage and acknowledgements follow the server's window", async () => {
    server.playMedia = [
      [T.VIDEO, 0, pattern(4, 6000)],
      [T.AUDIO, 10, pattern(5, 200)],
      [T.VIDEO, 0xfffffff0, pattern(6, 3000)],
    ];
    const got: [number, number, Uint8Array][] = [];
    const client = await RtmpClient.connect(server.url("live/cam1"), {
      onMessage: (typeId, ts, body) => typeId !== T.COMMAND_AMF0 && got.push([typeId, ts, body.slice()]),
    });
    await client.play();
    await until(() => got.length >= 3, "media");
    expect(got).toEqual(server.playMedia);
    const conn = server.conns.at(-1)!;
    await until(() => conn.acks.length > 0, "an acknowledgement");
    expect(conn.acks[0]!).toBeGreaterThanOrEqual(server.windowAckSize);
    client.close();
    const other = await RtmpClient.connect(server.url("live"));
    expect(await other.play("missing").catch((e) => e.code)).toBe("NetStream.Play.StreamNotFound");
    other.close();
  });

  test("backpressure: what the socket refuses is queued, counted and sent on drain, in order", async () => {
    const client = await RtmpClient.connect(server.url("live/bp"));
    await client.publish();
    const conn = server.conns.at(-1)!;
    const frame = new Uint8Array(1 << 20);
    let peak = 0;
    for (let i = 0; i < 48; i++) {
      frame[0] = i;
      client.sendVideo(i * 40, frame);
      peak = Math.max(peak, client.bufferedBytes);
    }
    expect(peak).toBeGreaterThan(0);
    await until(() => conn.received.filter((m) => m.typeId === T.VIDEO).length === 48, "48 frames", 20_000);
    expect(client.bufferedBytes).toBe(0);
    const videos = conn.received.filter((m) => m.typeId === T.VIDEO);
    expect(videos.map((m) => [m.body[0], m.timestamp, m.body.length])).toEqual(videos.map((_, i) => [i, i * 40, 1 << 20]));
    client.close();
  });

  test("a server that never answers: connect rejects after timeoutMs and the socket is closed", async () => {
    let closed = false;
    const mute = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {}, close: () => void (closed = true) } });
    try {
      const error = await RtmpClient.connect(`rtmp://127.0.0.1:${mute.port}/live`, { timeoutMs: 100 }).catch((e) => e);
      expect(String(error)).toContain("rtmp connect: no answer in 100 ms");
      await until(() => closed, "the socket to close");
    } finally {
      mute.stop(true);
    }
  });

  test("connection refused rejects", async () => {
    const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const port = probe.port;
    probe.stop(true);
    expect(await RtmpClient.connect(`rtmp://127.0.0.1:${port}/live`).catch((e) => e)).toBeInstanceOf(Error);
  });
});

describe.if(Bun.which("openssl") !== null)("RtmpClient over TLS (rtmps://)", () => {
  test("connects to a self-signed server only when insecureTls is set", async () => {
    const dir = mkdtempSync(join(tmpdir(), "spate-rtmps-"));
    try {
      const made = Bun.spawnSync(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
          "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")],
        { stdout: "ignore", stderr: "ignore" },
      );
      expect(made.exitCode).toBe(0);
      const tlsServer = new FakeServer({ cert: readFileSync(join(dir, "cert.pem"), "utf8"), key: readFileSync(join(dir, "key.pem"), "utf8") });
      try {
        expect(await RtmpClient.connect(tlsServer.url("live/cam1", "rtmps"), { timeoutMs: 3000 }).catch((e) => e)).toBeInstanceOf(Error);
        const client = await RtmpClient.connect(tlsServer.url("live/cam1", "rtmps"), { insecureTls: true });
        expect(client.tcUrl.startsWith("rtmps://")).toBe(true);
        await client.publish();
        client.sendVideo(5, pattern(7, 20_000));
        const conn = tlsServer.conns.at(-1)!;
        await until(() => conn.received.some((m) => m.typeId === T.VIDEO), "video over TLS");
        expect(conn.received.find((m) => m.typeId === T.VIDEO)!.body).toEqual(pattern(7, 20_000));
        client.close();
      } finally {
        tlsServer.listener.stop(true);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** FLV tags of a file (FLV 10.1 §E.4): [typeId, timestamp, body]. */
function flvTags(buf: Uint8Array): [number, number, Uint8Array][] {
  const tags: [number, number, Uint8Array][] = [];
  let p = ((buf[5]! << 24) | (buf[6]! << 16) | (buf[7]! << 8) | buf[8]!) + 4;
  while (p + 11 <= buf.length) {
    const size = (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!;
    const ts = ((buf[p + 7]! << 24) | (buf[p + 4]! << 16) | (buf[p + 5]! << 8) | buf[p + 6]!) >>> 0;
    tags.push([buf[p]! & 0x1f, ts, buf.subarray(p + 11, p + 11 + size)]);
    p += 11 + size + 4;
  }
  return tags;
}

const FFMPEG = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-nostdin"];
const SOURCE = ["-f", "lavfi", "-i", "testsrc=size=160x120:rate=25", "-f", "lavfi", "-i", "sine=sample_rate=48000", "-t", "2"];
const ENCODE = ["-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-c:a", "aac", "-f", "flv"];

describe.if(Bun.which("ffmpeg") !== null)("interop with ffmpeg", () => {
  test("ffmpeg publishes to the fake server: digest handshake accepted, its chunk stream decoded", async () => {
    const conns = server.conns.length;
    const proc = Bun.spawn([...FFMPEG, ...SOURCE, ...ENCODE, server.url("live/ff")], { stderr: "pipe" });
    const code = await Promise.race([proc.exited, Bun.sleep(20_000).then(() => (proc.kill(), -1))]);
    expect({ code, stderr: code === 0 ? "" : await new Response(proc.stderr).text() }).toEqual({ code: 0, stderr: "" });
    const conn = server.conns[conns]!;
    expect(conn.handshake.digest).toBe(true);
    expect(conn.commands.slice(0, 5)).toEqual(["connect", "releaseStream", "FCPublish", "createStream", "publish"]);
    const video = conn.received.filter((m) => m.typeId === T.VIDEO);
    expect(video.filter((m) => m.body[1] === 1).length).toBe(50); // AVC NALU packets: 2 s at 25 fps
    expect(video.every((m, i) => i === 0 || m.timestamp >= video[i - 1]!.timestamp)).toBe(true);
    expect(conn.received.filter((m) => m.typeId === T.AUDIO).length).toBeGreaterThan(90);
  }, 30_000);

  test("ffmpeg plays from the fake server: it checks our S1 digest and S2 signature, then sends play", async () => {
    server.playMedia = [];
    const conns = server.conns.length;
    const proc = Bun.spawn([...FFMPEG, "-i", server.url("live/cam1"), "-f", "null", "-"], { stderr: "pipe" });
    try {
      await until(() => server.conns[conns]?.commands.includes("play") ?? false, "ffmpeg's play", 10_000);
      expect(server.conns[conns]!.handshake.digest).toBe(true);
    } finally {
      proc.kill();
      await proc.exited;
    }
  }, 20_000);

  test("RtmpClient publishes to ffmpeg -listen: every FLV tag arrives", async () => {
    const dir = mkdtempSync(join(tmpdir(), "spate-rtmp-ff-"));
    try {
      const source = join(dir, "in.flv");
      const made = Bun.spawnSync([...FFMPEG, ...SOURCE, ...ENCODE, source]);
      expect(made.exitCode).toBe(0);
      const tags = flvTags(readFileSync(source));
      const probe = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
      const port = probe.port;
      probe.stop(true);
      const out = join(dir, "out.flv");
      const ff = Bun.spawn([...FFMPEG, "-listen", "1", "-i", `rtmp://127.0.0.1:${port}/live/cam1`, "-c", "copy", "-f", "flv", out], {
        stderr: "pipe",
      });
      try {
        let client: RtmpClient | undefined;
        const end = Date.now() + 10_000;
        while (!client) {
          client = await RtmpClient.connect(`rtmp://127.0.0.1:${port}/live/cam1`, { timeoutMs: 5000 }).catch(() => undefined);
          if (!client && Date.now() > end) throw new Error("ffmpeg -listen never accepted");
          if (!client) await Bun.sleep(50);
        }
        await client.publish();
        for (const [typeId, ts, body] of tags) client.send(typeId === T.DATA_AMF0 ? 5 : typeId === T.AUDIO ? 4 : 6, typeId, ts, null, body);
        await until(() => client.bufferedBytes === 0, "drain");
        client.close();
        const code = await Promise.race([ff.exited, Bun.sleep(15_000).then(() => (ff.kill(), -1))]);
        expect({ code, stderr: code === 0 ? "" : await new Response(ff.stderr).text() }).toEqual({ code: 0, stderr: "" });
      } finally {
        ff.kill();
      }
      const count = Bun.spawnSync(["ffprobe", "-v", "error", "-count_packets", "-select_streams", "v:0", "-show_entries", "stream=nb_read_packets", "-of", "csv=p=0", out]);
      expect(Number(count.stdout.toString().trim())).toBe(tags.filter(([t, , b]) => t === T.VIDEO && b[1] === 1).length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 40_000);
});
