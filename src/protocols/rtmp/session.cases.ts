/**
 * Whole RTMP connections as bytes, built with our own encoders: the case table of the session tests
 * and the seeds of the session fuzz target.
 */
import { readFileSync } from "node:fs";
import { concatBytes } from "../../core/bytes.ts";
import { encodeCommand, encodeData } from "./wire/amf0.ts";
import { encodeMessage } from "./wire/chunk-encoder.ts";
import { controlMessage, encodeSetChunkSizeTo } from "./wire/control.ts";
import * as T from "./wire/message-types.ts";

export const handshake = () => {
  const c = new Uint8Array(1 + 1536 * 2);
  c[0] = 3;
  for (let i = 9; i < c.length; i++) c[i] = (i * 7) & 0xff;
  return c;
};
export const cmd = (name: string, tx: number, obj: Record<string, unknown> | null, sid: number, ...args: unknown[]) =>
  encodeMessage(3, 0, T.COMMAND_AMF0, sid, 128, encodeCommand(name, tx, obj, ...args));
export const media = (type: number, ts: number, body: Uint8Array) => encodeMessage(type === T.VIDEO ? 6 : 4, ts, type, 1, 4096, body);

export const avcc = new Uint8Array(readFileSync(new URL("../../codecs/testdata/h264-baseline-240p.avcc", import.meta.url)));
export const asc = new Uint8Array(readFileSync(new URL("../../codecs/testdata/aac-lc-44100-stereo.asc", import.meta.url)));
export const videoConfig = concatBytes([Uint8Array.of(0x17, 0, 0, 0, 0), avcc]);
export const audioConfig = concatBytes([Uint8Array.of(0xaf, 0), asc]);
export const frame = (key: boolean, size: number) => concatBytes([Uint8Array.of(key ? 0x17 : 0x27, 1, 0, 0, 0x21, 0, 0, 0, size - 4), new Uint8Array(size - 4).fill(0x65)]);

export const connect = [
  handshake(),
  controlMessage(encodeSetChunkSizeTo, 4096),
  cmd("connect", 1, { app: "live", tcUrl: "rtmp://x/live", objectEncoding: 0 }, 0),
  cmd("createStream", 2, null, 0),
];

export const publishSession = concatBytes([
  ...connect.slice(0, 3),
  cmd("releaseStream", 2, null, 0, "a"),
  cmd("FCPublish", 3, null, 0, "a"),
  cmd("createStream", 4, null, 0),
  cmd("publish", 5, null, 1, "a", "live"),
  encodeMessage(4, 0, T.DATA_AMF0, 1, 4096, encodeData("@setDataFrame", "onMetaData", { width: 320, height: 240 })),
  media(T.VIDEO, 0, videoConfig),
  media(T.AUDIO, 0, audioConfig),
  media(T.VIDEO, 0, frame(true, 6000)),
  media(T.AUDIO, 23, concatBytes([Uint8Array.of(0xaf, 1), new Uint8Array(200).fill(3)])),
  media(T.VIDEO, 33, frame(false, 300)),
  cmd("deleteStream", 6, null, 0, 1),
]);

export const playSession = concatBytes([...connect, cmd("play", 3, null, 1, "a"), cmd("closeStream", 4, null, 1)]);

