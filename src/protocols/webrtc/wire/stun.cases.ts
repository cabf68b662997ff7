/**
 * One case table for STUN: the decode test, the round-trip test and the fuzz seeds read it. The
 * "RFC 5769" cases are that RFC's test vectors (§2.1-2.3, password "VOkJxbRl1RmTxUk/WvJxBt"; the
 * request's padding bytes are spaces, as printed there). The "ours" cases were made by stun-encode.ts
 * (password "server-password-0123456", transaction ids 0102..0c and a1..ac) and parsed, integrity and
 * fingerprint checked, by werift 0.25.2's STUN parser.
 */
import type { StunMessage } from "./stun.ts";

export const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ""), "hex"));

export const RFC5769_PASSWORD = "VOkJxbRl1RmTxUk/WvJxBt";
export const SERVER_PASSWORD = "server-password-0123456";

export interface StunCase {
  name: string;
  bytes: Uint8Array;
  /** The password MESSAGE-INTEGRITY was made with; null when the message has none. */
  password: string | null;
  expect: Partial<StunMessage>;
}

export const STUN_CASES: StunCase[] = [
  {
    name: "RFC 5769 §2.1 sample request",
    bytes: hex(`
      000100582112a442b7e7a701bc34d686fa87dfae
      80220010 5354554e20746573742063 6c69656e74
      00240004 6e0001ff
      80290008 932ff9b151263b36
      00060009 6576746a3a68367659202020
      00080014 9aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a2
      80280004 e57a3bcf`),
    password: RFC5769_PASSWORD,
    expect: {
      type: 0x0001,
      username: "evtj:h6vY",
      hasPriority: true,
      priority: 0x6e0001ff,
      iceControlled: true,
      iceControlling: false,
      tieBreakerHi: 0x932ff9b1,
      tieBreakerLo: 0x51263b36,
      useCandidate: false,
      integrityOffset: 76,
      fingerprintOffset: 100,
    },
  },
  {
    name: "RFC 5769 §2.2 sample IPv4 response",
    bytes: hex(`
      0101003c2112a442b7e7a701bc34d686fa87dfae
      8022000b 7465737420766563746f7220
      00200008 0001a147e112a643
      00080014 2b91f599fd9e90c38c7489f92af9ba53f06be7d7
      80280004 c07d4c96`),
    password: RFC5769_PASSWORD,
    expect: { type: 0x0101, mappedFamily: 1, mappedAddress: "192.0.2.1", mappedPort: 32853, integrityOffset: 48, fingerprintOffset: 72 },
  },
  {
    name: "RFC 5769 §2.3 sample IPv6 response",
    bytes: hex(`
      010100482112a442b7e7a701bc34d686fa87dfae
      8022000b 7465737420766563746f7220
      00200014 0002a1470113a9faa5d3f179bc25f4b5bed2b9d9
      00080014 a382954e4be67bf11784c97c8292c275bfe3ed41
      80280004 c8fb0b4c`),
    password: RFC5769_PASSWORD,
    expect: { type: 0x0101, mappedFamily: 2, mappedAddress: "2001:db8:1234:5678:11:2233:4455:6677", mappedPort: 32853 },
  },
  {
    name: "ours: Binding request as a browser sends it (USERNAME, PRIORITY, ICE-CONTROLLING, USE-CANDIDATE)",
    bytes: hex(`
      000100482112a4420102030405060708090a0b0c
      00060009 737276313a62727732000000
      00240004 6e7f1eff
      802a0008 1122334455667788
      00250000
      00080014 b136c43c83352167309744d23369d4722cc6e992
      80280004 e5fb5269`),
    password: SERVER_PASSWORD,
    expect: {
      type: 0x0001,
      username: "srv1:brw2",
      priority: 0x6e7f1eff,
      iceControlling: true,
      tieBreakerHi: 0x11223344,
      tieBreakerLo: 0x55667788,
      useCandidate: true,
      integrityOffset: 60,
      fingerprintOffset: 84,
    },
  },
  {
    name: "ours: Binding success to an IPv4 peer seen as ::ffff:127.0.0.1 port 54321",
    bytes: hex(`
      0101002c2112a4420102030405060708090a0b0c
      00200008 0001f5235e12a443
      00080014 22b655489dd682e61f18881bbfd4e56549fcb904
      80280004 2c9d366f`),
    password: SERVER_PASSWORD,
    expect: { type: 0x0101, mappedFamily: 1, mappedAddress: "127.0.0.1", mappedPort: 54321 },
  },
  {
    name: "ours: Binding success to fe80::1 port 5000",
    bytes: hex(`
      010100382112a4420102030405060708090a0b0c
      00200014 0002329adf92a4420102030405060708090a0b0d
      00080014 b1fc1a988548393ec2019058a9a370d1145f9c57
      80280004 af534180`),
    password: SERVER_PASSWORD,
    expect: { type: 0x0101, mappedFamily: 2, mappedAddress: "fe80::1", mappedPort: 5000 },
  },
  {
    name: "ours: 401 Unauthenticated, no MESSAGE-INTEGRITY",
    bytes: hex(`
      011100202112a442a1a2a3a4a5a6a7a8a9aaabac
      00090013 00000401 556e61757468656e7469636174656400
      80280004 c07d8840`),
    password: null,
    expect: { type: 0x0111, errorCode: 401, errorReason: "Unauthenticated", integrityOffset: -1, fingerprintOffset: 44 },
  },
  {
    name: "ours: 487 Role Conflict, keyed",
    bytes: hex(`
      011100382112a442a1a2a3a4a5a6a7a8a9aaabac
      00090011 00000457 526f6c6520436f6e666c696374000000
      00080014 d584d37830d5808b0007cd3490d50a0ac68b8324
      80280004 766563c1`),
    password: SERVER_PASSWORD,
    expect: { type: 0x0111, errorCode: 487, errorReason: "Role Conflict" },
  },
  {
    name: "hand-made: Binding indication (consent keepalive), header only",
    bytes: hex("001100002112a442000000000000000000000001"),
    password: null,
    expect: { type: 0x0011, integrityOffset: -1, fingerprintOffset: -1 },
  },
];
