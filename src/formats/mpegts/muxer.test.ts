import { describe, expect, test } from "bun:test";
import { concatBytes } from "../../core/bytes.ts";
import type { Frame } from "../../core/frame.ts";
import type { Track } from "../../core/track.ts";
import { makeFrames, makeTrack } from "./mux-fixtures.ts";
import { FIRST_ES_PID, PCR_INTERVAL_MS, PMT_PID, TsMuxer } from "./muxer.ts";
import { decodeTsPacket, TS_PACKET_SIZE, TsPacketHeader } from "./packet.ts";
import { decodePmt } from "./psi.ts";
import { readTimestamp } from "./pes.ts";

function mux(tracks: Track[], frames: Frame[], m = new TsMuxer(tracks)): { out: Uint8Array; psiStarts: boolean[] } {
  const parts: Uint8Array[] = [];
  const psiStarts: boolean[] = [];
  for (const f of frames) {
    const n = m.encodedSize(f);
    if (n === 0) continue;
    const buf = new Uint8Array(n + 10);
    expect(m.encodeTo(buf, 5)).toBe(n);
    parts.push(buf.subarray(5, 5 + n));
    psiStarts.push(m.startsWithPsi);
  }
  return { out: concatBytes(parts), psiStarts };
}

function packets(out: Uint8Array): { h: TsPacketHeader; p: Uint8Array }[] {
  expect(out.length % TS_PACKET_SIZE).toBe(0);
  const list = [];
  for (let o = 0; o < out.length; o += TS_PACKET_SIZE) {
    const h = new TsPacketHeader();
    decodeTsPacket(out, o, h);
    list.push({ h, p: out.subarray(o, o + TS_PACKET_SIZE) });
  }
  return list;
}

describe("TsMuxer", () => {
  const tracks = [makeTrack(0, "h264"), makeTrack(1, "aac")];
  const frames = makeFrames({ id: 0, codec: "h264", fps: 30, gop: 30 }, { id: 1, samples: 1024 }, 3);

  test("continuity counters run per PID; AF-only packets repeat the last one", () => {
    const last = new Map<number, number>();
    for (const { h } of packets(mux(tracks, frames).out)) {
      const prev = last.get(h.pid);
      const payload = (h.afc & 1) !== 0;
      if (prev !== undefined) expect([h.pid, h.cc]).toEqual([h.pid, payload ? (prev + 1) & 15 : prev]);
      else if (!payload) expect(h.cc).toBe(15);
      last.set(h.pid, h.cc);
    }
  });

  test("PAT and PMT first, before every video keyframe and at least every 100 ms (+ one frame)", () => {
    const list = packets(mux(tracks, frames).out);
    expect([list[0]!.h.pid, list[1]!.h.pid]).toEqual([0, PMT_PID]);
    let psiAt = -1;
    let afterPsi = false;
    for (let i = 0; i < list.length; i++) {
      const { h, p } = list[i]!;
      if (h.pid === PMT_PID) afterPsi = true;
      if (!h.payloadUnitStart || h.pid < FIRST_ES_PID) continue;
      const dts90 = readTimestamp(p, h.payloadOffset + ((p[h.payloadOffset + 7]! >>> 6) === 3 ? 14 : 9));
      if (afterPsi) psiAt = dts90;
      afterPsi = false;
      if (h.randomAccess && h.pid === FIRST_ES_PID) expect(list[i - 1]!.h.pid).toBe(PMT_PID);
      expect(dts90 - psiAt).toBeLessThanOrEqual((100 + 1000 / 30) * 90);
    }
    const pmt = list[1]!.p;
    const section = pmt.subarray(5, 5 + 3 + (((pmt[6]! & 0xf) << 8) | pmt[7]!));
    const decoded = decodePmt(section, section.length);
    expect(decoded.pcrPid).toBe(FIRST_ES_PID);
    expect(decoded.streams.map((s) => [s.streamType, s.pid])).toEqual([[0x1b, 0x100], [0x0f, 0x101]]);
  });

  test("a PCR at least every 40 ms of media, never after the DTS of what follows", () => {
    // 10 fps video: the video PES alone would leave 100 ms gaps; audio frames bring PCR-only packets.
    const slow = makeFrames({ id: 0, codec: "h264", fps: 10, gop: 10 }, { id: 1, samples: 1024 }, 2);
    const m = new TsMuxer(tracks);
    const list = packets(mux(tracks, slow, m).out);
    let lastPcr = -1;
    let pcr = -1;
    let pcrOnly = 0;
    for (const { h, p } of list) {
      if (h.pcr >= 0) {
        expect(h.pid).toBe(FIRST_ES_PID);
        if (lastPcr >= 0) expect(h.pcr - lastPcr).toBeLessThanOrEqual(PCR_INTERVAL_MS * 27000);
        expect(h.pcr).toBeGreaterThanOrEqual(lastPcr);
        lastPcr = pcr = h.pcr;
        if (!(h.afc & 1)) pcrOnly++;
      }
      if (h.payloadUnitStart && h.pid >= FIRST_ES_PID) {
        const flags = p[h.payloadOffset + 7]! >>> 6;
        const dts = readTimestamp(p, h.payloadOffset + (flags === 3 ? 14 : 9));
        expect(dts * 300 - pcr).toBeGreaterThanOrEqual(m.timestampOffset90 * 300);
      }
    }
    expect(pcrOnly).toBeGreaterThan(20);
    // 30 fps video carries every PCR itself: no extra packets.
    expect(packets(mux(tracks, frames).out).filter(({ h }) => h.pcr >= 0 && !(h.afc & 1)).length).toBe(1);
  });

  test("stuffing goes into the adaptation field: each PES ends exactly at its last packet's end", () => {
    const units = new Map<number, number[][]>();
    for (const { h, p } of packets(mux(tracks, frames).out)) {
      if (h.pid < FIRST_ES_PID || !(h.afc & 1)) continue;
      const list = units.get(h.pid) ?? [];
      if (h.payloadUnitStart) list.push([]);
      list[list.length - 1]!.push(...p.subarray(h.payloadOffset));
      units.set(h.pid, list);
    }
    const video = frames.filter((f) => f.track === 0);
    const audio = frames.filter((f) => f.track === 1);
    expect(units.get(0x100)!.length).toBe(video.length);
    expect(units.get(0x101)!.length).toBe(audio.length);
    units.get(0x100)!.forEach((pes, i) => expect(pes[pes.length - 1]).toBe(video[i]!.payload[video[i]!.payload.length - 1]));
    // Audio PES carry PES_packet_length: it covers every byte, up to the raw frame's last.
    units.get(0x101)!.forEach((pes, i) => {
      expect(pes.length).toBe(6 + ((pes[4]! << 8) | pes[5]!));
      expect(pes.length).toBe(14 + 7 + audio[i]!.payload.length);
    });
  });

  test("frames of tracks without a configuration are skipped; a later track updates the PMT", () => {
    const video = makeTrack(0, "h264");
    const audio = makeTrack(1, "aac");
    audio.config = null;
    audio.configVersion = 0;
    const live: Track[] = [video, audio];
    const m = new TsMuxer(live);
    const audioFrame = frames.find((f) => f.track === 1)!;
    const videoFrame = frames.find((f) => f.track === 0)!;
    expect(m.encodedSize(audioFrame)).toBe(0);
    expect(m.framesSkipped).toBe(1);
    const n = m.encodedSize(videoFrame);
    const first = new Uint8Array(n);
    m.encodeTo(first, 0);
    audio.setConfig(makeTrack(1, "aac").config!, {});
    const size = m.encodedSize(audioFrame);
    expect(m.startsWithPsi).toBe(true); // the PMT changed
    const second = new Uint8Array(size);
    m.encodeTo(second, 0);
    const pmt = (buf: Uint8Array) => decodePmt(buf.subarray(TS_PACKET_SIZE + 5), 3 + (((buf[TS_PACKET_SIZE + 6]! & 0xf) << 8) | buf[TS_PACKET_SIZE + 7]!));
    expect(pmt(first).streams.length).toBe(1);
    expect(pmt(second).streams.length).toBe(2);
    expect(pmt(second).version).toBe((pmt(first).version + 1) & 31);
  });

  test("Opus: private PES with the registration and extension descriptors; H.265 stream type", () => {
    const t = [makeTrack(0, "h265"), makeTrack(1, "opus")];
    const out = mux(t, makeFrames({ id: 0, codec: "h265", fps: 25, gop: 25 }, { id: 1, samples: 960 }, 0.2)).out;
    const pmt = out.subarray(TS_PACKET_SIZE + 5);
    const s = decodePmt(pmt, 3 + (((pmt[1]! & 0xf) << 8) | pmt[2]!)).streams;
    expect(s).toEqual([
      { streamType: 0x24, pid: 0x100, registration: 0, opusChannelCode: -1 },
      { streamType: 0x06, pid: 0x101, registration: 0x4f707573, opusChannelCode: 2 },
    ]);
  });
});
