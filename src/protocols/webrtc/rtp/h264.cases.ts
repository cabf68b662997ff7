/**
 * H.264 RTP payloads (RFC 6184) built by hand after the RFC's figures, with the SPS/PPS of the
 * libx264 fixture (testdata/h264-slices.flv). Read by the decode test, the packetize test and the
 * fuzz seeds.
 */
import { frame, hex, pkt, type DepacketizeCase } from "./rtp-case.ts";

export const SPS = "6764000dacb40a0fd80880000003008000001e478a1550";
export const PPS = "68ef0fcb";
const IDR = "65888400 33ff";
const P = "419a0203 04";

export const H264_CASES: DepacketizeCase[] = [
  {
    name: "single NAL unit packets (§5.6): an IDR, then a P slice",
    packets: [pkt(IDR, true, 0), pkt(P, true, 3000)],
    frames: [frame(`00000006 ${IDR}`, 0, true), frame(`00000005 ${P}`, 3000, false)],
    packetized: true,
  },
  {
    name: "STAP-A (§5.7.1, Figure 7): SPS, PPS and the IDR in one packet; parameter sets leave the frame",
    packets: [pkt(`78 0017 ${SPS} 0004 ${PPS} 0006 ${IDR}`, true, 90000)],
    frames: [frame(`00000006 ${IDR}`, 90000, true)],
    configs: [[hex(SPS), hex(PPS)]],
    packetized: true,
  },
  {
    name: "FU-A (§5.8, Figure 14): an IDR in three fragments, NAL header rebuilt from indicator and header",
    packets: [pkt("7c 85 8884", false, 0), pkt("7c 05 0033", false, 0), pkt("7c 45 ff", true, 0)],
    frames: [frame(`00000006 ${IDR}`, 0, true)],
  },
  {
    name: "access unit delimiter and filler data dropped, SEI kept; same parameter sets reported once",
    packets: [
      pkt(`78 0002 09f0 0017 ${SPS} 0004 ${PPS} 0005 0605 01aa80`, false, 0),
      pkt(IDR, true, 0),
      pkt(`78 0017 ${SPS} 0004 ${PPS} 0003 0cffff 0005 ${P}`, true, 3000),
    ],
    frames: [frame(`00000005 060501aa80 00000006 ${IDR}`, 0, true), frame(`00000005 ${P}`, 3000, false)],
    configs: [[hex(SPS), hex(PPS)]],
  },
  {
    name: "STAP-B, MTAP16 and FU-B (interleaved mode) counted as unsupported, their frames dropped",
    packets: [pkt("79 0000 0002 0910", true, 0), pkt(IDR, true, 3000), pkt("7a 0000 0002 00 0000 41aa", true, 6000), pkt("7d 85 0000 8884", true, 9000)],
    frames: [frame(`00000006 ${IDR}`, 3000, true)],
    stats: { unsupported: 3, framesDropped: 3, frames: 1 },
  },
  {
    name: "a lost FU-A middle drops the IDR and the P frame after it; the next IDR comes through",
    packets: [
      pkt("7c 85 8884", false, 0, 10),
      pkt("7c 45 ff", true, 0, 12),
      pkt(P, true, 3000, 13),
      pkt(IDR, true, 6000, 14),
    ],
    frames: [frame(`00000006 ${IDR}`, 6000, true)],
    stats: { lost: 1, framesDropped: 2, frames: 1 },
  },
  {
    name: "packets lost between frames: a packet that may not start its frame is skipped up to its marker",
    packets: [pkt(IDR, true, 0, 0), pkt("4102", false, 3000, 2), pkt("41 0203", true, 3000, 3), pkt(`0605 01aa80`, false, 6000, 4), pkt(IDR, true, 6000, 5)],
    frames: [frame(`00000006 ${IDR}`, 0, true), frame(`00000005 060501aa80 00000006 ${IDR}`, 6000, true)],
    stats: { lost: 1, frames: 2, framesDropped: 1 },
  },
  {
    name: "no marker: a new timestamp ends the frame; sequence numbers wrap",
    packets: [pkt(IDR, false, 0, 65535), pkt(P, true, 3000, 0)],
    frames: [frame(`00000006 ${IDR}`, 0, true), frame(`00000005 ${P}`, 3000, false)],
    stats: { lost: 0 },
  },
  {
    name: "a duplicate packet is ignored",
    packets: [pkt(IDR, true, 0, 7), pkt(IDR, true, 0, 7), pkt(P, true, 3000, 8)],
    frames: [frame(`00000006 ${IDR}`, 0, true), frame(`00000005 ${P}`, 3000, false)],
    stats: { stale: 1, frames: 2 },
  },
  {
    name: "P frames before the first IDR are dropped",
    packets: [pkt(P, true, 0), pkt(IDR, true, 3000)],
    frames: [frame(`00000006 ${IDR}`, 3000, true)],
    stats: { framesDropped: 1 },
  },
  {
    name: "malformed: an FU-A end without its start, a STAP-A size past the end, an empty payload, a marker inside an FU-A",
    packets: [pkt("7c 45 ff", true, 0), pkt("78 0009 6588", true, 3000), pkt("", true, 6000), pkt("7c 85 8884", true, 9000), pkt(IDR, true, 12000)],
    frames: [frame(`00000006 ${IDR}`, 12000, true)],
    stats: { malformed: 4, framesDropped: 4 },
  },
  {
    name: "an SPS sent as FU-A leaves the frame too; a changed PPS is reported",
    packets: [pkt(`78 0017 ${SPS} 0004 ${PPS}`, false, 0), pkt(IDR, true, 0), pkt("7c 87 64000dacb40a0fd808", false, 3000), pkt("7c 47 80000003008000001e478a1550", false, 3000), pkt("68 ee3c80", false, 3000), pkt(IDR, true, 3000)],
    frames: [frame(`00000006 ${IDR}`, 0, true), frame(`00000006 ${IDR}`, 3000, true)],
    configs: [[hex(SPS), hex(PPS)], [hex(SPS), hex("68ee3c80")]],
  },
];
