/** Fuzz target: AMF0 decoding, the command/data helpers, and re-encoding what was decoded. */
import type { FuzzTarget } from "../../../core/fuzz-target.ts";
import { AMF0_CASES, AMF0_ERROR_CASES } from "./amf0-cases.ts";
import { decodeAmf0All, decodeCommand, decodeData, encodeAmf0 } from "./amf0.ts";
import { ProtocolError } from "../../../core/errors.ts";
import { COMMAND_AMF3 } from "./message-types.ts";

export const target: FuzzTarget = {
  name: "rtmp/amf0",
  seeds: [...AMF0_CASES.map((c) => c.bytes), ...AMF0_ERROR_CASES.map((c) => c.bytes)],
  maxInputBytes: 4096,
  run(input: Uint8Array): number {
    const values = decodeAmf0All(input);
    // Whatever decodes must encode again (a session may forward onMetaData).
    const size = encodeAmf0(values).length;
    for (const decode of [() => decodeCommand(input, COMMAND_AMF3), () => decodeData(input)]) {
      try {
        decode();
      } catch (e) {
        if (!(e instanceof ProtocolError)) throw e;
      }
    }
    return size;
  },
};
