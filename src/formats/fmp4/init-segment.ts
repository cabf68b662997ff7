/**
 * The CMAF / fMP4 initialization segment (ISO/IEC 23000-19 §7.3.1, ISO/IEC 14496-12): `ftyp` then
 * `moov` with `mvhd`, one `trak` per chosen track (tkhd, mdia: mdhd, hdlr, minf: vmhd|smhd, dinf/dref,
 * stbl with the sample entry and empty stts/stsc/stsz/stco) and `mvex` with a `trex` per track.
 *
 * The caller picks the tracks and their track_IDs: LL-HLS serves one muxed init (video 1, audio 2),
 * DASH one init per track with the same track_IDs, so a track's fragments are the same bytes for
 * both. Each track's timescale is its clock (90 kHz video, the sample rate audio) unless told.
 *
 *   const init = new InitSegment([{ track: video, trackId: 1 }, { track: audio, trackId: 2 }]);
 *   const bytes = init.toBytes();               // or encodedSize() + encodeTo(buf, off)
 *
 * Construction validates every track (ProtocolError "fmp4" naming the track: no configuration,
 * malformed configuration, unknown picture size, unsupported codec, duplicate track_IDs).
 */
import { ProtocolError } from "../../core/errors.ts";
import type { Track } from "../../core/track.ts";
import { BoxWriter } from "./box-writer.ts";
import { resolveSampleEntry, writeSampleEntry, type ResolvedEntry } from "./sample-entry.ts";

export interface InitTrack {
  track: Track;
  /** track_ID in tkhd/trex and in every traf of this track's fragments (1..2^32-1). */
  trackId: number;
  /** Ticks per second of the fragments' decode times; default the track's clock. */
  timescale?: number;
  /** Picture size override; default track.info, else read from the configuration. */
  width?: number;
  height?: number;
}

export interface InitOptions {
  /** ftyp major_brand (default "iso6"); the compatible brands are always iso6 cmfc mp41 dash. */
  majorBrand?: "iso6" | "cmfc";
}

const COMPATIBLE_BRANDS = ["iso6", "cmfc", "mp41", "dash"];
/** mvhd timescale: the movie has no duration of its own (fragmented), any value will do. */
const MOVIE_TIMESCALE = 1000;
/** §8.3.2: track_enabled | track_in_movie. */
const TKHD_FLAGS = 0x000003;
/** ISO 639-2/T "und" packed into 3×5 bits (§8.4.2.3). */
const LANGUAGE_UND = 0x55c4;
const UNITY_MATRIX = [0x0001_0000, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000];

interface TrackPlan {
  trackId: number;
  timescale: number;
  entry: ResolvedEntry;
}

export class InitSegment {
  private readonly majorBrand: string;
  private readonly plans: TrackPlan[];
  private readonly size: number;

  constructor(tracks: readonly InitTrack[], opts: InitOptions = {}) {
    if (tracks.length === 0) throw new ProtocolError("fmp4", "invalid", "init segment without tracks");
    this.majorBrand = opts.majorBrand ?? "iso6";
    const seen = new Set<number>();
    this.plans = tracks.map((t) => {
      const name = `track ${t.track.id} (${t.track.codec})`;
      if (!Number.isInteger(t.trackId) || t.trackId < 1 || t.trackId > 0xffff_ffff) {
        throw new ProtocolError("fmp4", "invalid", `${name}: track_ID ${t.trackId} outside 1..2^32-1`);
      }
      if (seen.has(t.trackId)) throw new ProtocolError("fmp4", "invalid", `${name}: track_ID ${t.trackId} used twice`);
      seen.add(t.trackId);
      const timescale = t.timescale ?? t.track.clockRate;
      if (!Number.isInteger(timescale) || timescale < 1 || timescale > 0xffff_ffff) {
        throw new ProtocolError("fmp4", "invalid", `${name}: timescale ${timescale} outside 1..2^32-1`);
      }
      return { trackId: t.trackId, timescale, entry: resolveSampleEntry(t.track, t) };
    });
    const m = BoxWriter.measure();
    this.write(m);
    this.size = m.off;
  }

  encodedSize(): number {
    return this.size;
  }

  /** Writes ftyp+moov at `offset`; returns the bytes written (= encodedSize()). */
  encodeTo(buf: Uint8Array, offset: number): number {
    if (buf.length - offset < this.size) throw new RangeError(`init segment needs ${this.size} bytes, ${buf.length - offset} left`);
    const w = new BoxWriter(buf, offset);
    this.write(w);
    return w.off - offset;
  }

  /** The init segment in a new buffer (init segments are rare: one allocation is fine). */
  toBytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    this.encodeTo(out, 0);
    return out;
  }

  private write(w: BoxWriter): void {
    const ftyp = w.begin("ftyp");
    w.fourcc(this.majorBrand);
    w.u32(0); // minor_version
    for (const b of COMPATIBLE_BRANDS) w.fourcc(b);
    w.end(ftyp);

    const moov = w.begin("moov");
    writeMvhd(w, Math.max(...this.plans.map((p) => p.trackId)) + 1);
    for (const p of this.plans) writeTrak(w, p);
    const mvex = w.begin("mvex");
    for (const p of this.plans) {
      const trex = w.beginFull("trex", 0, 0); // §8.8.3: defaults unused, every trun says its own
      w.u32(p.trackId);
      w.u32(1); // default_sample_description_index
      w.u32(0); // default_sample_duration
      w.u32(0); // default_sample_size
      w.u32(0); // default_sample_flags
      w.end(trex);
    }
    w.end(mvex);
    w.end(moov);
  }
}

/** The init segment of `tracks` as one buffer. */
export function buildInitSegment(tracks: readonly InitTrack[], opts: InitOptions = {}): Uint8Array {
  return new InitSegment(tracks, opts).toBytes();
}

/** §8.2.2 (version 0, times 0: a live presentation has no creation time or duration). */
function writeMvhd(w: BoxWriter, nextTrackId: number): void {
  const at = w.beginFull("mvhd", 0, 0);
  w.u32(0); // creation_time
  w.u32(0); // modification_time
  w.u32(MOVIE_TIMESCALE);
  w.u32(0); // duration
  w.u32(0x0001_0000); // rate 1.0
  w.u16(0x0100); // volume 1.0
  w.zeros(10); // reserved
  for (const v of UNITY_MATRIX) w.u32(v);
  w.zeros(24); // pre_defined[6]
  w.u32(nextTrackId > 0xffff_ffff ? 0xffff_ffff : nextTrackId);
  w.end(at);
}

function writeTrak(w: BoxWriter, p: TrackPlan): void {
  const e = p.entry;
  const video = e.kind === "video";
  const trak = w.begin("trak");

  const tkhd = w.beginFull("tkhd", 0, TKHD_FLAGS); // §8.3.2
  w.u32(0); // creation_time
  w.u32(0); // modification_time
  w.u32(p.trackId);
  w.u32(0); // reserved
  w.u32(0); // duration
  w.zeros(8); // reserved[2]
  w.u16(0); // layer
  w.u16(0); // alternate_group
  w.u16(video ? 0 : 0x0100); // volume
  w.u16(0); // reserved
  for (const v of UNITY_MATRIX) w.u32(v);
  w.u32(e.width * 0x10000); // 16.16
  w.u32(e.height * 0x10000);
  w.end(tkhd);

  const mdia = w.begin("mdia");
  const mdhd = w.beginFull("mdhd", 0, 0); // §8.4.2
  w.u32(0); // creation_time
  w.u32(0); // modification_time
  w.u32(p.timescale);
  w.u32(0); // duration
  w.u16(LANGUAGE_UND);
  w.u16(0); // pre_defined
  w.end(mdhd);

  const hdlr = w.beginFull("hdlr", 0, 0); // §8.4.3
  w.u32(0); // pre_defined
  w.fourcc(video ? "vide" : "soun");
  w.zeros(12); // reserved[3]
  w.cstring(video ? "VideoHandler" : "SoundHandler");
  w.end(hdlr);

  const minf = w.begin("minf");
  if (video) {
    const vmhd = w.beginFull("vmhd", 0, 1); // §12.1.2: flags 1
    w.zeros(8); // graphicsmode, opcolor[3]
    w.end(vmhd);
  } else {
    const smhd = w.beginFull("smhd", 0, 0); // §12.2.2
    w.u32(0); // balance, reserved
    w.end(smhd);
  }
  const dinf = w.begin("dinf");
  const dref = w.beginFull("dref", 0, 0); // §8.7.2
  w.u32(1); // entry_count
  const url = w.beginFull("url ", 0, 1); // flags 1: media data in this file
  w.end(url);
  w.end(dref);
  w.end(dinf);

  const stbl = w.begin("stbl");
  const stsd = w.beginFull("stsd", 0, 0); // §8.5.2
  w.u32(1); // entry_count
  writeSampleEntry(w, e);
  w.end(stsd);
  for (const type of ["stts", "stsc", "stco"]) {
    const at = w.beginFull(type, 0, 0);
    w.u32(0); // entry_count: samples live in the fragments
    w.end(at);
  }
  const stsz = w.beginFull("stsz", 0, 0);
  w.u32(0); // sample_size
  w.u32(0); // sample_count
  w.end(stsz);
  w.end(stbl);
  w.end(minf);
  w.end(mdia);
  w.end(trak);
}
