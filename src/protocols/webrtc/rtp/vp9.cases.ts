/**
 * VP9 RTP payloads (draft-ietf-payload-vp9-16 / RFC 9628 §4.2) by hand. KEY is the start of a
 * 320x240 profile 0 key frame (VP9 spec §6.2: frame marker, sync code, color config, size).
 */
import { frame, pkt, type DepacketizeCase } from "./rtp-case.ts";

export const KEY = "82498342 0013f00ef0";
const INTER = "8600 aabb";

export const VP9_CASES: DepacketizeCase[] = [
  {
    name: "our form: non-flexible, 15-bit PictureID, B and E, the key frame with its scalability structure (N_S 0, Y)",
    packets: [pkt(`8e 8000 10 0140 00f0 ${KEY}`, true, 0), pkt(`cc 8001 ${INTER}`, true, 3000)],
    frames: [frame(KEY, 0, true), frame(INTER, 3000, false)],
    packetized: true,
  },
  {
    name: "an inter frame over two packets, 7-bit PictureID",
    packets: [pkt(`8e 8000 10 0140 00f0 ${KEY}`, true, 0), pkt("c8 05 8600", false, 3000), pkt("c4 05 aabb", true, 3000)],
    frames: [frame(KEY, 0, true), frame(INTER, 3000, false)],
  },
  {
    name: "flexible mode: layer indices and a P_DIFF; scalability structure with a picture group",
    packets: [pkt(`8e 8000 18 0140 00f0 01 04 01 ${KEY}`, true, 0), pkt(`fc 8007 00 02 ${INTER}`, true, 3000)],
    frames: [frame(KEY, 0, true), frame(INTER, 3000, false)],
  },
  {
    name: "two spatial layers of one picture become a superframe with an index (VP9 spec §B.3)",
    packets: [pkt("ac 01 00 00 8249834200", false, 0), pkt("ac 01 03 00 86aa", true, 0)],
    frames: [frame("8249834200 86aa d9 05000000 02000000 d9", 0, true)],
  },
  {
    name: "malformed: a layer frame without B, four P_DIFFs, B twice without E, a descriptor with no frame",
    packets: [
      pkt("c4 05 aabb", true, 0),
      pkt(`fc 8007 00 03 03 03 02 ${INTER}`, true, 3000),
      pkt("88 05 82", false, 6000),
      pkt("88 05 82", true, 6000),
      pkt("8c 05", true, 9000),
      pkt(`8e 8000 10 0140 00f0 ${KEY}`, true, 12000),
    ],
    frames: [frame(KEY, 12000, true)],
    stats: { malformed: 4, framesDropped: 4 },
  },
  {
    name: "a lost packet mid-frame: the frame is dropped and so are inter frames until a key frame",
    packets: [pkt(`8e 8000 10 0140 00f0 ${KEY}`, true, 0, 0), pkt("c8 05 8600", false, 3000, 1), pkt("c4 05 aabb", true, 3000, 3), pkt(`cc 8002 ${INTER}`, true, 6000, 4), pkt(`8e 8003 10 0140 00f0 ${KEY}`, true, 9000, 5)],
    frames: [frame(KEY, 0, true), frame(KEY, 9000, true)],
    stats: { lost: 1, framesDropped: 2 },
  },
];
