/**
 * What differs per WHEP viewer in the RtpWriter's packets, written at the fixed offsets of its
 * layout (see writer.ts): the payload type each viewer negotiated per track, the one-byte header
 * extension ids it negotiated (RFC 8285 §4.2; the same in every section of a BUNDLE group, RFC 8843
 * §9.2), its mid per track, its transport-wide sequence number and the abs-send-time. Every
 * per-viewer byte is rewritten on each call, so a packet may be patched in place in the shared
 * ring right before this viewer's SRTP protect reads it (everything runs on one thread: no other
 * viewer sees the bytes in between), or in a copy. A negotiated extension left out is zeros:
 * padding.
 */
import { assert } from "../../core/errors.ts";
import { MAX_ONE_BYTE_ID } from "./wire/rtp-extensions.ts";
import { ABS_SEND_TIME_OFFSET, EXTENSION_BLOCK_OFFSET, EXTENSION_BLOCK_SIZE, MAX_MID_LENGTH, MID_OFFSET, PAYLOAD_TYPE_OFFSET, TRANSPORT_CC_OFFSET } from "./writer.ts";

/** Stream tracks a viewer patch knows (a stream has one per kind; room to spare). */
export const MAX_PATCH_TRACKS = 8;
/** The extension elements after the block's 4-byte header. */
const ELEMENTS = EXTENSION_BLOCK_SIZE - 4;
const ELEMENTS_OFFSET = EXTENSION_BLOCK_OFFSET + 4;

export interface ViewerTrackOptions {
  payloadType: number;
  /** The section's mid, sent when `midId` is set. */
  mid?: string;
  midId?: number;
  absSendTimeId?: number;
  transportCcId?: number;
}

export class RtpViewerPatch {
  /** Per stream track: the payload type this viewer negotiated, -1 when the track is not sent to it. */
  readonly payloadTypes: Int16Array;
  /** Per stream track: the 24 element bytes of the extension block, ids and mid filled in. */
  private readonly elements: Uint8Array;
  private readonly hasAbsSendTime: Uint8Array;
  private readonly hasTransportCc: Uint8Array;

  constructor() {
    this.payloadTypes = new Int16Array(MAX_PATCH_TRACKS).fill(-1);
    this.elements = new Uint8Array(MAX_PATCH_TRACKS * ELEMENTS);
    this.hasAbsSendTime = new Uint8Array(MAX_PATCH_TRACKS);
    this.hasTransportCc = new Uint8Array(MAX_PATCH_TRACKS);
  }

  /** What this viewer negotiated for stream track `track` (once, when its session is set up). */
  setTrack(track: number, o: ViewerTrackOptions): void {
    assert(track >= 0 && track < MAX_PATCH_TRACKS, `track ${track} outside 0..${MAX_PATCH_TRACKS - 1}`);
    assert(o.payloadType >= 0 && o.payloadType <= 127, `payload type ${o.payloadType} outside 0..127`);
    for (const id of [o.midId, o.absSendTimeId, o.transportCcId]) assert(id === undefined || (id >= 0 && id <= MAX_ONE_BYTE_ID), `extension id ${id} outside 1..14`);
    this.payloadTypes[track] = o.payloadType;
    const e = this.elements;
    const base = track * ELEMENTS;
    e.fill(0, base, base + ELEMENTS);
    // Element offsets within the elements: transport-cc at 0, abs-send-time at 3, mid at 7.
    if (o.transportCcId) e[base] = (o.transportCcId << 4) | 1;
    if (o.absSendTimeId) e[base + ABS_SEND_TIME_OFFSET - ELEMENTS_OFFSET] = (o.absSendTimeId << 4) | 2;
    if (o.midId && o.mid) {
      assert(o.mid.length <= MAX_MID_LENGTH, `mid "${o.mid}" longer than ${MAX_MID_LENGTH} bytes`);
      const m = base + MID_OFFSET - ELEMENTS_OFFSET;
      e[m] = (o.midId << 4) | (o.mid.length - 1);
      for (let i = 0; i < o.mid.length; i++) e[m + 1 + i] = o.mid.charCodeAt(i);
    }
    this.hasTransportCc[track] = o.transportCcId ? 1 : 0;
    this.hasAbsSendTime[track] = o.absSendTimeId ? 1 : 0;
  }

  /** The track is not sent to this viewer. */
  clearTrack(track: number): void {
    this.payloadTypes[track] = -1;
  }

  /**
   * Writes this viewer's bytes into the packet at buf[at] of stream track `track`: payload type,
   * extension elements, `transportSeq` (16 bits) and `absSendTime` (24 bits, absSendTimeFromMs).
   * Returns false (nothing written) when the track is not sent to this viewer.
   */
  apply(buf: Uint8Array, at: number, track: number, transportSeq: number, absSendTime: number): boolean {
    const pt = this.payloadTypes[track]!;
    if (pt < 0) return false;
    buf[at + PAYLOAD_TYPE_OFFSET] = (buf[at + PAYLOAD_TYPE_OFFSET]! & 0x80) | pt;
    const e = this.elements;
    const base = track * ELEMENTS;
    const o = at + ELEMENTS_OFFSET;
    for (let i = 0; i < ELEMENTS; i++) buf[o + i] = e[base + i]!;
    if (this.hasTransportCc[track] === 1) {
      buf[at + TRANSPORT_CC_OFFSET + 1] = transportSeq >>> 8;
      buf[at + TRANSPORT_CC_OFFSET + 2] = transportSeq;
    }
    if (this.hasAbsSendTime[track] === 1) {
      buf[at + ABS_SEND_TIME_OFFSET + 1] = absSendTime >>> 16;
      buf[at + ABS_SEND_TIME_OFFSET + 2] = absSendTime >>> 8;
      buf[at + ABS_SEND_TIME_OFFSET + 3] = absSendTime;
    }
    return true;
  }
}
