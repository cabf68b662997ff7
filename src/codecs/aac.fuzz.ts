import type { FuzzTarget } from "../core/fuzz-target.ts";
import { ADTS_STREAM, ASC_BAD_CASES, ASC_CASES } from "./aac.cases.ts";
import { adtsToAudioSpecificConfig, describeAac, newAdtsHeader, parseAdtsHeader, parseAudioSpecificConfig, writeAdtsHeader } from "./aac.ts";

const header = newAdtsHeader();
const scratch = new Uint8Array(7);

/** AudioSpecificConfigs, and ADTS streams (first byte 0xff) walked frame by frame. */
export const target: FuzzTarget = {
  name: "codecs/aac",
  seeds: [...ASC_CASES.map((c) => c.asc), ...ASC_BAD_CASES.map((c) => c.asc), ADTS_STREAM],
  maxInputBytes: 2048,
  run(input) {
    if (input[0] !== 0xff) {
      const cfg = parseAudioSpecificConfig(input);
      if (cfg.coreObjectType <= 4 && cfg.samplingFrequencyIndex < 13) writeAdtsHeader(scratch, 0, cfg, 100);
      return describeAac(input);
    }
    let off = 0;
    let frames = 0;
    for (;;) {
      const n = parseAdtsHeader(input, off, header);
      if (n === 0) return frames;
      parseAudioSpecificConfig(adtsToAudioSpecificConfig(header));
      off += n;
      frames++;
    }
  },
};
