/** Fuzz target: any datagram through the header decoders and the control-body decoder its type selects. */
import type { FuzzTarget } from "../../../core/fuzz-target.ts";
import { Ack, decodeAck, decodeDropRequest, decodeLossReport, DropRequest, LossReport } from "./control.ts";
import { CTRL_ACK, CTRL_DROPREQ, CTRL_HANDSHAKE, CTRL_NAK, CTRL_USER } from "./constants.ts";
import { decodeHandshake, Handshake } from "./handshake.ts";
import { decodeKeyMaterial, KeyMaterial } from "./key-material.ts";
import { ControlPacket, DataPacket, decodeControlPacket, decodeDataPacket, isControlPacket } from "./packet.ts";
import { PACKET_CASES } from "./packet-cases.ts";

const data = new DataPacket();
const ctrl = new ControlPacket();
const ack = new Ack();
const loss = new LossReport();
const drop = new DropRequest();

export const target: FuzzTarget = {
  name: "srt/packet",
  seeds: PACKET_CASES.map((c) => c.bytes),
  maxInputBytes: 1600,
  run(input: Uint8Array): number {
    if (!isControlPacket(input)) return decodeDataPacket(input, data);
    if (decodeControlPacket(input, ctrl) === 0) return 0;
    const b = ctrl.body;
    switch (ctrl.type) {
      case CTRL_ACK:
        return decodeAck(b, 0, b.length, ack);
      case CTRL_NAK:
        return decodeLossReport(b, 0, b.length, loss);
      case CTRL_DROPREQ:
        return decodeDropRequest(b, 0, b.length, drop);
      case CTRL_HANDSHAKE:
        return decodeHandshake(b, 0, b.length, new Handshake());
      case CTRL_USER:
        return decodeKeyMaterial(b, 0, b.length, new KeyMaterial());
      default:
        return b.length;
    }
  },
};
