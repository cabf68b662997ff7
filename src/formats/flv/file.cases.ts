/** The FLV file case table: feeds file.test.ts and the flv-file fuzz seeds. */
import { AUDIO_CASES, VIDEO_CASES, bytes } from "./tag.cases.ts";
import { FlvFileWriter, TAG_AUDIO, TAG_SCRIPT, TAG_VIDEO } from "./file.ts";

/** A small file: a script tag, then every video and audio case body, one tag each, 33 ms apart. */
export function sampleFile(): { file: Uint8Array; tags: { type: number; timestampMs: number; body: Uint8Array }[] } {
  const tags: { type: number; timestampMs: number; body: Uint8Array }[] = [
    { type: TAG_SCRIPT, timestampMs: 0, body: bytes(2, 0, 10, "onMetaData", 5) },
  ];
  let ts = 0;
  for (const c of VIDEO_CASES.slice(0, 6)) tags.push({ type: TAG_VIDEO, timestampMs: (ts += 33), body: c.body });
  for (const c of AUDIO_CASES.slice(0, 4)) tags.push({ type: TAG_AUDIO, timestampMs: (ts += 33), body: c.body });
  // TimestampExtended: past 2^24 ms (4.6 hours)
  tags.push({ type: TAG_VIDEO, timestampMs: 0x01234567, body: VIDEO_CASES[1]!.body });
  const w = new FlvFileWriter({ audio: true, video: true });
  for (const t of tags) w.addTag(t.type, t.timestampMs, t.body);
  return { file: w.finish(), tags };
}

export const FILE_BAD_CASES: { name: string; file: Uint8Array; code: string }[] = [
  { name: "no signature", file: bytes("FLX", 1, 5, 0, 0, 0, 9, 0, 0, 0, 0), code: "invalid" },
  { name: "DataOffset 3", file: bytes("FLV", 1, 5, 0, 0, 0, 3, 0, 0, 0, 0), code: "invalid" },
  { name: "short header", file: bytes("FLV", 1, 5), code: "truncated" },
  { name: "tag over MAX_TAG_SIZE", file: bytes("FLV", 1, 5, 0, 0, 0, 9, 0, 0, 0, 0, 9, 0xff, 0xff, 0xff, 0, 0, 0, 0, 0, 0, 0), code: "too-large" },
  { name: "encrypted tag", file: bytes("FLV", 1, 5, 0, 0, 0, 9, 0, 0, 0, 0, 0x29, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0x17, 0, 0, 0, 12), code: "unsupported" },
];
