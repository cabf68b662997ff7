/**
 * The WebRTC transport pieces without a browser: ICE-lite state (validated addresses, newest
 * nomination wins, consent expiry, records), the reorder buffer in front of the depacketizers, and
 * the listener on a loopback UDP socket (STUN routed by ufrag and answered with integrity, wrong
 * passwords, unknown ufrags and unknown addresses dropped and counted, consent freshness closing a
 * silent session), and sessions restored from their plain records continuing SRTP.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { udp } from "bun";
import { log } from "../src/core/log.ts";
import { serverDtlsCertificate, type DtlsCertificate } from "../src/protocols/webrtc/dtls/certificate.ts";
import { IceState, MAX_VALIDATED_ADDRESSES, randomIceString } from "../src/protocols/webrtc/ice.ts";
import { WebRtcListener } from "../src/protocols/webrtc/listener.ts";
import { ReorderBuffer } from "../src/protocols/webrtc/reorder-buffer.ts";
import { WebRtcSession } from "../src/protocols/webrtc/session.ts";
import { keyingMaterialLength, srtpContexts } from "../src/protocols/webrtc/srtp/keying.ts";
import { AEAD_AES_128_GCM } from "../src/protocols/webrtc/srtp/profile.ts";
import { BindingRequest } from "../src/protocols/webrtc/wire/stun-encode.ts";
import { stunKey, verifyIntegrity } from "../src/protocols/webrtc/wire/stun-integrity.ts";
import { BINDING_SUCCESS, decodeStun, StunMessage } from "../src/protocols/webrtc/wire/stun.ts";

describe("IceState", () => {
  test("credentials are ice-chars of the RFC 8445 §5.3 sizes", () => {
    const s = new IceState("remote", 0);
    expect(s.localUfrag).toMatch(/^[A-Za-z0-9+/]{8}$/);
    expect(s.localPwd).toMatch(/^[A-Za-z0-9+/]{24}$/);
    expect(randomIceString(30)).toHaveLength(30);
  });

  test("every checked address is valid; we send to the first until the newest nomination", () => {
    const s = new IceState("r", 0);
    expect(s.onCheck("10.0.0.1", 1000, false, 1)).toBe(true);
    expect(s.selected).toEqual({ address: "10.0.0.1", port: 1000 });
    expect(s.onCheck("10.0.0.2", 2000, false, 2)).toBe(true);
    expect(s.selected).toEqual({ address: "10.0.0.1", port: 1000 });
    expect(s.onCheck("10.0.0.2", 2000, true, 3)).toBe(false); // known: not new, but nominated
    expect(s.selected).toEqual({ address: "10.0.0.2", port: 2000 });
    expect(s.nominated).toBe(true);
    expect(s.onCheck("10.0.0.1", 1000, true, 4)).toBe(false);
    expect(s.selected).toEqual({ address: "10.0.0.1", port: 1000 });
    expect(s.isValidated("10.0.0.2", 2000)).toBe(true);
    expect(s.isValidated("10.0.0.2", 2001)).toBe(false);
  });

  test("addresses are capped, consent expires, the record round-trips", () => {
    const s = new IceState("r", 0);
    for (let i = 0; i < MAX_VALIDATED_ADDRESSES + 3; i++) s.onCheck("192.0.2.1", 5000 + i, false, 100);
    expect(s.validated).toHaveLength(MAX_VALIDATED_ADDRESSES);
    expect(s.expired(100 + 8000, 8000)).toBe(false);
    expect(s.expired(100 + 8001, 8000)).toBe(true);
    s.onCheck("192.0.2.1", 5001, true, 200);
    const back = IceState.fromRecord(JSON.parse(JSON.stringify(s.toRecord())), 0);
    expect(back.toRecord()).toEqual(s.toRecord());
    expect(back.selected).toBe(back.validated[1]!);
  });
});

describe("IceState restart (RFC 8445 §9)", () => {
  test("the old credentials hold until a nomination with the new ones; addresses only they validated retire", () => {
    const s = new IceState("peer1", 0);
    const old = { ufrag: s.localUfrag, key: s.key };
    s.onCheck("10.0.0.1", 1000, true, 1);
    s.onCheck("10.0.0.3", 3000, false, 1);
    s.restart("peer2", "NewUfrag", "N".repeat(24));
    expect(s.restarting).toBe(true);
    expect([s.localUfrag, s.localPwd, s.remoteUfrag]).toEqual(["NewUfrag", "N".repeat(24), "peer2"]);
    expect(s.keyFor("NewUfrag")).toBe(s.key);
    expect(s.keyFor(old.ufrag)).toBe(old.key);
    expect(s.keyFor("other")).toBeNull();
    // Consent over the old pair with the old credentials; the new credentials validate a new address.
    s.onCheck("10.0.0.1", 1000, true, 2, false);
    expect(s.restarting).toBe(true);
    expect(s.onCheck("10.0.0.2", 2000, false, 3)).toBe(true);
    expect(s.selected).toEqual({ address: "10.0.0.1", port: 1000 });
    // A second restart before completion keeps the credentials in use, replaces the pending ones.
    s.restart("peer3", "Newer123", "M".repeat(24));
    expect(s.keyFor("NewUfrag")).toBeNull();
    expect(s.keyFor(old.ufrag)).toBe(old.key);
    const mid = IceState.fromRecord(JSON.parse(JSON.stringify(s.toRecord())), 0);
    expect(mid.toRecord()).toEqual(s.toRecord());
    expect(mid.keyFor(old.ufrag)).not.toBeNull();
    // The nomination with the current credentials completes it.
    s.onCheck("10.0.0.2", 2000, true, 4);
    expect(s.restarting).toBe(false);
    expect(s.keyFor(old.ufrag)).toBeNull();
    expect(s.selected).toEqual({ address: "10.0.0.2", port: 2000 });
    expect(s.validated).toEqual([{ address: "10.0.0.2", port: 2000 }]);
    expect(s.retired).toEqual([{ address: "10.0.0.1", port: 1000 }, { address: "10.0.0.3", port: 3000 }]);
    expect(s.restarts).toBe(2);
  });

  test("an address checked with the new credentials stays", () => {
    const s = new IceState("p", 0);
    s.onCheck("10.0.0.1", 1000, true, 1);
    s.restart("q");
    s.onCheck("10.0.0.1", 1000, true, 2);
    expect(s.restarting).toBe(false);
    expect(s.validated).toEqual([{ address: "10.0.0.1", port: 1000 }]);
    expect(s.retired).toEqual([]);
  });
});

describe("ReorderBuffer", () => {
  const run = (seqs: number[], opts: { capacity?: number; waitMs?: number; times?: number[] } = {}) => {
    const got: number[] = [];
    const rb = new ReorderBuffer({ deliver: (b) => got.push((b[0]! << 8) | b[1]!) }, opts.capacity ?? 8, opts.waitMs ?? 50);
    seqs.forEach((s, i) => rb.push(Uint8Array.of(s >> 8, s & 0xff), 2, s, opts.times?.[i] ?? 0));
    return { got, rb };
  };

  test("in order passes straight through; a swap is put right", () => {
    expect(run([1, 2, 3]).got).toEqual([1, 2, 3]);
    expect(run([1, 3, 2, 4]).got).toEqual([1, 2, 3, 4]);
    expect(run([65534, 0, 65535, 1]).got).toEqual([65534, 65535, 0, 1]);
  });

  test("late packets and duplicates are dropped and counted", () => {
    const { got, rb } = run([5, 7, 7, 6, 5]);
    expect(got).toEqual([5, 6, 7]);
    expect(rb.duplicates).toBe(1);
    expect(rb.late).toBe(1);
  });

  test("each new hole is reported once for a NACK (not for a jump past the window)", () => {
    const holes: [number, number][] = [];
    const rb = new ReorderBuffer({ deliver: () => {}, missing: (first, count) => void holes.push([first, count]) }, 8, 50);
    for (const s of [65533, 65534, 1, 0, 65535, 2, 4, 3, 40]) rb.push(new Uint8Array(2), 2, s, 0);
    expect(holes).toEqual([[65535, 2], [3, 1]]);
  });

  test("a hole is given up after maxWaitMs, or when the window overflows", () => {
    const a = run([1, 3, 4, 5], { times: [0, 10, 20, 100] });
    expect(a.got).toEqual([1, 3, 4, 5]);
    expect(a.rb.skipped).toBe(1);
    const b = run([1, 3, 20], { capacity: 8 });
    expect(b.got).toEqual([1, 3, 20]);
    const c = run([1, 3]);
    c.rb.tick(1000);
    expect(c.got).toEqual([1, 3]);
  });
});

describe("WebRtcListener on loopback", () => {
  let listener: WebRtcListener;
  let client: udp.Socket<"uint8array">;
  let cert: DtlsCertificate;
  const replies: Uint8Array[] = [];
  let now = 0;

  beforeAll(async () => {
    cert = await serverDtlsCertificate();
    listener = new WebRtcListener({ host: "127.0.0.1", port: 0, consentTimeoutMs: 5000 }, log.child("webrtc-test"), () => now);
    await listener.listen();
    client = await Bun.udpSocket({ hostname: "127.0.0.1", port: 0, binaryType: "uint8array", socket: { data: (_s, buf) => void replies.push(buf.slice()) } });
  });

  afterAll(() => {
    listener?.stop();
    client?.close();
  });

  const makeSession = () => {
    const ice = new IceState("", 0);
    const s = new WebRtcSession(
      { id: crypto.randomUUID(), kind: "whep", path: "live/test", localUfrag: ice.localUfrag, localPwd: ice.localPwd, remoteUfrag: "peer", certificate: cert, remoteFingerprint: { algorithm: "sha-256", value: cert.fingerprintSha256 }, nowMs: now },
      listener.batch,
      (x) => listener.remove(x),
    );
    listener.add(s);
    return s;
  };

  const check = (username: string, password: string, useCandidate = false) => {
    const req = new BindingRequest();
    crypto.getRandomValues(req.transactionId);
    req.username = username;
    req.priority = 1;
    req.useCandidate = useCandidate;
    req.key = stunKey(password);
    const buf = new Uint8Array(req.encodedSize());
    req.encodeTo(buf, 0);
    client.send(buf, listener.port, "127.0.0.1");
    return req.transactionId.slice();
  };

  const waitReply = async (ms = 1000) => {
    const end = Date.now() + ms;
    while (replies.length === 0 && Date.now() < end) await Bun.sleep(5);
    return replies.shift();
  };

  test("a check with our ufrag and password is answered (XOR-MAPPED-ADDRESS, integrity) and binds the address", async () => {
    const s = makeSession();
    const tid = check(`${s.ice.localUfrag}:peer`, s.ice.localPwd, true);
    const reply = await waitReply();
    expect(reply).toBeDefined();
    const m = new StunMessage();
    decodeStun(reply!, m);
    expect(m.type).toBe(BINDING_SUCCESS);
    expect(m.transactionId).toEqual(tid);
    expect(m.mappedAddress).toBe("127.0.0.1");
    expect(m.mappedPort).toBe(client.port);
    expect(verifyIntegrity(reply!, m, s.ice.key)).toBe(true);
    expect(s.ice.selected).toEqual({ address: "127.0.0.1", port: client.port });
    expect(s.ice.nominated).toBe(true);
    // Media from the bound address reaches the session (dropped there: no DTLS yet).
    const before = s.counters.dropped;
    listener.onDatagram(Uint8Array.of(0x80, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1), client.port, "127.0.0.1");
    expect(s.counters.dropped).toBe(before + 1);
    const rec = JSON.parse(JSON.stringify(s.toRecord()));
    expect(rec).toMatchObject({ kind: "whep", path: "live/test", srtp: null, ice: { localUfrag: s.ice.localUfrag, nominated: true } });
    s.close("test done");
    expect(listener.sessions.has(s.id)).toBe(false);
  });

  test("wrong password, unknown ufrag and unknown addresses are dropped and counted", async () => {
    const s = makeSession();
    const c = listener.counters;
    const bad = c.badIntegrity;
    const unknown = c.unknownUfrag;
    const addr = c.unknownAddress;
    check(`${s.ice.localUfrag}:peer`, "not-the-password-at-all");
    check("nobody:peer", s.ice.localPwd);
    expect(await waitReply(200)).toBeUndefined();
    expect(c.badIntegrity).toBe(bad + 1);
    expect(c.unknownUfrag).toBe(unknown + 1);
    listener.onDatagram(Uint8Array.of(0x80, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1), 9, "192.0.2.9");
    listener.onDatagram(Uint8Array.of(22, 254, 253), 9, "192.0.2.9");
    expect(c.unknownAddress).toBe(addr + 2);
    expect(s.ice.validated).toHaveLength(0);
    s.close("test done");
  });

  test("ICE restart: both ufrags answered until the new one nominates; then the old ufrag and address are dropped", async () => {
    const s = makeSession();
    const m = new StunMessage();
    const other = await Bun.udpSocket({ hostname: "127.0.0.1", port: 0, binaryType: "uint8array", socket: { data: (_s, buf) => void replies.push(buf.slice()) } });
    try {
      const old = { ufrag: s.ice.localUfrag, pwd: s.ice.localPwd, key: s.ice.key };
      check(`${old.ufrag}:peer`, old.pwd, true);
      expect(await waitReply()).toBeDefined();
      const restarts = listener.counters.iceRestarts;
      listener.restartIce(s, "peer2");
      expect(listener.counters.iceRestarts).toBe(restarts + 1);
      expect(s.ice.localUfrag).not.toBe(old.ufrag);
      // Old credentials: consent on the old pair goes on, answered with the old password.
      check(`${old.ufrag}:peer`, old.pwd, true);
      let reply = await waitReply();
      decodeStun(reply!, m);
      expect(verifyIntegrity(reply!, m, old.key)).toBe(true);
      // New credentials from a new address (another socket): answered with the new password, and nominated.
      const req = new BindingRequest();
      crypto.getRandomValues(req.transactionId);
      req.username = `${s.ice.localUfrag}:peer2`;
      req.priority = 1;
      req.useCandidate = true;
      req.key = stunKey(s.ice.localPwd);
      const buf = new Uint8Array(req.encodedSize());
      req.encodeTo(buf, 0);
      other.send(buf, listener.port, "127.0.0.1");
      reply = await waitReply();
      decodeStun(reply!, m);
      expect(verifyIntegrity(reply!, m, s.ice.key)).toBe(true);
      expect(s.ice.selected).toEqual({ address: "127.0.0.1", port: other.port });
      expect(s.ice.restarting).toBe(false);
      // The old ufrag is unknown now, the old address no longer routed.
      const unknownUfrag = listener.counters.unknownUfrag;
      const unknownAddress = listener.counters.unknownAddress;
      check(`${old.ufrag}:peer`, old.pwd, true);
      expect(await waitReply(200)).toBeUndefined();
      expect(listener.counters.unknownUfrag).toBe(unknownUfrag + 1);
      listener.onDatagram(Uint8Array.of(0x80, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1), client.port, "127.0.0.1");
      expect(listener.counters.unknownAddress).toBe(unknownAddress + 1);
      const dropped = s.counters.dropped;
      listener.onDatagram(Uint8Array.of(0x80, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1), other.port, "127.0.0.1");
      expect(s.counters.dropped).toBe(dropped + 1); // reached the session (no DTLS yet there)
    } finally {
      s.close("test done");
      other.close();
    }
  });

  test("consent freshness: a session without checks is closed by the sweep; checks keep it", async () => {
    const silent = makeSession();
    const alive = makeSession();
    let reason = "";
    silent.handler = { onConnected() {}, onRtp() {}, onRtcp() {}, onClose: (r) => void (reason = r) };
    now = 4000;
    check(`${alive.ice.localUfrag}:peer`, alive.ice.localPwd);
    await waitReply();
    now = 5001;
    listener.sweep();
    expect(silent.closed).toBe(true);
    expect(reason).toContain("no ICE check");
    expect(alive.closed).toBe(false);
    now = 9002;
    listener.sweep();
    expect(alive.closed).toBe(true);
    expect(alive.closeReason).toContain("consent expired");
    expect(listener.sessions.size).toBe(0);
  });
});

describe("WebRtcSession records (upgrade hand-over)", () => {
  const rtp = (seq: number, ssrc = 0x11223344) => {
    const p = new Uint8Array(12 + 100);
    p[0] = 0x80;
    p[1] = 96;
    p[2] = seq >> 8;
    p[3] = seq & 0xff;
    new DataView(p.buffer).setUint32(8, ssrc);
    for (let i = 12; i < p.length; i++) p[i] = (seq + i) & 0xff;
    return p;
  };

  test("a session restored from its JSON record continues SRTP both ways, across a sequence wrap, with replay protection", async () => {
    const cert = await serverDtlsCertificate();
    const km = crypto.getRandomValues(new Uint8Array(keyingMaterialLength(AEAD_AES_128_GCM)));
    const server = srtpContexts(AEAD_AES_128_GCM, km, "server");
    const client = srtpContexts(AEAD_AES_128_GCM, km, "client");
    const ice = new IceState("peer", 0);
    ice.onCheck("127.0.0.1", 40000, true, 0);
    const r0 = { id: "s1", kind: "whip" as const, path: "live/move", ice: ice.toRecord(), srtp: { profile: AEAD_AES_128_GCM.id, protect: server.protect.toRecord(), unprotect: server.unprotect.toRecord() } };
    const sent: Uint8Array[] = [];
    const got: Uint8Array[] = [];
    const transport = { send: (b: Uint8Array, len: number, port: number, address: string) => void (expect([port, address]).toEqual([40000, "127.0.0.1"]), sent.push(b.slice(0, len))) };
    const handler = { onConnected() {}, onRtp: (b: Uint8Array, n: number) => void got.push(b.slice(0, n)), onRtcp() {}, onClose() {} };
    const restore = (record: unknown) => {
      const s = new WebRtcSession(
        { id: "s1", kind: "whip", path: "live/move", localUfrag: "", localPwd: "", remoteUfrag: "", certificate: cert, remoteFingerprint: { algorithm: "sha-256", value: "" }, nowMs: 0, restore: JSON.parse(JSON.stringify(record)) },
        transport,
        () => {},
      );
      s.handler = handler;
      return s;
    };
    const fromClient = (seq: number) => {
      const out = new Uint8Array(200);
      const n = client.protect.protect(rtp(seq), 112, out, 0);
      return out.subarray(0, n);
    };
    const clientOpens = (b: Uint8Array) => client.unprotect.unprotect(b, b.length, new Uint8Array(200), 0);

    const s1 = restore(r0);
    expect(s1.connected).toBe(true);
    expect(s1.ice.selected).toEqual({ address: "127.0.0.1", port: 40000 });
    const late = fromClient(65535);
    s1.handleRtp(fromClient(65534));
    s1.handleRtp(late);
    for (const seq of [65534, 65535]) s1.sendRtp(rtp(seq, 0x55667788), 112);
    const s2 = restore(s1.toRecord());
    s2.handleRtp(fromClient(0));
    s2.handleRtp(late); // a replay of what s1 already took
    expect(s2.counters.unprotectFailed).toBe(1);
    for (const seq of [0, 1]) s2.sendRtp(rtp(seq, 0x55667788), 112);
    expect(got.map((p) => (p[2]! << 8) | p[3]!)).toEqual([65534, 65535, 0]);
    expect(got[2]).toEqual(rtp(0));
    expect(sent.map(clientOpens)).toEqual([112, 112, 112, 112]); // the ROC went on across the wrap
    s1.close("moved");
    s2.close("done");
  });
});
