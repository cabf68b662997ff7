/** The AAC case table: feeds aac.test.ts and the aac fuzz seeds. */
import { BitWriter } from "./bits.ts";
import { fixture } from "./h264.cases.ts";

export interface AscCase {
  name: string;
  asc: Uint8Array;
  codecString: string;
  sampleRate: number;
  channels: number;
  sbr: boolean;
  ps: boolean;
  extensionSampleRate?: number;
}

const bits = () => new BitWriter();

export const ASC_CASES: AscCase[] = [
  { name: "ffmpeg LC 44.1 kHz stereo (+ 0x2b7 sync extension, no SBR)", asc: fixture("aac-lc-44100-stereo.asc"), codecString: "mp4a.40.2", sampleRate: 44100, channels: 2, sbr: false, ps: false },
  { name: "ffmpeg LC 48 kHz mono", asc: fixture("aac-lc-48000-mono.asc"), codecString: "mp4a.40.2", sampleRate: 48000, channels: 1, sbr: false, ps: false },
  { name: "plain LC 44.1 kHz stereo", asc: Uint8Array.of(0x12, 0x10), codecString: "mp4a.40.2", sampleRate: 44100, channels: 2, sbr: false, ps: false },
  {
    name: "HE-AAC, explicit hierarchical signalling",
    asc: bits().writeBits(5, 5).writeBits(4, 6).writeBits(4, 2).writeBits(4, 3).writeBits(5, 2).writeBits(3, 0).finish(),
    codecString: "mp4a.40.5", sampleRate: 24000, channels: 2, sbr: true, ps: false, extensionSampleRate: 48000,
  },
  {
    name: "HE-AAC v2, explicit hierarchical signalling",
    asc: bits().writeBits(5, 29).writeBits(4, 6).writeBits(4, 1).writeBits(4, 3).writeBits(5, 2).writeBits(3, 0).finish(),
    codecString: "mp4a.40.29", sampleRate: 24000, channels: 1, sbr: true, ps: true, extensionSampleRate: 48000,
  },
  {
    name: "HE-AAC v2, backward-compatible signalling",
    asc: bits().writeBits(5, 2).writeBits(4, 6).writeBits(4, 1).writeBits(3, 0)
      .writeBits(11, 0x2b7).writeBits(5, 5).writeBits(1, 1).writeBits(4, 3).writeBits(11, 0x548).writeBits(1, 1).finish(),
    codecString: "mp4a.40.2", sampleRate: 24000, channels: 1, sbr: true, ps: true, extensionSampleRate: 48000,
  },
  {
    name: "escaped object type 42 (USAC)",
    asc: bits().writeBits(5, 31).writeBits(6, 10).writeBits(4, 3).writeBits(4, 2).finish(),
    codecString: "mp4a.40.42", sampleRate: 48000, channels: 2, sbr: false, ps: false,
  },
  {
    name: "explicit 24-bit sampling frequency",
    asc: bits().writeBits(5, 2).writeBits(4, 15).writeBits(24, 44056).writeBits(4, 2).writeBits(3, 0).finish(),
    codecString: "mp4a.40.2", sampleRate: 44056, channels: 2, sbr: false, ps: false,
  },
  {
    name: "5.1 from a program config element",
    asc: bits().writeBits(5, 2).writeBits(4, 3).writeBits(4, 0).writeBits(3, 0)
      .writeBits(4, 0).writeBits(2, 1).writeBits(4, 3) // element_instance_tag, object_type, sampling index
      .writeBits(4, 2).writeBits(4, 0).writeBits(4, 1).writeBits(2, 1).writeBits(3, 0).writeBits(4, 0) // front 2, back 1, lfe 1
      .writeBits(3, 0) // no mixdowns
      .writeBits(5, 0).writeBits(5, 0x10) // front: SCE 0, CPE 0
      .writeBits(5, 0x11) // back: CPE 1
      .writeBits(4, 0) // lfe tag
      .writeBits(3, 0).writeBits(8, 0).finish(), // byte_alignment, comment_field_bytes = 0
    codecString: "mp4a.40.2", sampleRate: 48000, channels: 6, sbr: false, ps: false,
  },
];

export const ASC_BAD_CASES: { name: string; asc: Uint8Array; code: string }[] = [
  { name: "one byte", asc: Uint8Array.of(0x12), code: "truncated" },
  { name: "object type 0", asc: Uint8Array.of(0x00, 0x10), code: "invalid" },
  { name: "reserved sampling index 13", asc: bits().writeBits(5, 2).writeBits(4, 13).writeBits(4, 2).writeBits(3, 0).finish(), code: "invalid" },
  { name: "reserved channel configuration 9", asc: bits().writeBits(5, 2).writeBits(4, 3).writeBits(4, 9).writeBits(3, 0).finish(), code: "invalid" },
  { name: "program config element cut short", asc: bits().writeBits(5, 2).writeBits(4, 3).writeBits(4, 0).writeBits(3, 0).writeBits(8, 0).finish(), code: "truncated" },
];

/** Two whole ADTS frames from ffmpeg (48 kHz stereo LC). */
export const ADTS_STREAM = fixture("aac-48000-stereo.adts");
