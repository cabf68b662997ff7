/**
 * AV1 OBU framing (AV1 spec §5.3) and the sequence header OBU (§5.5), read far enough to build an
 * av1C and learn the maximum frame size.
 */
import { ProtocolError } from "../core/errors.ts";
import { BitReader, readLeb128 } from "./bits.ts";

export const OBU_SEQUENCE_HEADER = 1;
export const OBU_TEMPORAL_DELIMITER = 2;
export const OBU_FRAME_HEADER = 3;
export const OBU_TILE_GROUP = 4;
export const OBU_METADATA = 5;
export const OBU_FRAME = 6;
export const OBU_REDUNDANT_FRAME_HEADER = 7;
export const OBU_PADDING = 15;

/**
 * Allocation-free walk over low-overhead OBUs (§5.2): `reset`, then `while (r.next())` reads `type`,
 * `start`/`end` of the whole OBU and `payloadStart` (after header and size). An OBU without
 * obu_has_size_field runs to the end of the buffer (§5.3.1).
 */
export class ObuReader {
  buf: Uint8Array;
  type: number;
  start: number;
  payloadStart: number;
  end: number;
  private pos: number;
  private limit: number;
  private readonly leb: { value: number };

  constructor() {
    this.buf = EMPTY;
    this.type = 0;
    this.start = this.payloadStart = this.end = 0;
    this.pos = this.limit = 0;
    this.leb = { value: 0 };
  }

  reset(buf: Uint8Array, offset = 0, length = buf.length - offset): this {
    this.buf = buf;
    this.pos = offset;
    this.limit = offset + length;
    this.type = 0;
    this.start = this.payloadStart = this.end = offset;
    return this;
  }

  next(): boolean {
    const b = this.buf;
    let pos = this.pos;
    if (pos >= this.limit) return false;
    const header = b[pos]!;
    if (header & 0x80) throw new ProtocolError("codec", "invalid", `OBU forbidden bit set at ${pos}`);
    this.start = pos;
    this.type = (header >>> 3) & 0xf;
    pos += header & 0x04 ? 2 : 1; // obu_extension_flag adds temporal/spatial ids
    if (pos > this.limit) throw new ProtocolError("codec", "truncated", "OBU extension header past the end");
    let size: number;
    if (header & 0x02) {
      const n = readLeb128(b, pos, this.limit, this.leb);
      if (n === 0) throw new ProtocolError("codec", "truncated", "OBU size past the end");
      pos += n;
      size = this.leb.value;
      if (size > this.limit - pos) throw new ProtocolError("codec", "truncated", `OBU of ${size} bytes > ${this.limit - pos} left`);
    } else {
      size = this.limit - pos;
    }
    this.payloadStart = pos;
    this.end = pos + size;
    this.pos = this.end;
    return true;
  }
}

const EMPTY = new Uint8Array(0);

/** Calls `fn(type, payload)` for each OBU (convenience form of ObuReader). */
export function forEachObu(buf: Uint8Array, fn: (type: number, payload: Uint8Array, obu: Uint8Array) => void): void {
  const r = new ObuReader().reset(buf);
  while (r.next()) fn(r.type, buf.subarray(r.payloadStart, r.end), buf.subarray(r.start, r.end));
}

export interface Av1SequenceHeader {
  seqProfile: number;
  stillPicture: boolean;
  reducedStillPictureHeader: boolean;
  seqLevelIdx0: number;
  seqTier0: number;
  maxFrameWidth: number;
  maxFrameHeight: number;
  frameIdNumbersPresent: boolean;
  highBitdepth: boolean;
  twelveBit: boolean;
  bitDepth: number;
  monochrome: boolean;
  chromaSubsamplingX: number;
  chromaSubsamplingY: number;
  chromaSamplePosition: number;
  /** From timing_info (§5.5.3) when present and the picture interval is fixed. */
  frameRate?: number;
}

/** Parses a sequence_header_obu() payload (after the OBU header and size). */
export function parseAv1SequenceHeader(payload: Uint8Array): Av1SequenceHeader {
  const r = new BitReader(payload);
  const seqProfile = r.readBits(3);
  if (seqProfile > 2) throw new ProtocolError("codec", "invalid", `seq_profile ${seqProfile} > 2`);
  const stillPicture = r.readFlag();
  const reduced = r.readFlag();
  let seqLevelIdx0 = 0;
  let seqTier0 = 0;
  let frameRate: number | undefined;
  if (reduced) {
    seqLevelIdx0 = r.readBits(5);
  } else {
    let bufferDelayLength = 0;
    let decoderModelInfo = false;
    if (r.readFlag()) {
      // timing_info() §5.5.3
      const numUnitsInDisplayTick = r.readBits(32);
      const timeScale = r.readBits(32);
      if (r.readFlag()) {
        const ticksPerPicture = readUvlc(r) + 1;
        if (numUnitsInDisplayTick > 0) frameRate = timeScale / (numUnitsInDisplayTick * ticksPerPicture);
      }
      decoderModelInfo = r.readFlag();
      if (decoderModelInfo) {
        bufferDelayLength = r.readBits(5) + 1;
        r.skip(32 + 5 + 5); // num_units_in_decoding_tick, buffer_removal_time_length, frame_presentation_time_length
      }
    }
    const initialDisplayDelay = r.readFlag();
    const points = r.readBits(5) + 1;
    for (let i = 0; i < points; i++) {
      r.skip(12); // operating_point_idc
      const level = r.readBits(5);
      const tier = level > 7 ? r.readBit() : 0;
      if (i === 0) {
        seqLevelIdx0 = level;
        seqTier0 = tier;
      }
      if (decoderModelInfo && r.readFlag()) r.skip(2 * bufferDelayLength + 1);
      if (initialDisplayDelay && r.readFlag()) r.skip(4);
    }
  }
  const widthBits = r.readBits(4) + 1;
  const heightBits = r.readBits(4) + 1;
  const maxFrameWidth = r.readBits(widthBits) + 1;
  const maxFrameHeight = r.readBits(heightBits) + 1;
  const frameIdNumbersPresent = reduced ? false : r.readFlag();
  if (frameIdNumbersPresent) r.skip(4 + 3);
  r.skip(3); // use_128x128_superblock, enable_filter_intra, enable_intra_edge_filter
  if (!reduced) {
    r.skip(4); // interintra_compound, masked_compound, warped_motion, dual_filter
    const orderHint = r.readFlag();
    if (orderHint) r.skip(2); // jnt_comp, ref_frame_mvs
    const chooseScreenContent = r.readFlag();
    const forceScreenContent = chooseScreenContent ? 2 : r.readBit();
    if (forceScreenContent > 0 && !r.readFlag()) r.skip(1); // seq_choose_integer_mv, else seq_force_integer_mv
    if (orderHint) r.skip(3); // order_hint_bits_minus_1
  }
  r.skip(3); // enable_superres, enable_cdef, enable_restoration
  // color_config() §5.5.2
  const highBitdepth = r.readFlag();
  const twelveBit = seqProfile === 2 && highBitdepth ? r.readFlag() : false;
  const bitDepth = twelveBit ? 12 : highBitdepth ? 10 : 8;
  const monochrome = seqProfile === 1 ? false : r.readFlag();
  let cp = 2, tc = 2, mc = 2;
  if (r.readFlag()) {
    cp = r.readBits(8);
    tc = r.readBits(8);
    mc = r.readBits(8);
  }
  let ssx = 1, ssy = 1, csp = 0;
  if (monochrome) {
    r.skip(1); // color_range
  } else if (cp === 1 && tc === 13 && mc === 0) {
    ssx = ssy = 0; // sRGB: 4:4:4, full range
  } else {
    r.skip(1); // color_range
    if (seqProfile === 0) ssx = ssy = 1;
    else if (seqProfile === 1) ssx = ssy = 0;
    else if (bitDepth === 12) {
      ssx = r.readBit();
      ssy = ssx ? r.readBit() : 0;
    } else {
      ssx = 1;
      ssy = 0;
    }
    if (ssx && ssy) csp = r.readBits(2);
  }
  const seq: Av1SequenceHeader = {
    seqProfile, stillPicture, reducedStillPictureHeader: reduced, seqLevelIdx0, seqTier0, maxFrameWidth, maxFrameHeight,
    frameIdNumbersPresent, highBitdepth, twelveBit, bitDepth, monochrome, chromaSubsamplingX: ssx, chromaSubsamplingY: ssy,
    chromaSamplePosition: csp,
  };
  if (frameRate !== undefined && Number.isFinite(frameRate)) seq.frameRate = frameRate;
  return seq;
}

/** uvlc() (§4.10.3). */
function readUvlc(r: BitReader): number {
  let zeros = 0;
  while (r.readBit() === 0) {
    if (++zeros >= 32) throw new ProtocolError("codec", "invalid", "uvlc longer than 32 bits");
  }
  return 2 ** zeros - 1 + r.readBits(zeros);
}
