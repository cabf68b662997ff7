/**
 * RTP payloads to H.264 frames, RFC 6184 packetization-mode=1: single NAL unit packets (§5.6),
 * STAP-A (§5.7.1) and FU-A (§5.8). STAP-B, MTAP16/24 and FU-B belong to the interleaved mode we
 * never negotiate: counted as unsupported, and their frame dropped.
 *
 * Frames come out as 4-byte length-prefixed NAL units (our Frame payload form), as MPEG-TS ingest
 * makes them (video-es.ts): SPS and PPS leave the frame for the sink's `onParameterSets` (called
 * when first seen and whenever either changes, before the frame they came with, so the ingest can
 * build the track's avcC); access unit delimiters and filler data are dropped; a keyframe holds an
 * IDR slice.
 */
import { Depacketizer, type DepacketizerOptions, type FrameSink } from "./depacketizer.ts";
import { NAL_FU_A, NAL_STAP_A } from "./h264-packetizer.ts";

export interface H264Sink extends FrameSink {
  /** The stream's newest SPS and PPS (views valid only during the call). */
  onParameterSets(sps: Uint8Array, pps: Uint8Array): void;
}

/** An SPS with every VUI field and scaling lists stays well under this. */
export const MAX_PARAMETER_SET_BYTES = 2048;

const NAL_IDR = 5;
const NAL_SPS = 7;
const NAL_PPS = 8;
const NAL_AUD = 9;
const NAL_FILLER = 12;

export class H264Depacketizer extends Depacketizer {
  protected override readonly sink: H264Sink;
  /** Frame offset of the length prefix of the FU-A NAL unit being reassembled, -1 for none. */
  private fuStart: number;
  private key: boolean;
  private readonly sps: Uint8Array;
  private readonly pps: Uint8Array;
  private spsLength: number;
  private ppsLength: number;
  private paramsChanged: boolean;

  constructor(sink: H264Sink, opts: DepacketizerOptions = {}) {
    super(sink, true, opts);
    this.sink = sink;
    this.fuStart = -1;
    this.key = false;
    this.sps = new Uint8Array(MAX_PARAMETER_SET_BYTES);
    this.pps = new Uint8Array(MAX_PARAMETER_SET_BYTES);
    this.spsLength = 0;
    this.ppsLength = 0;
    this.paramsChanged = false;
  }

  protected begin(): void {
    this.fuStart = -1;
    this.key = false;
  }

  protected startsFrame(p: Uint8Array): boolean {
    if (p.length < 2) return false;
    const type = p[0]! & 0x1f;
    if (type > 0 && type < 24) return startsAccessUnit(p[0]!, p[1]!);
    if (type === NAL_STAP_A) return p.length >= 5 && startsAccessUnit(p[3]!, p[4]!);
    if (type === NAL_FU_A) return p.length >= 3 && (p[1]! & 0x80) !== 0 && startsAccessUnit(p[1]!, p[2]!);
    return false;
  }

  protected packet(p: Uint8Array, _marker: boolean): boolean {
    const st = this.stats;
    if (p.length < 1) return this.malformed();
    const type = p[0]! & 0x1f;
    if (this.fuStart >= 0 && type !== NAL_FU_A) return this.malformed(); // an FU-A never ended
    if (type > 0 && type < 24) return this.nal(p, 0, p.length);
    if (type === NAL_STAP_A) {
      let pos = 1;
      if (p.length < 4) return this.malformed();
      while (pos < p.length) {
        if (p.length - pos < 3) return this.malformed();
        const size = (p[pos]! << 8) | p[pos + 1]!;
        pos += 2;
        if (size === 0 || size > p.length - pos) return this.malformed();
        if (!this.nal(p, pos, pos + size)) return false;
        pos += size;
      }
      return true;
    }
    if (type === NAL_FU_A) return this.fragment(p);
    st.unsupported++; // 0, 30, 31 undefined; 25-27, 29 interleaved mode only
    return false;
  }

  protected finish(): number {
    if (this.fuStart >= 0) {
      this.stats.malformed++; // the frame ended inside a fragmented NAL unit
      return -1;
    }
    if (this.paramsChanged && this.spsLength > 0 && this.ppsLength > 0) {
      this.paramsChanged = false;
      this.sink.onParameterSets(this.sps.subarray(0, this.spsLength), this.pps.subarray(0, this.ppsLength));
    }
    return this.key ? 1 : 0;
  }

  private malformed(): boolean {
    this.stats.malformed++;
    return false;
  }

  /** One whole NAL unit `src[s, e)` into the frame, or into the parameter sets. */
  private nal(src: Uint8Array, s: number, e: number): boolean {
    const type = src[s]! & 0x1f;
    if (type === NAL_SPS || type === NAL_PPS) return this.parameterSet(type, src, s, e);
    if (type === NAL_AUD || type === NAL_FILLER) return true;
    if (type === NAL_IDR) this.key = true;
    if (!this.ensure(4 + e - s)) return false;
    writeLength(this.buf, this.size, e - s);
    this.buf.set(src.subarray(s, e), this.size + 4);
    this.size += 4 + e - s;
    return true;
  }

  /** FU-A (§5.8): the NAL header comes back from the FU indicator's F/NRI and the FU header's type. */
  private fragment(p: Uint8Array): boolean {
    if (p.length < 3) return this.malformed();
    const fu = p[1]!;
    if (fu & 0x80) {
      if (this.fuStart >= 0) return this.malformed();
      if (!this.ensure(5 + p.length - 2)) return false;
      this.fuStart = this.size;
      this.buf[this.size + 4] = (p[0]! & 0xe0) | (fu & 0x1f);
      this.size += 5;
    } else if (this.fuStart < 0) {
      return this.malformed(); // a middle or end without its start
    }
    if (!this.append(p, 2, p.length)) return false;
    if ((fu & 0x40) === 0) return true;
    const at = this.fuStart;
    this.fuStart = -1;
    const len = this.size - at - 4;
    const type = this.buf[at + 4]! & 0x1f;
    if (type === NAL_SPS || type === NAL_PPS || type === NAL_AUD || type === NAL_FILLER) {
      this.size = at;
      return type === NAL_AUD || type === NAL_FILLER || this.parameterSet(type, this.buf, at + 4, at + 4 + len);
    }
    if (type === NAL_IDR) this.key = true;
    writeLength(this.buf, at, len);
    return true;
  }

  private parameterSet(type: number, src: Uint8Array, s: number, e: number): boolean {
    const len = e - s;
    if (len > MAX_PARAMETER_SET_BYTES) return this.malformed();
    const dst = type === NAL_SPS ? this.sps : this.pps;
    const cur = type === NAL_SPS ? this.spsLength : this.ppsLength;
    if (cur === len && equalRange(dst, src, s, len)) return true;
    dst.set(src.subarray(s, e));
    if (type === NAL_SPS) this.spsLength = len;
    else this.ppsLength = len;
    this.paramsChanged = true;
    return true;
  }
}

/** A NAL unit that can only open an access unit (H.264 §7.4.1.2.3): SEI, parameter sets, AUD, or a first slice. */
function startsAccessUnit(header: number, next: number): boolean {
  const t = header & 0x1f;
  if (t >= 6 && t <= 9) return true;
  if (t === 1 || t === NAL_IDR) return (next & 0x80) !== 0; // first_mb_in_slice = 0: ue(v) '1'
  return false;
}

function writeLength(buf: Uint8Array, at: number, len: number): void {
  buf[at] = len >>> 24;
  buf[at + 1] = (len >>> 16) & 0xff;
  buf[at + 2] = (len >>> 8) & 0xff;
  buf[at + 3] = len & 0xff;
}

function equalRange(a: Uint8Array, b: Uint8Array, s: number, len: number): boolean {
  for (let i = 0; i < len; i++) if (a[i] !== b[s + i]) return false;
  return true;
}
