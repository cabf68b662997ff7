/**
 * Handshake CIFs (the bytes after the 16-byte header) for the decode, round-trip and fuzz tests.
 * "libsrt" cases were captured on loopback between two srt-live-transmit 1.5.1 (see
 * packet-cases.ts); the others we encode to cover what libsrt did not send there.
 */
import { hex } from "./packet-cases.ts";

export interface HandshakeCase {
  name: string;
  cif: Uint8Array;
  expect: {
    version: number;
    encryption: number;
    extension: number;
    type: number;
    socketId: number;
    cookie: number;
    streamId?: string | null;
    hs?: { cmd: number; flags: number; receiverDelayMs: number; senderDelayMs: number } | null;
    kmCmd?: number;
    kmKeyLength?: number;
    kmState?: number;
    congestion?: string | null;
  };
}

const LIBSRT_KM =
  "12202901 00000000 02000200 00000404 12c397ca248665059a25de1a73427caa 9e868629bc091542add317fc63cd9ff3817af31e8b6ea8b9";

export const HANDSHAKE_CASES: HandshakeCase[] = [
  {
    name: "libsrt caller induction (v4, UDT_DGRAM)",
    cif: hex("00000004000000023a5b3021000005dc00002000000000013e5d453c000000000100007f000000000000000000000000"),
    expect: { version: 4, encryption: 0, extension: 2, type: 1, socketId: 0x3e5d453c, cookie: 0, hs: null, kmCmd: 0, streamId: null },
  },
  {
    name: "libsrt listener induction answer (v5, magic, cookie)",
    cif: hex("0000000500004a173a5b3021000005dc00002000000000013e5d453c6f3906050100007f000000000000000000000000"),
    expect: { version: 5, encryption: 0, extension: 0x4a17, type: 1, socketId: 0x3e5d453c, cookie: 0x6f390605 },
  },
  {
    name: "libsrt conclusion: HSREQ, stream id, KMREQ (AES-128)",
    cif: hex(
      "00000005000200073a5b3021000005dc00002000ffffffff3e5d453c6f3906050100007f000000000000000000000000" +
        "0001000300010501000000bf00780078 000500046c6275703a6873696576696c0000782f 0003000e" + LIBSRT_KM,
    ),
    expect: {
      version: 5, encryption: 2, extension: 7, type: 0xffffffff, socketId: 0x3e5d453c, cookie: 0x6f390605, streamId: "publish:live/x",
      hs: { cmd: 1, flags: 0xbf, receiverDelayMs: 120, senderDelayMs: 120 }, kmCmd: 3, kmKeyLength: 16,
    },
  },
  {
    name: "libsrt conclusion answer: HSRSP, KMRSP",
    cif: hex(
      "00000005000000033a5b3021000005dc00002000ffffffff08e787ae6f3906050100007f000000000000000000000000" +
        "0002000300010501000000bf00c800c8 0004000e" + LIBSRT_KM,
    ),
    expect: { version: 5, encryption: 0, extension: 3, type: 0xffffffff, socketId: 0x08e787ae, cookie: 0x6f390605, hs: { cmd: 2, flags: 0xbf, receiverDelayMs: 200, senderDelayMs: 200 }, kmCmd: 4, kmKeyLength: 16 },
  },
  {
    name: "libsrt conclusion without encryption",
    cif: hex(
      "00000005000000056c91ef9c000005dc00002000ffffffff0bd293b6ed6dd7ad0100007f000000000000000000000000" +
        "0001000300010501000000bf00780078000500046c6275703a6873696576696c0000782f",
    ),
    expect: { version: 5, encryption: 0, extension: 5, type: 0xffffffff, socketId: 0x0bd293b6, cookie: 0xed6dd7ad, streamId: "publish:live/x", kmCmd: 0 },
  },
  {
    name: "rejection: REJX_FORBIDDEN (1000 + 1403)",
    cif: hex("00000005000000006c91ef9c000005dc00002000000009630bd293b6ed6dd7ad0100007f000000000000000000000000"),
    expect: { version: 5, encryption: 0, extension: 0, type: 2403, socketId: 0x0bd293b6, cookie: 0xed6dd7ad, hs: null },
  },
  {
    name: "KMRSP reporting BADSECRET, congestion 'live', #! stream id of 7 bytes",
    cif: hex(
      "00000005000000076c91ef9c000005dc00002000ffffffff0bd293b6ed6dd7ad0100007f000000000000000000000000" +
        "00050002 3a3a2123 00783d72 00060001 6576696c 00040001 00000004",
    ),
    expect: { version: 5, encryption: 0, extension: 7, type: 0xffffffff, socketId: 0x0bd293b6, cookie: 0xed6dd7ad, streamId: "#!::r=x", congestion: "live", kmCmd: 4, kmState: 4 },
  },
];
