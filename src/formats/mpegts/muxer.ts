/**
 * MPEG-TS muxer: common-format frames in, 188-byte transport packets out, once per stream (the SRT
 * writer appends each frame's packets to the ring every SRT viewer reads). One program: PAT, a PMT on
 * PMT_PID, one PID per track (FIRST_ES_PID + track id).
 *
 * - PAT and PMT go before the first frame, before every video keyframe, when the PMT changes and
 *   otherwise at least every PSI_INTERVAL_MS of media. A frame's output is a join point for a new
 *   viewer when it starts with them (`startsWithPsi`) and is a video keyframe (or the stream has no video).
 * - Every PES on the PCR PID (video, else the first audio track) carries a PCR; when the PCR track's
 *   next frame is due later than PCR_INTERVAL_MS after the last PCR (video under 25 fps), other
 *   tracks' frames bring an adaptation-field-only packet on the PCR PID with one.
 * - The PCR is the newest dts muxed (frames arrive in real time, so that is the transport's clock,
 *   as ffmpeg does it); PTS/DTS are written `pcrDelayMs` ahead of it: a decoder's buffering time,
 *   and room for tracks that arrive behind one another. Written timestamps are the frames' 90 kHz
 *   times + that delay.
 *
 * Hot path: `encodedSize(frame)` converts the frame into its PES in a scratch buffer owned by the
 * muxer (grown to the largest frame, then reused) and returns the exact output size;
 * `encodeTo(buf, off)` cuts it into packets in the caller's buffer (e.g. a ByteRing reservation).
 * Per frame that is two copies of the payload and no allocation.
 */
import { assert, ProtocolError } from "../../core/errors.ts";
import type { Frame } from "../../core/frame.ts";
import type { Track } from "../../core/track.ts";
import { MuxTrack } from "./mux-track.ts";
import {
  adaptationFieldSize, AFC_ADAPTATION, AFC_PAYLOAD, PID_PAT, TS_HEADER_SIZE, TS_PACKET_SIZE, TS_PAYLOAD_SIZE,
  writeAdaptationField, writeTsHeader,
} from "./packet.ts";
import { encodePesHeader, pesHeaderSize } from "./pes.ts";
import { encodePat, encodePmt, writeSectionPacket, type Pmt } from "./psi.ts";
import { rescale, TS_CLOCK } from "./timestamps.ts";

export const PMT_PID = 0x1000;
export const FIRST_ES_PID = 0x100;
export const PROGRAM_NUMBER = 1;
export const TRANSPORT_STREAM_ID = 1;
export const PSI_INTERVAL_MS = 100;
/** ISO/IEC 13818-1 §2.7.2 allows 100 ms between PCRs; DVB (ETSI TR 101 290) asks for 40. */
export const PCR_INTERVAL_MS = 40;
export const DEFAULT_PCR_DELAY_MS = 100;
const MS = TS_CLOCK / 1000;

export interface TsMuxerOptions {
  /** How far PTS/DTS run ahead of the PCR (default DEFAULT_PCR_DELAY_MS). */
  pcrDelayMs?: number;
}

export class TsMuxer {
  /** Frames not muxed: no track, a codec TS does not carry here, no configuration yet, a malformed payload. */
  framesSkipped: number;
  framesMuxed: number;
  /** The frame last passed to encodedSize starts with PAT and PMT. */
  startsWithPsi: boolean;
  private readonly tracks: readonly (Track | undefined)[];
  private readonly muxTracks: (MuxTrack | undefined)[];
  private readonly delay90: number;
  private readonly patPacket: Uint8Array;
  private readonly pmtPacket: Uint8Array;
  private pmtVersion: number;
  private pmtChanged: boolean;
  private pcrTrack: MuxTrack | null;
  private psiCc: number;
  private pmtCc: number;
  /** Newest dts seen (90 kHz), and when PSI and PCR were last written on that line; NaN: never. The PCR is `now90`. */
  private now90: number;
  private lastPsi90: number;
  private lastPcrAt90: number;
  private scratch: Uint8Array;
  // The plan encodedSize made for encodeTo.
  private planTrack: MuxTrack | null;
  private planPesLength: number;
  private planPcrPacket: boolean;
  private planPcr90: number;
  private planDts90: number;
  private planKey: boolean;

  /** `tracks` is the stream's live track array: tracks and configurations are picked up as they change. */
  constructor(tracks: readonly (Track | undefined)[], opts: TsMuxerOptions = {}) {
    this.framesSkipped = 0;
    this.framesMuxed = 0;
    this.startsWithPsi = false;
    this.tracks = tracks;
    this.muxTracks = [];
    this.delay90 = Math.round((opts.pcrDelayMs ?? DEFAULT_PCR_DELAY_MS) * MS);
    this.patPacket = new Uint8Array(TS_PACKET_SIZE);
    this.pmtPacket = new Uint8Array(TS_PACKET_SIZE);
    this.pmtVersion = 0;
    this.pmtChanged = true;
    this.pcrTrack = null;
    this.psiCc = 0;
    this.pmtCc = 0;
    this.now90 = Number.NaN;
    this.lastPsi90 = Number.NaN;
    this.lastPcrAt90 = Number.NaN;
    this.scratch = new Uint8Array(256 * 1024);
    this.planTrack = null;
    this.planPesLength = 0;
    this.planPcrPacket = false;
    this.planPcr90 = 0;
    this.planDts90 = 0;
    this.planKey = false;
    const pat = new Uint8Array(16);
    encodePat(pat, 0, TRANSPORT_STREAM_ID, PROGRAM_NUMBER, PMT_PID, 0);
    writeSectionPacket(this.patPacket, 0, PID_PAT, 0, pat);
  }

  /** PTS/DTS written = the frame's time in 90 kHz + this. */
  get timestampOffset90(): number {
    return this.delay90;
  }

  /**
   * Prepares `frame` and returns the bytes encodeTo will write (a multiple of 188), 0 when the frame
   * is skipped. Only the last prepared frame can be written.
   */
  encodedSize(frame: Frame): number {
    this.planTrack = null;
    this.startsWithPsi = false;
    this.syncTracks();
    const mt = this.muxTracks[frame.track];
    if (!mt?.entry) return this.skip();
    const clock = mt.track.clockRate;
    const dts90 = rescale(frame.dts, clock, TS_CLOCK);
    const pts90 = Math.max(dts90, rescale(frame.pts, clock, TS_CLOCK));
    const video = mt.video;
    const withDts = video && pts90 !== dts90;
    const headerSize = pesHeaderSize(withDts);
    const need = headerSize + mt.maxPayloadSize(frame);
    if (need > this.scratch.length) this.scratch = new Uint8Array(Math.max(need, this.scratch.length * 2));
    let esLength: number;
    try {
      esLength = mt.writePayload(frame, this.scratch, headerSize);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      return this.skip();
    }
    const d = this.delay90;
    encodePesHeader(this.scratch, 0, mt.streamId, esLength, video, pts90 + d, withDts ? dts90 + d : -1);
    const pesLength = headerSize + esLength;

    const now = Number.isNaN(this.now90) ? dts90 : Math.max(this.now90, dts90);
    const keyVideo = frame.keyframe && video;
    const psi = this.pmtChanged || Number.isNaN(this.lastPsi90) || keyVideo || now - this.lastPsi90 >= PSI_INTERVAL_MS * MS;
    const onPcrPid = mt === this.pcrTrack;
    const pcrPacket = !onPcrPid && this.pcrDue(mt, dts90, now);
    this.planTrack = mt;
    this.planPesLength = pesLength;
    this.planPcrPacket = pcrPacket;
    this.planPcr90 = now;
    this.planDts90 = dts90;
    this.planKey = frame.keyframe;
    this.startsWithPsi = psi;
    const first = adaptationFieldSize(frame.keyframe, onPcrPid);
    const packets = (psi ? 2 : 0) + (pcrPacket ? 1 : 0) + pesPacketCount(pesLength, first);
    return packets * TS_PACKET_SIZE;
  }

  /** Writes the frame prepared by encodedSize at `off`; returns the bytes written. */
  encodeTo(buf: Uint8Array, off: number): number {
    const mt = this.planTrack;
    assert(mt !== null, "TsMuxer.encodeTo without a prepared frame");
    this.planTrack = null;
    let o = off;
    const dts90 = this.planDts90;
    const now = Number.isNaN(this.now90) ? dts90 : Math.max(this.now90, dts90);
    if (this.startsWithPsi) {
      buf.set(this.patPacket, o);
      buf[o + 3] = (buf[o + 3]! & 0xf0) | this.psiCc;
      this.psiCc = (this.psiCc + 1) & 0xf;
      buf.set(this.pmtPacket, o + TS_PACKET_SIZE);
      buf[o + TS_PACKET_SIZE + 3] = (buf[o + TS_PACKET_SIZE + 3]! & 0xf0) | this.pmtCc;
      this.pmtCc = (this.pmtCc + 1) & 0xf;
      o += 2 * TS_PACKET_SIZE;
      this.lastPsi90 = now;
      this.pmtChanged = false;
    }
    const pcr = this.planPcr90;
    if (this.planPcrPacket && this.pcrTrack) {
      // Adaptation field only: the CC repeats the PID's last one (§2.4.3.3).
      writeTsHeader(buf, o, this.pcrTrack.pid, false, AFC_ADAPTATION, (this.pcrTrack.cc + 15) & 0xf);
      writeAdaptationField(buf, o + TS_HEADER_SIZE, TS_PAYLOAD_SIZE, false, pcr);
      o += TS_PACKET_SIZE;
    }
    const withPcr = mt === this.pcrTrack;
    o = this.writePes(buf, o, mt, this.planPesLength, this.planKey, withPcr ? pcr : -1);
    if (withPcr || this.planPcrPacket) this.lastPcrAt90 = now;
    if (dts90 > mt.lastDts90) mt.lastDuration90 = dts90 - mt.lastDts90;
    mt.lastDts90 = dts90;
    this.now90 = now;
    this.framesMuxed++;
    return o - off;
  }

  /** The PES in the scratch buffer as packets: PCR and random access flag in the first, stuffing in the last. */
  private writePes(buf: Uint8Array, o: number, mt: MuxTrack, pesLength: number, key: boolean, pcr90: number): number {
    const src = this.scratch;
    let pos = 0;
    let first = true;
    while (pos < pesLength) {
      const left = pesLength - pos;
      let af = first ? adaptationFieldSize(key, pcr90 >= 0) : 0;
      if (left < TS_PAYLOAD_SIZE - af) af = TS_PAYLOAD_SIZE - left; // stuffing in the adaptation field
      const payload = TS_PAYLOAD_SIZE - af;
      writeTsHeader(buf, o, mt.pid, first, af > 0 ? AFC_ADAPTATION | AFC_PAYLOAD : AFC_PAYLOAD, mt.cc);
      mt.cc = (mt.cc + 1) & 0xf;
      if (af > 0) writeAdaptationField(buf, o + TS_HEADER_SIZE, af, first && key, first ? pcr90 : -1);
      let d = o + TS_HEADER_SIZE + af;
      for (let i = pos, stop = pos + payload; i < stop; i++) buf[d++] = src[i]!; // ≤ 184 bytes: no view per packet
      pos += payload;
      o += TS_PACKET_SIZE;
      first = false;
    }
    return o;
  }

  /**
   * A frame of another track than the PCR PID's: does it need an adaptation-field-only PCR packet
   * first? Yes when the next chance of one (the PCR track's next frame, or this track's) would come
   * more than PCR_INTERVAL_MS after the last PCR.
   */
  private pcrDue(mt: MuxTrack, dts90: number, now: number): boolean {
    const last = this.lastPcrAt90;
    if (Number.isNaN(last)) return true;
    const p = this.pcrTrack!;
    const pcrNext = p.lastDuration90 > 0 ? p.lastDts90 + p.lastDuration90 : Number.POSITIVE_INFINITY;
    const duration = dts90 > mt.lastDts90 ? dts90 - mt.lastDts90 : mt.lastDuration90; // this frame's, as the next one's guess
    const next = Math.min(pcrNext, now + duration);
    return next - last > PCR_INTERVAL_MS * MS;
  }

  private skip(): number {
    this.framesSkipped++;
    return 0;
  }

  /** Picks up new tracks and configurations; rebuilds the PMT when what it says changed. */
  private syncTracks(): void {
    const tracks = this.tracks;
    let changed = false;
    for (let i = 0; i < tracks.length; i++) {
      const t = tracks[i];
      let mt = this.muxTracks[i];
      if (!t) continue;
      if (!mt || mt.track !== t) {
        const cc = mt ? mt.cc : 0; // another codec on the same PID: its counter runs on
        mt = new MuxTrack(t, FIRST_ES_PID + i);
        mt.cc = cc;
        this.muxTracks[i] = mt;
        changed = true;
      }
      if (mt.configVersion !== t.configVersion && mt.configure()) changed = true;
    }
    if (changed) this.buildPmt();
  }

  private buildPmt(): void {
    const entries = [];
    let pcr: MuxTrack | null = null;
    for (const mt of this.muxTracks) {
      if (!mt?.entry) continue;
      entries.push(mt.entry);
      if (!pcr || (mt.video && !pcr.video)) pcr = mt;
    }
    this.pcrTrack = pcr;
    this.pmtVersion = (this.pmtVersion + 1) & 0x1f;
    const pmt: Pmt = { programNumber: PROGRAM_NUMBER, version: this.pmtVersion, pcrPid: pcr ? pcr.pid : 0x1fff, streams: entries };
    const section = new Uint8Array(TS_PACKET_SIZE);
    const len = encodePmt(section, 0, pmt);
    writeSectionPacket(this.pmtPacket, 0, PMT_PID, 0, section.subarray(0, len));
    this.pmtChanged = true;
  }
}

/** Packets a PES of `length` bytes takes when its first packet has an adaptation field of `firstAf` bytes. */
export function pesPacketCount(length: number, firstAf: number): number {
  const first = TS_PAYLOAD_SIZE - firstAf;
  return length <= first ? 1 : 1 + Math.ceil((length - first) / TS_PAYLOAD_SIZE);
}
