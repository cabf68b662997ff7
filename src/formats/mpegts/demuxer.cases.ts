/**
 * The demuxer case table: hand-made transport streams with what must come out of them. Feeds
 * demuxer.test.ts (whole, byte by byte, in SRT-sized and random chunks) and the demuxer fuzz seeds.
 */
import { buildAudioSpecificConfig } from "../../codecs/aac.ts";
import { buildAvcConfig, parseAvcConfig } from "../../codecs/h264.ts";
import { fixture } from "../../codecs/h264.cases.ts";
import { buildHevcConfig, parseHevcConfig } from "../../codecs/h265.ts";
import { concatBytes } from "../../core/bytes.ts";
import { opusHeadFromChannelCode } from "./opus-es.ts";
import { FOURCC_OPUS } from "./psi.ts";
import { adtsFrame, annexB, fakeNal, lengthPrefixed, opusUnit, patSection, pesPacket, pmtSection, TsBuilder } from "./ts-build.ts";
import { TIMESTAMP_WRAP } from "./pes.ts";
import type { TsDemuxStats } from "./ts-track.ts";

export const PMT = 0x1000;
export const VIDEO = 0x100;
export const AUDIO = 0x101;

export interface ExpectedFrame {
  pid: number;
  dts: number;
  pts: number;
  key: boolean;
  payload: Uint8Array;
}

export interface DemuxCase {
  name: string;
  input: Uint8Array;
  frames: ExpectedFrame[];
  /** onTrack calls in order: the PID and the configuration it announced. */
  tracks: { pid: number; config: Uint8Array; clockRate: number }[];
  stats?: Partial<Record<keyof TsDemuxStats | "syncLosses" | "skippedBytes", number>>;
  /** The demuxer's last PCR (27 MHz). */
  pcr?: number;
}

const avc = parseAvcConfig(fixture("h264-baseline-240p.avcc"));
const avc720 = parseAvcConfig(fixture("h264-high-720p.avcc"));
const hevc = parseHevcConfig(fixture("h265-main-426x240.hvcc"));
const [SPS, PPS, SPS2, PPS2] = [avc.sps[0]!, avc.pps[0]!, avc720.sps[0]!, avc720.pps[0]!];
const AVCC = buildAvcConfig([SPS], [PPS]);
const AVCC2 = buildAvcConfig([SPS2], [PPS2]);
const HVCC = buildHevcConfig(hevc.vps, hevc.sps, hevc.pps);
const AUD = Uint8Array.of(0x09, 0xf0);
const IDR = fakeNal([0x65], 300, 1);
const IDR_B = fakeNal([0x65], 40, 2);
const P = fakeNal([0x41], 120, 3);
const B = fakeNal([0x01], 60, 4);
const SEI = fakeNal([0x06, 0x05], 20, 5);
const ASC_48K_STEREO = buildAudioSpecificConfig({ objectType: 2, sampleRate: 48000, channels: 2 });
const AAC = [0, 1, 2, 3, 4].map((i) => fakeNal([0x21, i], 30 + 10 * i, 6 + i));
const OPUS = [fakeNal([0xfc], 100, 11), fakeNal([0xfc], 300, 12)]; // CELT 20 ms stereo, one frame: 960 samples each

const h264Pmt = pmtSection(VIDEO, [{ streamType: 0x1b, pid: VIDEO }]);
const aacPmt = pmtSection(AUDIO, [{ streamType: 0x0f, pid: AUDIO }]);
const psi = (pmt: Uint8Array) => new TsBuilder().section(0, patSection(PMT)).section(PMT, pmt);
const keyAu = (idr = IDR) => annexB(AUD, SPS, PPS, idr);
const adtsPes = (pts: number, ...frames: Uint8Array[]) => pesPacket(0xc0, concatBytes(frames.map((f) => adtsFrame(f, 3, 2))), pts);
const aacTrack = { pid: AUDIO, config: ASC_48K_STEREO, clockRate: 48000 };

export const DEMUX_CASES: DemuxCase[] = [
  {
    name: "H.264 IDR with AUD, SPS and PPS over two packets; end() closes the unbounded PES; PCR read",
    input: psi(h264Pmt).unit(VIDEO, pesPacket(0xe0, keyAu(), 900), { pcr90: 500, randomAccess: true }).bytes(),
    frames: [{ pid: VIDEO, dts: 900, pts: 900, key: true, payload: lengthPrefixed(IDR) }],
    tracks: [{ pid: VIDEO, config: AVCC, clockRate: 90000 }],
    pcr: 500 * 300,
  },
  {
    name: "B-frames: DTS and PTS, and the next PES closes the previous one",
    input: psi(h264Pmt)
      .unit(VIDEO, pesPacket(0xe0, keyAu(), 6000, 3000))
      .unit(VIDEO, pesPacket(0xe0, annexB(AUD, SEI, P), 15000, 6000))
      .unit(VIDEO, pesPacket(0xe0, annexB(AUD, B), 9000))
      .bytes(),
    frames: [
      { pid: VIDEO, dts: 3000, pts: 6000, key: true, payload: lengthPrefixed(IDR) },
      { pid: VIDEO, dts: 6000, pts: 15000, key: false, payload: lengthPrefixed(SEI, P) },
      { pid: VIDEO, dts: 9000, pts: 9000, key: false, payload: lengthPrefixed(B) },
    ],
    tracks: [{ pid: VIDEO, config: AVCC, clockRate: 90000 }],
  },
  {
    name: "a video PES without PTS continues the access unit before it",
    input: psi(h264Pmt)
      .unit(VIDEO, pesPacket(0xe0, annexB(AUD, SPS, PPS, IDR), 3000))
      .unit(VIDEO, pesPacket(0xe0, annexB(IDR_B), -1))
      .unit(VIDEO, pesPacket(0xe0, annexB(AUD, P), 6000))
      .bytes(),
    frames: [
      { pid: VIDEO, dts: 3000, pts: 3000, key: true, payload: lengthPrefixed(IDR, IDR_B) },
      { pid: VIDEO, dts: 6000, pts: 6000, key: false, payload: lengthPrefixed(P) },
    ],
    tracks: [{ pid: VIDEO, config: AVCC, clockRate: 90000 }],
  },
  {
    name: "sections split across packets; pointer_field finishes one and a new version follows",
    input: (() => {
      const v0 = pmtSection(VIDEO, [{ streamType: 0x1b, pid: VIDEO }]);
      const v1 = pmtSection(VIDEO, [{ streamType: 0x1b, pid: VIDEO }, { streamType: 0x0f, pid: AUDIO }], 1);
      return new TsBuilder()
        .section(0, patSection(PMT), 7)
        .packet(PMT, concatBytes([Uint8Array.of(0), v0.subarray(0, 10)]), { pusi: true })
        .packet(PMT, concatBytes([Uint8Array.of(v0.length - 10), v0.subarray(10), v1]), { pusi: true })
        .unit(AUDIO, adtsPes(90000, AAC[0]!))
        .bytes();
    })(),
    frames: [{ pid: AUDIO, dts: 48000, pts: 48000, key: true, payload: AAC[0]! }],
    tracks: [aacTrack],
  },
  {
    name: "ADTS: three frames in one PES, a fourth cut across two PES",
    input: (() => {
      const all = concatBytes(AAC.map((f) => adtsFrame(f, 3, 2)));
      const cut = adtsFrame(AAC[0]!, 3, 2).length + adtsFrame(AAC[1]!, 3, 2).length + adtsFrame(AAC[2]!, 3, 2).length + 20;
      return psi(aacPmt).unit(AUDIO, pesPacket(0xc0, all.subarray(0, cut), 90000)).unit(AUDIO, pesPacket(0xc0, all.subarray(cut), 97680)).bytes();
    })(),
    frames: AAC.map((payload, n) => ({ pid: AUDIO, dts: 48000 + n * 1024, pts: 48000 + n * 1024, key: true, payload })),
    tracks: [aacTrack],
  },
  {
    name: "33-bit wrap: timestamps run on past 2^33",
    input: psi(aacPmt).unit(AUDIO, adtsPes(TIMESTAMP_WRAP - 1920, AAC[0]!)).unit(AUDIO, adtsPes(0, AAC[1]!)).unit(AUDIO, adtsPes(1920, AAC[2]!)).bytes(),
    frames: [0, 1, 2].map((n) => {
      const dts = Math.round(((TIMESTAMP_WRAP - 1920) * 48000) / 90000) + n * 1024;
      return { pid: AUDIO, dts, pts: dts, key: true, payload: AAC[n]! };
    }),
    tracks: [aacTrack],
  },
  {
    name: "Opus: two access units in one PES, the start trim becomes the pre-skip",
    input: psi(pmtSection(AUDIO, [{ streamType: 0x06, pid: AUDIO, registration: FOURCC_OPUS, opusChannelCode: 2 }]))
      .unit(AUDIO, pesPacket(0xbd, concatBytes([opusUnit(OPUS[0]!, 312), opusUnit(OPUS[1]!)]), 9000))
      .bytes(),
    frames: [
      { pid: AUDIO, dts: 4800, pts: 4800, key: true, payload: OPUS[0]! },
      { pid: AUDIO, dts: 5760, pts: 5760, key: true, payload: OPUS[1]! },
    ],
    tracks: [{ pid: AUDIO, config: opusHeadFromChannelCode(2, 312), clockRate: 48000 }],
  },
  {
    name: "continuity error: the damaged PES is dropped, the next one is whole",
    input: (() => {
      const b = psi(h264Pmt);
      const au = pesPacket(0xe0, keyAu(), 3000);
      b.packet(VIDEO, au.subarray(0, 184), { pusi: true }).packet(VIDEO, au.subarray(184, 368), { cc: 5 }).packet(VIDEO, au.subarray(368));
      return b.unit(VIDEO, pesPacket(0xe0, keyAu(IDR_B), 6000)).bytes();
    })(),
    frames: [{ pid: VIDEO, dts: 6000, pts: 6000, key: true, payload: lengthPrefixed(IDR_B) }],
    tracks: [{ pid: VIDEO, config: AVCC, clockRate: 90000 }],
    stats: { ccErrors: 1 },
  },
  {
    name: "a packet sent twice is taken once; a discontinuity_indicator excuses a CC jump",
    input: (() => {
      const pes = adtsPes(90000, AAC[4]!, AAC[3]!, AAC[2]!, AAC[1]!);
      const b = psi(aacPmt).packet(AUDIO, pes.subarray(0, 184), { pusi: true, cc: 3 }).packet(AUDIO, pes.subarray(0, 184), { pusi: true, cc: 3 });
      return b.packet(AUDIO, pes.subarray(184)).unit(AUDIO, adtsPes(97680, AAC[0]!), { cc: 9, discontinuity: true }).bytes();
    })(),
    frames: [AAC[4]!, AAC[3]!, AAC[2]!, AAC[1]!, AAC[0]!].map((payload, n) => ({ pid: AUDIO, dts: 48000 + n * 1024, pts: 48000 + n * 1024, key: true, payload })),
    tracks: [aacTrack],
    stats: { ccErrors: 0 },
  },
  {
    name: "garbage before and between packets: sync is found again",
    input: (() => {
      const b = new TsBuilder().raw(Uint8Array.of(1, 2, 3, 4, 5)).section(0, patSection(PMT)).section(PMT, aacPmt);
      return b.raw(Uint8Array.of(9, 9, 9, 0x47, 9, 9, 9)).unit(AUDIO, adtsPes(90000, AAC[0]!)).bytes();
    })(),
    frames: [{ pid: AUDIO, dts: 48000, pts: 48000, key: true, payload: AAC[0]! }],
    tracks: [aacTrack],
    stats: { syncLosses: 2, skippedBytes: 12 },
  },
  {
    name: "a packet with transport_error_indicator is dropped, and its PES with it",
    input: (() => {
      const pes = adtsPes(90000, AAC[4]!, AAC[3]!, AAC[2]!, AAC[1]!);
      const b = psi(aacPmt).packet(AUDIO, pes.subarray(0, 184), { pusi: true }).packet(AUDIO, pes.subarray(184), { transportError: true });
      return b.unit(AUDIO, adtsPes(97680, AAC[0]!), { cc: 2 }).bytes();
    })(),
    frames: [{ pid: AUDIO, dts: 52096, pts: 52096, key: true, payload: AAC[0]! }],
    tracks: [aacTrack],
    stats: { transportErrors: 1, ccErrors: 1 },
  },
  {
    name: "streams spate does not read are skipped (MPEG audio, private data without registration)",
    input: psi(pmtSection(AUDIO, [{ streamType: 0x03, pid: 0x102 }, { streamType: 0x06, pid: 0x103 }, { streamType: 0x0f, pid: AUDIO }]))
      .unit(0x102, pesPacket(0xc0, Uint8Array.of(0xff, 0xfb, 0x90, 0x64), 9000))
      .unit(0x103, pesPacket(0xbd, Uint8Array.of(1, 2, 3), 9000))
      .unit(AUDIO, adtsPes(90000, AAC[0]!))
      .bytes(),
    frames: [{ pid: AUDIO, dts: 48000, pts: 48000, key: true, payload: AAC[0]! }],
    tracks: [aacTrack],
  },
  {
    name: "a PAT with a bad CRC and a PES without start code are counted and skipped",
    input: (() => {
      const bad = patSection(PMT);
      bad[bad.length - 1] = bad[bad.length - 1]! ^ 1;
      const b = new TsBuilder().section(0, bad).section(0, patSection(PMT)).section(PMT, aacPmt);
      return b.unit(AUDIO, Uint8Array.of(0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa)).unit(AUDIO, adtsPes(90000, AAC[0]!)).bytes();
    })(),
    frames: [{ pid: AUDIO, dts: 48000, pts: 48000, key: true, payload: AAC[0]! }],
    tracks: [aacTrack],
    stats: { psiErrors: 1, pesErrors: 1 },
  },
  {
    name: "H.265: VPS, SPS and PPS make the hvcC; a CRA picture is a keyframe",
    input: psi(pmtSection(VIDEO, [{ streamType: 0x24, pid: VIDEO }]))
      .unit(VIDEO, pesPacket(0xe0, annexB(Uint8Array.of(0x46, 0x01, 0x50), hevc.vps[0]!, hevc.sps[0]!, hevc.pps[0]!, fakeNal([0x2a, 0x01], 200)), 3000))
      .unit(VIDEO, pesPacket(0xe0, annexB(Uint8Array.of(0x46, 0x01, 0x50), fakeNal([0x02, 0x01], 50)), 6000))
      .bytes(),
    frames: [
      { pid: VIDEO, dts: 3000, pts: 3000, key: true, payload: lengthPrefixed(fakeNal([0x2a, 0x01], 200)) },
      { pid: VIDEO, dts: 6000, pts: 6000, key: false, payload: lengthPrefixed(fakeNal([0x02, 0x01], 50)) },
    ],
    tracks: [{ pid: VIDEO, config: HVCC, clockRate: 90000 }],
  },
  {
    name: "frames before the configuration are dropped; new parameter sets are a new configuration",
    input: psi(h264Pmt)
      .unit(VIDEO, pesPacket(0xe0, annexB(AUD, P), 3000))
      .unit(VIDEO, pesPacket(0xe0, keyAu(IDR_B), 6000))
      .unit(VIDEO, pesPacket(0xe0, annexB(AUD, SPS, PPS, IDR_B), 9000))
      .unit(VIDEO, pesPacket(0xe0, annexB(AUD, SPS2, PPS2, IDR_B), 12000))
      .bytes(),
    frames: [6000, 9000, 12000].map((t) => ({ pid: VIDEO, dts: t, pts: t, key: true, payload: lengthPrefixed(IDR_B) })),
    tracks: [{ pid: VIDEO, config: AVCC, clockRate: 90000 }, { pid: VIDEO, config: AVCC2, clockRate: 90000 }],
    stats: { framesDropped: 1 },
  },
  {
    name: "a PCR in an adaptation-field-only packet",
    input: psi(aacPmt).packet(AUDIO, new Uint8Array(0), { pcr90: 0x1ffffffff }).unit(AUDIO, adtsPes(90000, AAC[0]!)).bytes(),
    frames: [{ pid: AUDIO, dts: 48000, pts: 48000, key: true, payload: AAC[0]! }],
    tracks: [aacTrack],
    pcr: 0x1ffffffff * 300,
  },
];
