/**
 * Builders for hand-made transport streams (the case table, the tests and the fuzz seeds): packets
 * with any header, adaptation field and continuity counter, PES and sections split across packets.
 * Off the hot path; allocates freely.
 */
import { concatBytes } from "../../core/bytes.ts";
import { AFC_ADAPTATION, AFC_PAYLOAD, TS_HEADER_SIZE, TS_PACKET_SIZE, TS_PAYLOAD_SIZE, writeAdaptationField, writeTsHeader } from "./packet.ts";
import { encodePesHeader } from "./pes.ts";
import { encodePat, encodePmt, type PmtStream } from "./psi.ts";

export interface PacketOptions {
  pusi?: boolean;
  /** Continuity counter to write instead of the PID's next one (the next one then follows it). */
  cc?: number;
  pcr90?: number;
  randomAccess?: boolean;
  discontinuity?: boolean;
  transportError?: boolean;
}

export class TsBuilder {
  private readonly ccs = new Map<number, number>();
  private readonly parts: Uint8Array[] = [];

  /** One packet with `payload` (≤ 184 bytes less the adaptation field), stuffed to 188. */
  packet(pid: number, payload: Uint8Array, o: PacketOptions = {}): this {
    const p = new Uint8Array(TS_PACKET_SIZE);
    const cc = o.cc ?? this.ccs.get(pid) ?? 0;
    const flags = o.pcr90 !== undefined || o.randomAccess || o.discontinuity;
    let af = flags ? (o.pcr90 !== undefined ? 8 : 2) : 0;
    if (payload.length < TS_PAYLOAD_SIZE - af) af = TS_PAYLOAD_SIZE - payload.length;
    if (payload.length > TS_PAYLOAD_SIZE - af) throw new Error(`payload of ${payload.length} does not fit`);
    const afc = (af ? AFC_ADAPTATION : 0) | (payload.length ? AFC_PAYLOAD : 0);
    writeTsHeader(p, 0, pid, !!o.pusi, afc, cc);
    if (o.transportError) p[1] = p[1]! | 0x80;
    if (af) {
      writeAdaptationField(p, TS_HEADER_SIZE, af, !!o.randomAccess, o.pcr90 ?? -1);
      if (o.discontinuity && af > 1) p[TS_HEADER_SIZE + 1] = p[TS_HEADER_SIZE + 1]! | 0x80;
    }
    p.set(payload, TS_HEADER_SIZE + af);
    this.ccs.set(pid, payload.length ? (cc + 1) & 0xf : cc);
    this.parts.push(p);
    return this;
  }

  /** A PES (or any payload unit) over as many packets as it needs; `chunk` bytes per packet at most. */
  unit(pid: number, data: Uint8Array, o: PacketOptions & { chunk?: number } = {}): this {
    const first = Math.min(o.chunk ?? TS_PAYLOAD_SIZE, TS_PAYLOAD_SIZE - (o.pcr90 !== undefined ? 8 : o.randomAccess ? 2 : 0));
    this.packet(pid, data.subarray(0, first), { ...o, pusi: true });
    for (let pos = first; pos < data.length; pos += o.chunk ?? TS_PAYLOAD_SIZE) {
      this.packet(pid, data.subarray(pos, pos + (o.chunk ?? TS_PAYLOAD_SIZE)));
    }
    return this;
  }

  /** A section behind a pointer_field of 0, split over packets of `chunk` payload bytes. */
  section(pid: number, section: Uint8Array, chunk = TS_PAYLOAD_SIZE): this {
    return this.unit(pid, concatBytes([Uint8Array.of(0), section]), { chunk });
  }

  raw(bytes: Uint8Array): this {
    this.parts.push(bytes);
    return this;
  }

  bytes(): Uint8Array {
    return concatBytes(this.parts);
  }
}

export function patSection(pmtPid: number, version = 0): Uint8Array {
  const out = new Uint8Array(16);
  encodePat(out, 0, 1, 1, pmtPid, version);
  return out;
}

export function pmtSection(pcrPid: number, streams: Partial<PmtStream>[], version = 0): Uint8Array {
  const full = streams.map((s) => ({ streamType: 0, pid: 0, registration: 0, opusChannelCode: -1, ...s }));
  const out = new Uint8Array(1024);
  const len = encodePmt(out, 0, { programNumber: 1, version, pcrPid, streams: full });
  return out.slice(0, len);
}

/** A whole PES; video (unbounded) gets PES_packet_length 0. */
export function pesPacket(streamId: number, payload: Uint8Array, pts: number, dts = -1, unbounded = streamId >= 0xe0): Uint8Array {
  if (pts < 0) return concatBytes([Uint8Array.of(0, 0, 1, streamId, 0, 0, 0x80, 0, 0), payload]); // no PTS (video: unbounded)
  const head = new Uint8Array(19);
  const n = encodePesHeader(head, 0, streamId, payload.length, unbounded, pts, dts);
  return concatBytes([head.subarray(0, n), payload]);
}

/** Annex B with 4-byte start codes for the first unit and 3-byte ones after it (as x264 writes). */
export function annexB(...nals: Uint8Array[]): Uint8Array {
  return concatBytes(nals.flatMap((n, i) => [i === 0 ? Uint8Array.of(0, 0, 0, 1) : Uint8Array.of(0, 0, 1), n]));
}

/** 4-byte length-prefixed NAL units (the common frame format). */
export function lengthPrefixed(...nals: Uint8Array[]): Uint8Array {
  return concatBytes(nals.flatMap((n) => [Uint8Array.of(n.length >>> 24, (n.length >>> 16) & 0xff, (n.length >>> 8) & 0xff, n.length & 0xff), n]));
}

/** A NAL unit of `size` bytes after `header`, with no start code emulation inside. */
export function fakeNal(header: number[], size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(header.length + size);
  out.set(header);
  for (let i = 0; i < size; i++) out[header.length + i] = 1 + ((i * 31 + seed * 17) % 254);
  return out;
}

/** An ADTS frame (no CRC) around a raw AAC payload: AAC LC, sampling index, channel configuration. */
export function adtsFrame(payload: Uint8Array, samplingIndex = 4, channels = 2): Uint8Array {
  const len = payload.length + 7;
  const h = Uint8Array.of(0xff, 0xf1, (1 << 6) | (samplingIndex << 2) | (channels >>> 2), ((channels & 3) << 6) | (len >>> 11),
    (len >>> 3) & 0xff, ((len & 7) << 5) | 0x1f, 0xfc);
  return concatBytes([h, payload]);
}

/** Opus access unit: control header (optionally with a start trim) and the packet. */
export function opusUnit(packet: Uint8Array, startTrim = -1): Uint8Array {
  const size: number[] = [];
  let n = packet.length;
  while (n >= 255) {
    size.push(255);
    n -= 255;
  }
  size.push(n);
  const trim = startTrim >= 0 ? [startTrim >>> 8, startTrim & 0xff] : [];
  return concatBytes([Uint8Array.of(0x7f, startTrim >= 0 ? 0xf0 : 0xe0, ...size, ...trim), packet]);
}
