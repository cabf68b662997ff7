import type { FuzzTarget } from "../../core/fuzz-target.ts";
import { FILE_BAD_CASES, sampleFile } from "./file.cases.ts";
import { readFlvFile, TAG_AUDIO, TAG_VIDEO } from "./file.ts";
import { decodeAudioTag, decodeVideoTag, FlvTag } from "./tag.ts";

const tag = new FlvTag();

/** Whole FLV files: every tag read, and audio/video bodies decoded. */
export const target: FuzzTarget = {
  name: "flv/file",
  seeds: [sampleFile().file, ...FILE_BAD_CASES.map((c) => c.file)],
  maxInputBytes: 4096,
  run(input) {
    let n = 0;
    for (const t of readFlvFile(input)) {
      if (t.type === TAG_VIDEO) decodeVideoTag(t.body, tag);
      else if (t.type === TAG_AUDIO) decodeAudioTag(t.body, tag);
      n++;
    }
    return n;
  },
};
