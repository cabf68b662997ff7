/**
 * AV1 RTP payloads (aomediacodec.github.io/av1-rtp-spec §4.4, §4.3) by hand. SEQ is the sequence
 * header of the libaom fixture (testdata/av1.ivf) without its obu_size; a frame OBU whose payload
 * starts with 0x10 is a shown key frame (AV1 spec §5.9.2: show_existing_frame 0, frame_type 0).
 */
import { frame, hex, pkt, type DepacketizeCase } from "./rtp-case.ts";

export const SEQ_PAYLOAD = "000000043cffbcdaf90040";
const SEQ_SIZED = `0a0b ${SEQ_PAYLOAD}`;
const KEY_OBU = "30 10aabbcc";
const KEY_SIZED = "3204 10aabbcc";

export const AV1_CASES: DepacketizeCase[] = [
  {
    name: "our form: N, W = 2, a sequence header (with a length) and a key frame (without); obu_size restored",
    packets: [pkt(`28 0c 08${SEQ_PAYLOAD} ${KEY_OBU}`, true, 0)],
    frames: [frame(`${SEQ_SIZED} ${KEY_SIZED}`, 0, true)],
    configs: [[hex(SEQ_SIZED)]],
    packetized: true,
  },
  {
    name: "W = 0: every element with a length; the temporal delimiter dropped; an inter frame (show_existing_frame)",
    packets: [pkt(`28 0c 08${SEQ_PAYLOAD} ${KEY_OBU}`, true, 0), pkt("00 01 10 03 30aabb", true, 3000)],
    frames: [frame(`${SEQ_SIZED} ${KEY_SIZED}`, 0, true), frame("3202 aabb", 3000, false)],
    configs: [[hex(SEQ_SIZED)]],
  },
  {
    name: "an OBU in three fragments (Y, then Z and Y, then Z): a key frame told by its frame header",
    packets: [pkt("50 30 10", false, 0), pkt("d0 0102", false, 0), pkt("90 0304", true, 0)],
    frames: [frame("3205 1001020304", 0, true)],
  },
  {
    name: "an element that carries obu_size is kept as is; an extension header is kept",
    packets: [pkt(`10 ${KEY_SIZED}`, true, 0), pkt("10 3440 aabbcc", true, 3000)],
    frames: [frame(KEY_SIZED, 0, true), frame("3640 03 aabbcc", 3000, false)],
  },
  {
    name: "malformed: Z with nothing open, W = 2 with one element, the forbidden bit, obu_size disagreeing, a length past the end",
    packets: [
      pkt("90 0304", true, 0),
      pkt("20 03 30aabb", true, 3000),
      pkt("10 b0 10", true, 6000),
      pkt("10 3209 10", true, 9000),
      pkt("00 09 3010", true, 12000),
      pkt(`10 ${KEY_OBU}`, true, 15000),
    ],
    frames: [frame(KEY_SIZED, 15000, true)],
    stats: { malformed: 5, framesDropped: 5 },
  },
  {
    name: "a lost middle fragment drops the temporal unit; the next key frame comes through",
    packets: [pkt("50 30 10", false, 0, 0), pkt("90 0304", true, 0, 2), pkt("10 30 aabb", true, 3000, 3), pkt(`18 ${KEY_OBU}`, true, 6000, 4)],
    frames: [frame(KEY_SIZED, 6000, true)],
    stats: { lost: 1, framesDropped: 2, frames: 1 },
  },
];
