/**
 * Fuzz target: whole upstream conversations after the handshake (TRACKS, STATE, FRAMEs, then a
 * re-attach replaying them) fed to a RelayIngest publishing into a real PathTable, through the
 * MessageReader the listener uses, in two reads. Whatever the bytes, only ProtocolError may escape.
 * The handshake itself runs for real (its MACs cannot be mutated into validity); the wire decoder
 * has its own target.
 */
import { concatBytes } from "../../core/bytes.ts";
import type { FuzzTarget } from "../../core/fuzz-target.ts";
import { PathTable } from "../../core/path-table.ts";
import { RelayIngest } from "./ingest.ts";
import { MessageReader } from "./session.ts";
import { TRACKS } from "./wire/message.cases.ts";
import { handshake } from "./handshake.cases.ts";
import { encodeFrame, encodeKeepalive, encodeState, encodeTracks } from "./wire/message.ts";

const PATH = "live/fuzz";
const SECRET = "fuzz-secret-0123456789";
const nal = (n: number) => Uint8Array.from([0, 0, 0, 2, n % 10 === 0 ? 0x65 : 0x41, n & 0xff]);

function conversation(from: number, to: number): Uint8Array[] {
  const out = [encodeState("live"), encodeTracks(TRACKS.slice(0, 2))];
  for (let n = from; n < to; n++) {
    out.push(encodeFrame(0, n % 10 === 0, n * 3000, n * 3000 + 1500, 1000 + n, 1001 + n, nal(n)));
    out.push(encodeFrame(1, true, n * 1600, n * 1600, 1000 + n, 1001 + n, Uint8Array.from([0x21, n & 0xff])));
  }
  return out;
}

const live = concatBytes(conversation(0, 12));
const withStates = concatBytes([...conversation(0, 6), encodeState("waiting"), encodeKeepalive(5), ...conversation(3, 9), encodeState("ended")]);

export const target: FuzzTarget = {
  name: "relay/ingest",
  seeds: [live, withStates],
  maxInputBytes: 8192,
  run(input: Uint8Array) {
    const paths = new PathTable({ graceMs: 0, takeover: false, ringBytes: 1 << 14, ringFrames: 64 });
    paths.read(PATH);
    const ingest = new RelayIngest(paths, PATH, "B", SECRET, { accepted() {}, refused() {}, closed() {} });
    handshake(ingest, "A", SECRET);
    const reader = new MessageReader();
    try {
      const cut = input.length >> 1;
      for (const chunk of [input.subarray(0, cut), input.subarray(cut)]) {
        reader.push(chunk, (m) => ingest.onMessage(m));
        ingest.flush();
      }
      // A re-attach replays the same conversation: the resume path sees it too.
      ingest.disconnected();
      handshake(ingest, "C", SECRET);
      new MessageReader().push(input, (m) => ingest.onMessage(m));
      ingest.flush();
    } finally {
      ingest.stop();
      paths.close();
    }
    return ingest.frames;
  },
};
