/**
 * A minimal RTMP player on node:net whose reading can be paused: handshake, connect, createStream,
 * play, then it reads and acknowledges every window as ffmpeg and librtmp do (RTMP 1.0 §5.4.3),
 * without decoding anything. Paused, it neither reads nor acknowledges, so its TCP window closes:
 * the stalled viewer of `spate bench rtmp --stalled` and of the slow-viewer tests.
 */
import { connect, type Socket } from "node:net";
import { encodeCommand } from "../protocols/rtmp/wire/amf0.ts";
import { encodeMessage } from "../protocols/rtmp/wire/chunk-encoder.ts";
import { controlMessage, encodeAckTo } from "../protocols/rtmp/wire/control.ts";
import { ClientHandshake } from "../protocols/rtmp/wire/handshake.ts";
import { COMMAND_AMF0 } from "../protocols/rtmp/wire/message-types.ts";

/** The window spate announces (session.ts ACK_WINDOW); acknowledging at least this often is safe. */
const ACK_EVERY = 256 * 1024;

export interface RawPlayer {
  readonly socket: Socket;
  /** Bytes received so far. */
  received(): number;
  pause(): void;
  resume(): void;
  close(): void;
}

/** Connects and plays `app/key` on host:port; resolves once the play command is sent. */
export async function openRawPlayer(host: string, port: number, path: string, timeoutMs = 10_000): Promise<RawPlayer> {
  const slash = path.indexOf("/");
  const app = slash < 0 ? path : path.slice(0, slash);
  const key = slash < 0 ? "" : path.slice(slash + 1);
  const socket = connect({ host, port });
  const timer = setTimeout(() => socket.destroy(new Error(`no RTMP handshake from ${host}:${port} within ${timeoutMs} ms`)), timeoutMs);
  try {
    await new Promise<void>((resolve, reject) => socket.once("connect", resolve).once("error", reject));
    const hs = new ClientHandshake({ digest: false });
    socket.write(hs.start());
    await new Promise<void>((resolve, reject) => {
      let buf = Buffer.alloc(0);
      const onData = (d: Buffer) => {
        buf = Buffer.concat([buf, d]);
        hs.feed(buf);
        if (!hs.done) return;
        socket.off("data", onData);
        socket.write(hs.takeOutput()!);
        resolve();
      };
      socket.on("data", onData).once("error", reject);
    });
  } finally {
    clearTimeout(timer);
  }
  const cmd = (name: string, tx: number, obj: Record<string, unknown> | null, streamId: number, ...args: unknown[]) =>
    socket.write(encodeMessage(3, 0, COMMAND_AMF0, streamId, 128, encodeCommand(name, tx, obj, ...args)));
  cmd("connect", 1, { app, tcUrl: `rtmp://${host}:${port}/${app}` }, 0);
  cmd("createStream", 2, null, 0);
  cmd("play", 3, null, 1, key); // no waiting for createStream's answer: spate hands out stream 1
  let received = 0;
  let acked = 0;
  socket.on("data", (d: Buffer) => {
    received += d.length;
    if (received - acked >= ACK_EVERY) {
      acked = received;
      socket.write(controlMessage(encodeAckTo, received >>> 0));
    }
  });
  socket.on("error", () => {}); // a dropped viewer is an expected outcome here
  return {
    socket,
    received: () => received,
    pause: () => socket.pause(),
    resume: () => socket.resume(),
    close: () => socket.destroy(),
  };
}
