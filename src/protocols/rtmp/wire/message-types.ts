/**
 * RTMP message type ids (RTMP 1.0 §5.4 protocol control, §7.1 messages) and User Control event
 * types (§7.1.7).
 *
 * Note for the session: an AMF3 command (type 17) or AMF3 data message (type 15) is a format
 * selector byte 0 followed by AMF0 values; `decodeCommand`/`decodeData` skip it when told the type.
 */
export const SET_CHUNK_SIZE = 1;
export const ABORT = 2;
export const ACKNOWLEDGEMENT = 3;
export const USER_CONTROL = 4;
export const WINDOW_ACK_SIZE = 5;
export const SET_PEER_BANDWIDTH = 6;
export const AUDIO = 8;
export const VIDEO = 9;
export const DATA_AMF3 = 15;
export const SHARED_OBJECT_AMF3 = 16;
export const COMMAND_AMF3 = 17;
export const DATA_AMF0 = 18;
export const SHARED_OBJECT_AMF0 = 19;
export const COMMAND_AMF0 = 20;
export const AGGREGATE = 22;

/** §7.1.7 User Control event types. */
export const UserControl = {
  StreamBegin: 0,
  StreamEOF: 1,
  StreamDry: 2,
  SetBufferLength: 3,
  StreamIsRecorded: 4,
  PingRequest: 6,
  PingResponse: 7,
} as const;
export type UserControlEvent = (typeof UserControl)[keyof typeof UserControl];

/** §5.4.5 Set Peer Bandwidth limit types. */
export const PeerBandwidthLimit = { Hard: 0, Soft: 1, Dynamic: 2 } as const;

/** Chunk stream ids by convention (csid 2 is reserved for protocol control, §5.4). */
export const CSID_CONTROL = 2;
export const CSID_COMMAND = 3;

export const PROTOCOL = "rtmp";
