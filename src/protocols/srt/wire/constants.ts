/**
 * SRT wire constants (draft-sharabayko-srt-01 §3, and libsrt 1.5 where the draft is silent) and the
 * caps every length read from the wire is checked against.
 */
import { ProtocolError } from "../../../core/errors.ts";

export const PROTOCOL = "srt";

export function srtError(code: string, message: string): ProtocolError {
  return new ProtocolError(PROTOCOL, code, message);
}

/** §3: every packet starts with a 16-byte header. */
export const HEADER_SIZE = 16;
/** The largest datagram we accept: an SRT packet inside a 1500-byte MTU is 1472 bytes. */
export const MAX_PACKET_SIZE = 1500;
/** libsrt's SRT_LIVE_MAX_PAYLOAD_SIZE: 1500 - 20 (IP) - 8 (UDP) - 16 (SRT). */
export const MAX_PAYLOAD_SIZE = 1456;
/** The usual payload: 7 MPEG-TS packets (libsrt's SRT_LIVE_DEF_PLSIZE). */
export const DEFAULT_PAYLOAD_SIZE = 1316;
/** §3.2.1.3: a stream id is at most 512 bytes. */
export const MAX_STREAM_ID_BYTES = 512;
/** Any one handshake extension; the largest legitimate one is a full stream id. */
export const MAX_EXTENSION_BYTES = 512;
/** Handshake extensions in one packet (libsrt sends at most 5). */
export const MAX_EXTENSIONS = 16;
/** 32-bit words in a NAK loss list: as many as fit in one 1500-byte datagram. */
export const MAX_LOSS_LIST_WORDS = (MAX_PACKET_SIZE - 28 - HEADER_SIZE) >> 2;
/** §3.2.2: the salt is 128 bits; SLen may say up to 1020 bytes, we take 16 only. */
export const MAX_SALT_BYTES = 16;

/** Sequence numbers are 31 bits, message numbers 26, timestamps 32. */
export const SEQ_MASK = 0x7fffffff;
export const SEQ_MODULO = 0x80000000;
export const MSGNO_MASK = 0x03ffffff;
export const TIMESTAMP_MODULO = 0x100000000;

/** §3.2: control types. */
export const CTRL_HANDSHAKE = 0;
export const CTRL_KEEPALIVE = 1;
export const CTRL_ACK = 2;
export const CTRL_NAK = 3;
export const CTRL_CONGESTION_WARNING = 4;
export const CTRL_SHUTDOWN = 5;
export const CTRL_ACKACK = 6;
export const CTRL_DROPREQ = 7;
export const CTRL_PEERERROR = 8;
export const CTRL_USER = 0x7fff;

/** §3.1: packet position (PP). */
export const PP_MIDDLE = 0;
export const PP_LAST = 1;
export const PP_FIRST = 2;
export const PP_SOLO = 3;

/** §3.1: KK, which key encrypted the payload. */
export const KK_NONE = 0;
export const KK_EVEN = 1;
export const KK_ODD = 2;
export const KK_BOTH = 3;

/** §3.2.1: handshake types (uint32). Values from REJECT_BASE up are rejections. */
export const HS_WAVEAHAND = 0;
export const HS_INDUCTION = 1;
export const HS_CONCLUSION = 0xffffffff;
export const HS_AGREEMENT = 0xfffffffe;
export const HS_DONE = 0xfffffffd;
/** libsrt URQ_FAILURE_TYPES: a rejection is sent as handshake type 1000 + reason. */
export const HS_REJECT_BASE = 1000;

/** §4.3.1.1: the listener's induction answer carries this in the extension field. */
export const SRT_MAGIC_CODE = 0x4a17;
/** UDT_DGRAM: the caller's induction extension field. */
export const UDT_DGRAM = 2;
/** The SRT version we announce in HSREQ/HSRSP (the libsrt release we interoperate with). */
export const SRT_VERSION = 0x00010501;

/** §3.2.1: handshake extension flags (extension field of a conclusion). */
export const HS_EXT_HSREQ = 0x1;
export const HS_EXT_KMREQ = 0x2;
export const HS_EXT_CONFIG = 0x4;

/** §3.2.1: extension types. */
export const EXT_HSREQ = 1;
export const EXT_HSRSP = 2;
export const EXT_KMREQ = 3;
export const EXT_KMRSP = 4;
export const EXT_SID = 5;
export const EXT_CONGESTION = 6;
export const EXT_FILTER = 7;
export const EXT_GROUP = 8;

/** §3.2.1.1.1: SRT flags in HSREQ/HSRSP. */
export const FLAG_TSBPDSND = 0x01;
export const FLAG_TSBPDRCV = 0x02;
export const FLAG_CRYPT = 0x04;
export const FLAG_TLPKTDROP = 0x08;
export const FLAG_PERIODICNAK = 0x10;
export const FLAG_REXMITFLG = 0x20;
export const FLAG_STREAM = 0x40;
export const FLAG_PACKET_FILTER = 0x80;

/**
 * §4.3 table 7 / libsrt SRT_REJ_*: rejection reasons (on the wire as HS_REJECT_BASE + reason).
 * Applications use 1000+ (libsrt access_control.h, HTTP-like), e.g. REJX_FORBIDDEN = 1403.
 */
export const REJ_UNKNOWN = 0;
export const REJ_SYSTEM = 1;
export const REJ_PEER = 2;
export const REJ_RESOURCE = 3;
export const REJ_ROGUE = 4;
export const REJ_BACKLOG = 5;
export const REJ_IPE = 6;
export const REJ_CLOSE = 7;
export const REJ_VERSION = 8;
export const REJ_RDVCOOKIE = 9;
export const REJ_BADSECRET = 10;
export const REJ_UNSECURE = 11;
export const REJ_MESSAGEAPI = 12;
export const REJ_CONGESTION = 13;
export const REJ_FILTER = 14;
export const REJ_GROUP = 15;
export const REJ_TIMEOUT = 16;
export const REJ_CRYPTO = 17;
export const REJX_BAD_REQUEST = 1400;
export const REJX_UNAUTHORIZED = 1401;
export const REJX_OVERLOAD = 1402;
export const REJX_FORBIDDEN = 1403;
export const REJX_NOTFOUND = 1404;
export const REJX_BAD_MODE = 1405;
export const REJX_UNACCEPTABLE = 1406;
export const REJX_CONFLICT = 1409;
export const REJX_ISE = 1500;

/** §3.2.1.2: KM states a KMRSP of one word reports. */
export const KM_S_UNSECURED = 0;
export const KM_S_SECURING = 1;
export const KM_S_SECURED = 2;
export const KM_S_NOSECRET = 3;
export const KM_S_BADSECRET = 4;
export const KM_S_BADCRYPTOMODE = 5;
