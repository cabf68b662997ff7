/**
 * VP8 RTP payloads (RFC 7741) by hand after the descriptor of §4.2 and the frame tag of RFC 6386
 * §9.1 (a key frame: P = 0 and the start code 9d 01 2a).
 */
import { frame, pkt, type DepacketizeCase } from "./rtp-case.ts";

const KEY = "1002009d012a 4001f000";
const INTER = "31 0100 aabb";

export const VP8_CASES: DepacketizeCase[] = [
  {
    name: "our form: X, I with a 15-bit PictureID, S on the first packet; a key frame then an inter frame",
    packets: [pkt(`90 80 8000 ${KEY}`, true, 0), pkt(`90 80 8001 ${INTER}`, true, 3000)],
    frames: [frame(KEY, 0, true), frame(INTER, 3000, false)],
    packetized: true,
  },
  {
    name: "a frame over two packets (the second without S)",
    packets: [pkt(`90 80 8123 1002009d`, false, 0), pkt(`80 80 8123 012a4001f000`, true, 0)],
    frames: [frame(KEY, 0, true)],
  },
  {
    name: "every optional field (§4.2): 7-bit PictureID, TL0PICIDX, TID/Y/KEYIDX; no X at all; partitions",
    packets: [pkt(`90 f0 05 07 e5 ${KEY}`, true, 0), pkt(`10 ${INTER}`, false, 3000), pkt(`01 ccdd`, true, 3000)],
    frames: [frame(KEY, 0, true), frame(`${INTER} ccdd`, 3000, false)],
  },
  {
    name: "a lost first packet: the rest of its frame and inter frames skipped to the next key frame",
    packets: [pkt(`90 80 8001 ${KEY}`, true, 0, 1), pkt(`80 80 8002 aa`, true, 3000, 3), pkt(`90 80 8003 ${INTER}`, true, 6000, 4), pkt(`90 80 8004 ${KEY}`, true, 9000, 5)],
    frames: [frame(KEY, 0, true), frame(KEY, 9000, true)],
    stats: { lost: 1, framesDropped: 2, frames: 2 },
  },
  {
    name: "malformed: the first packet of a frame without S, a descriptor with no frame after it, a cut-off PictureID",
    packets: [pkt(`80 80 8001 ${KEY}`, true, 0), pkt("90 80 8001", true, 3000), pkt("90 80 80", true, 6000), pkt(`10 ${KEY}`, true, 9000)],
    frames: [frame(KEY, 9000, true)],
    stats: { malformed: 3, framesDropped: 3 },
  },
];
