/** The relay wire case table: feeds the decode test, the round-trip test and the fuzz seeds. */
import { concatBytes } from "../../../core/bytes.ts";
import {
  encodeAccept,
  encodeAuth,
  encodeFrame,
  encodeHello,
  encodeKeepalive,
  encodeRefuse,
  encodeState,
  encodeTracks,
  RefuseCode,
  type TrackDescription,
} from "./message.ts";

const nonce = Uint8Array.from({ length: 16 }, (_, i) => i * 7);
const mac = Uint8Array.from({ length: 32 }, (_, i) => 255 - i);
// avcC of a 1280x720 High profile stream, 4-byte NAL lengths (SPS/PPS shortened, structure intact).
const avcC = Uint8Array.from([1, 0x64, 0, 0x1f, 0xff, 0xe1, 0, 4, 0x67, 0x64, 0, 0x1f, 1, 0, 2, 0x68, 0xee]);
const asc = Uint8Array.from([0x12, 0x10]);

export const TRACKS: TrackDescription[] = [
  { id: 0, codec: "h264", clockRate: 90_000, configVersion: 1, config: avcC, info: { codecString: "avc1.64001f", width: 1280, height: 720, frameRate: 30 } },
  { id: 1, codec: "aac", clockRate: 48_000, configVersion: 2, config: asc, info: { codecString: "mp4a.40.2", sampleRate: 48_000, channels: 2 } },
  { id: 2, codec: "opus", clockRate: 48_000, configVersion: 0, config: null, info: {} },
];

export interface RelayCase {
  name: string;
  bytes: Uint8Array;
}

const nals = Uint8Array.from([0, 0, 0, 5, 0x65, 0x88, 0x84, 0x00, 0x33]);

export const RELAY_CASES: RelayCase[] = [
  { name: "hello", bytes: encodeHello(nonce, "node-a") },
  { name: "auth", bytes: encodeAuth("node-b", nonce, mac) },
  { name: "accept", bytes: encodeAccept("node-a", 2, mac) },
  { name: "refuse", bytes: encodeRefuse(RefuseCode.BadAuth, "bad cluster secret") },
  { name: "tracks", bytes: encodeTracks(TRACKS) },
  { name: "frame key", bytes: encodeFrame(0, true, 900_000, 903_000, 1_764_000_000_123.25, 1_764_000_000_124.5, nals) },
  { name: "frame audio", bytes: encodeFrame(1, false, 48_000, 48_000, 1_764_000_000_130, 1_764_000_000_131, Uint8Array.from([0x21, 0x10, 0x04])) },
  { name: "frame empty", bytes: encodeFrame(0, false, 0, 0, 0, 0, new Uint8Array(0)) },
  { name: "state waiting", bytes: encodeState("waiting") },
  { name: "keepalive", bytes: encodeKeepalive(1_764_000_000_000.5) },
];

/** Several messages in one buffer, as one transport write carries them. */
export const RELAY_STREAM = concatBytes(RELAY_CASES.map((c) => c.bytes));
