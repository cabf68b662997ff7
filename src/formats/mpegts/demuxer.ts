/**
 * MPEG-TS demuxer (ISO/IEC 13818-1): bytes in, in chunks of any size (SRT carries 7 packets per
 * datagram), tracks and common-format frames out through a TsDemuxerSink. Follows the first program
 * of the PAT; reads H.264, H.265, AAC (ADTS) and Opus elementary streams; everything else is
 * skipped. Damage is counted, not thrown (TsDemuxStats): lost sync is found again, a continuity
 * error drops that PID's partial PES, a bad section or PES is skipped. The only error is input that
 * is no transport stream at all (PacketFramer's "no-sync").
 *
 * Latency: a video PES has no length, so it is complete when the next one starts on its PID — one
 * frame interval, as in every demuxer; audio PES carry their length and go out at once. A video PES
 * without PTS holds no start of an access unit (§2.7.5): it is appended to the open one (encoders
 * that send one PES per slice).
 */
import { ProtocolError } from "../../core/errors.ts";
import type { Codec } from "../../core/track.ts";
import { OPUS_SAMPLE_RATE } from "../../codecs/opus.ts";
import { AdtsEsReader } from "./adts-es.ts";
import { OpusEsReader } from "./opus-es.ts";
import { decodeTsPacket, PID_COUNT, PID_NULL, PID_PAT, TS_PACKET_SIZE, TsPacketHeader } from "./packet.ts";
import { APPEND_COMPLETE, APPEND_TOO_LARGE, PesAssembler } from "./pes-assembler.ts";
import { decodePesHeader, PesHeader } from "./pes.ts";
import { codecOfStream, decodePat, decodePmt, isCurrent, TABLE_PMT, type Pmt, type PmtStream } from "./psi.ts";
import { SectionAssembler, type SectionSink } from "./section.ts";
import { PacketFramer, type PacketSink } from "./sync.ts";
import { TimestampUnwrapper, TS_CLOCK } from "./timestamps.ts";
import { TsDemuxStats, TsTrack, type EsReader, type TsDemuxerSink } from "./ts-track.ts";
import { VideoEsReader } from "./video-es.ts";

export { TsTrack, TsDemuxStats, type TsDemuxerSink } from "./ts-track.ts";

/** Elementary streams followed at once; a PMT listing more keeps the first ones. */
export const MAX_PIDS = 16;

class EsStream {
  readonly pes: PesAssembler;
  constructor(
    readonly reader: EsReader,
    readonly channelCode: number,
  ) {
    this.pes = new PesAssembler();
  }
}

export class TsDemuxer implements PacketSink, SectionSink {
  readonly stats: TsDemuxStats;
  /** The followed streams, in PMT order. */
  tracks: TsTrack[];
  /** The newest PCR of the program (27 MHz units), -1 before the first. */
  pcr: number;
  pcrPid: number;
  pmtPid: number;
  private readonly sink: TsDemuxerSink;
  private readonly framer: PacketFramer;
  private readonly header: TsPacketHeader;
  private readonly pesHeader: PesHeader;
  private readonly unwrapper: TimestampUnwrapper;
  private readonly lastCc: Int8Array;
  /** Index into `streams` per PID, -1 for PIDs that are not followed elementary streams. */
  private readonly pidIndex: Int8Array;
  private streams: EsStream[];
  private readonly pat: SectionAssembler;
  private pmt: SectionAssembler | null;
  /** CRC_32 of the last applied PAT and PMT: a repeated table is recognised without decoding. */
  private patCrc: number;
  private pmtCrc: number;

  constructor(sink: TsDemuxerSink) {
    this.stats = new TsDemuxStats();
    this.tracks = [];
    this.pcr = -1;
    this.pcrPid = -1;
    this.pmtPid = -1;
    this.sink = sink;
    this.framer = new PacketFramer(this);
    this.header = new TsPacketHeader();
    this.pesHeader = new PesHeader();
    this.unwrapper = new TimestampUnwrapper();
    this.lastCc = new Int8Array(PID_COUNT).fill(-1);
    this.pidIndex = new Int8Array(PID_COUNT).fill(-1);
    this.streams = [];
    this.pat = new SectionAssembler(PID_PAT);
    this.pmt = null;
    this.patCrc = -1;
    this.pmtCrc = -1;
  }

  get syncLosses(): number {
    return this.framer.syncLosses;
  }

  get skippedBytes(): number {
    return this.framer.skippedBytes;
  }

  /** Any bytes of the stream, in order. */
  push(chunk: Uint8Array): void {
    this.framer.push(chunk);
  }

  /** End of input: the last packet and the last video PES (which no next PES will close) go out. */
  end(): void {
    this.framer.end();
    for (const s of this.streams) {
      if (s.pes.active && s.pes.expected === 0) this.completePes(s);
      else if (s.pes.active && s.pes.len > 0) this.stats.pesErrors++;
      s.pes.drop();
    }
  }

  onPacket(buf: Uint8Array, off: number): void {
    const h = this.header;
    this.stats.packets++;
    try {
      decodeTsPacket(buf, off, h);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      this.stats.transportErrors++;
      return;
    }
    const pid = h.pid;
    if (h.transportError || h.scrambling !== 0) {
      this.stats.transportErrors++; // its CC is not recorded: the next packet shows the loss
      return;
    }
    if (pid === PID_NULL) return;
    if (h.pcr >= 0 && pid === this.pcrPid) this.pcr = h.pcr;
    if (!(h.afc & 1)) return; // adaptation field only: the CC does not advance (§2.4.3.3)
    const last = this.lastCc[pid]!;
    if (last >= 0 && !h.discontinuity) {
      if (h.cc === last) return; // §2.4.3.3: a packet may be sent twice; the copy is dropped
      if (h.cc !== ((last + 1) & 0xf)) {
        this.stats.ccErrors++;
        this.lost(pid);
      }
    }
    this.lastCc[pid] = h.cc;
    const start = off + h.payloadOffset;
    const end = off + TS_PACKET_SIZE;
    if (start >= end) return;
    if (pid === PID_PAT) this.pat.push(buf, start, end, h.payloadUnitStart, this);
    else if (pid === this.pmtPid) this.pmt!.push(buf, start, end, h.payloadUnitStart, this);
    else {
      const i = this.pidIndex[pid]!;
      if (i >= 0) this.pesPayload(this.streams[i]!, buf, start, end, h.payloadUnitStart);
    }
  }

  onSection(pid: number, buf: Uint8Array, len: number): void {
    try {
      if (pid === PID_PAT) {
        if (sameCrc(buf, len, this.patCrc) || !isCurrent(buf)) return;
        const pmtPid = decodePat(buf, len);
        this.patCrc = crcOf(buf, len);
        if (pmtPid >= 0 && pmtPid !== this.pmtPid && pmtPid !== PID_PAT && pmtPid !== PID_NULL) {
          this.pmtPid = pmtPid;
          this.pmt = new SectionAssembler(pmtPid);
          this.pmtCrc = -1;
        }
      } else if (pid === this.pmtPid) {
        if (buf[0] !== TABLE_PMT || sameCrc(buf, len, this.pmtCrc) || !isCurrent(buf)) return;
        const pmt = decodePmt(buf, len);
        this.pmtCrc = crcOf(buf, len);
        this.applyPmt(pmt);
      }
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      this.stats.psiErrors++;
    }
  }

  /** A new or changed PMT: streams that stay keep their state, the others are replaced or dropped. */
  private applyPmt(pmt: Pmt): void {
    this.pcrPid = pmt.pcrPid;
    const next: EsStream[] = [];
    for (const s of pmt.streams) {
      const codec = codecOfStream(s);
      if (codec === null || s.pid === PID_PAT || s.pid === PID_NULL || s.pid === this.pmtPid) continue;
      if (next.some((e) => e.reader.track.pid === s.pid)) continue;
      if (next.length >= MAX_PIDS) break;
      const i = this.pidIndex[s.pid]!;
      const old = i >= 0 ? this.streams[i]! : null;
      const t = old?.reader.track;
      if (old && t!.streamType === s.streamType && t!.codec === codec && old.channelCode === s.opusChannelCode) next.push(old);
      else next.push(this.createStream(s, codec, next.length));
    }
    for (const s of this.streams) this.pidIndex[s.reader.track.pid] = -1;
    next.forEach((s, i) => (this.pidIndex[s.reader.track.pid] = i));
    this.streams = next;
    this.tracks = next.map((s) => s.reader.track);
  }

  private createStream(s: PmtStream, codec: Codec, index: number): EsStream {
    const clock = codec === "opus" ? OPUS_SAMPLE_RATE : codec === "aac" ? 0 : TS_CLOCK;
    const track = new TsTrack(s.pid, s.streamType, codec, index, clock);
    const reader =
      codec === "aac" ? new AdtsEsReader(track, this.sink, this.stats)
      : codec === "opus" ? new OpusEsReader(track, this.sink, this.stats, s.opusChannelCode)
      : new VideoEsReader(track, this.sink, this.stats);
    return new EsStream(reader, s.opusChannelCode);
  }

  private pesPayload(s: EsStream, buf: Uint8Array, start: number, end: number, unitStart: boolean): void {
    const pes = s.pes;
    if (unitStart) {
      if (pes.active && pes.expected === 0) {
        const at = s.reader.track.kind === "video" ? this.continuation(buf, start, end) : 0;
        if (at > 0) {
          // §2.7.5: no access unit starts in a PES without PTS: this one continues the open one.
          if (pes.append(buf, at, end) === APPEND_TOO_LARGE) {
            this.stats.pesErrors++;
            pes.drop();
          }
          return;
        }
        this.completePes(s);
      } else if (pes.active && pes.len > 0) this.stats.pesErrors++; // shorter than its PES_packet_length
      pes.begin();
    } else if (!pes.active) return; // joined mid-packet, or after a drop: wait for the next start
    const r = pes.append(buf, start, end);
    if (r === APPEND_TOO_LARGE) {
      this.stats.pesErrors++;
      pes.drop();
    } else if (r === APPEND_COMPLETE) {
      this.completePes(s);
      pes.drop();
    }
  }

  /** Where the payload of a PES starting here begins, when it has no PTS; 0 otherwise. */
  private continuation(buf: Uint8Array, start: number, end: number): number {
    const h = this.pesHeader;
    try {
      const n = decodePesHeader(buf, start, end, h);
      return n > 0 && h.pts < 0 ? start + n : 0;
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      return 0;
    }
  }

  private completePes(s: EsStream): void {
    const pes = s.pes;
    const h = this.pesHeader;
    let payload: number;
    try {
      payload = decodePesHeader(pes.buf, 0, pes.len, h);
    } catch (e) {
      if (!(e instanceof ProtocolError)) throw e;
      payload = 0;
    }
    if (payload === 0) {
      this.stats.pesErrors++;
      return;
    }
    // The DTS moves the shared timeline; a PTS beside it is placed relative to it.
    const dts = h.dts >= 0 ? this.unwrapper.unwrap(h.dts, true) : -1;
    const pts = h.pts >= 0 ? this.unwrapper.unwrap(h.pts, dts < 0) : -1;
    s.reader.pes(pes.buf, payload, pes.len, pts, dts);
  }

  /** A continuity error on `pid`: its partial section or PES is unusable. */
  private lost(pid: number): void {
    if (pid === PID_PAT) this.pat.reset();
    else if (pid === this.pmtPid) this.pmt!.reset();
    else {
      const i = this.pidIndex[pid]!;
      if (i < 0) return;
      const s = this.streams[i]!;
      s.pes.drop();
      s.reader.discontinuity();
    }
  }
}

function crcOf(buf: Uint8Array, len: number): number {
  return ((buf[len - 4]! << 24) | (buf[len - 3]! << 16) | (buf[len - 2]! << 8) | buf[len - 1]!) >>> 0;
}

/** The section repeats the last applied one (same CRC_32 field): nothing to do. */
function sameCrc(buf: Uint8Array, len: number, crc: number): boolean {
  return len >= 4 && crc >= 0 && crcOf(buf, len) === crc;
}
