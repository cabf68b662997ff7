/**
 * Our DTLS server session against werift's DTLS client, wired by an in-memory datagram transport:
 * profiles negotiated as the server's order says, keys that match (SRTP protected on one side,
 * unprotected on the other, and by werift's own SRTP on the client side), fingerprint checks, loss.
 */
import { describe, expect, test } from "bun:test";
import { DtlsClient, SrtpSession } from "werift";
import { srtpContexts } from "../srtp/keying.ts";
import { SRTP_AEAD_AES_128_GCM, SRTP_AES128_CM_HMAC_SHA1_80, srtpProfile, type SrtpProfileId } from "../srtp/profile.ts";
import { certificateFingerprint, generateDtlsCertificate, serverDtlsCertificate, type DtlsCertificate } from "./certificate.ts";
import { DtlsSession, isDtls, type DtlsConnected } from "./session.ts";

interface Wire {
  /** Drop the n-th datagram from the server (0-based) once. */
  dropServer?: Set<number>;
}

interface Outcome {
  server: DtlsSession;
  client: DtlsClient;
  connected: Promise<DtlsConnected>;
  clientConnected: Promise<void>;
  failed: Promise<string>;
}

function handshake(opts: { serverCert: DtlsCertificate; clientCert: DtlsCertificate; clientProfiles: SrtpProfileId[]; fingerprint?: string; wire?: Wire }): Outcome {
  let toClient: (b: Buffer) => void = () => {};
  let serverSent = 0;
  let resolveConnected!: (c: DtlsConnected) => void;
  let resolveFailed!: (r: string) => void;
  const connected = new Promise<DtlsConnected>((r) => (resolveConnected = r));
  const failed = new Promise<string>((r) => (resolveFailed = r));
  const server = new DtlsSession(
    { certificate: opts.serverCert, remoteFingerprints: [{ algorithm: "sha-256", value: opts.fingerprint ?? opts.clientCert.fingerprintSha256 }] },
    {
      send: (d) => {
        expect(isDtls(d[0]!)).toBe(true);
        const n = serverSent++;
        if (opts.wire?.dropServer?.has(n)) return;
        const copy = Buffer.from(d);
        setTimeout(() => toClient(copy), 1);
      },
      connected: resolveConnected,
      failed: resolveFailed,
      closed: () => resolveFailed("closed"),
    },
  );
  const clientTransport = {
    type: "udp",
    address: { address: "127.0.0.1", family: "IPv4", port: 1 },
    closed: false,
    onData: (_d: Buffer, _a: unknown) => {},
    send: async (d: Buffer) => {
      const copy = new Uint8Array(d);
      setTimeout(() => server.handleDatagram(copy), 1);
    },
    close: async () => {},
  };
  toClient = (b) => clientTransport.onData(b, ["127.0.0.1", 2]);
  const client = new DtlsClient({
    transport: clientTransport as never,
    cert: opts.clientCert.certPem,
    key: opts.clientCert.keyPem,
    signatureHash: opts.clientCert.signatureHash as never,
    srtpProfiles: opts.clientProfiles as never,
    extendedMasterSecret: true,
  });
  const clientConnected = new Promise<void>((r) => client.onConnect.once(() => r()));
  client.connect().catch(() => {});
  return { server, client, connected, clientConnected, failed };
}

describe("DtlsSession (werift DTLS server behind our interface) against werift's DTLS client", () => {
  const certs = Promise.all([serverDtlsCertificate(), generateDtlsCertificate()]);

  test("the process certificate: ECDSA P-256, one per process, SHA-256 fingerprint in SDP form", async () => {
    const [server] = await certs;
    expect(await serverDtlsCertificate()).toBe(server);
    expect(server.fingerprintSha256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(server.certPem).toContain("BEGIN CERTIFICATE");
    const { X509Certificate } = await import("node:crypto");
    const x = new X509Certificate(server.certPem);
    expect(x.publicKey.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
    expect(x.fingerprint256).toBe(server.fingerprintSha256);
  });

  const cases: { name: string; clientProfiles: SrtpProfileId[]; expected: SrtpProfileId }[] = [
    { name: "client offers GCM and CM: GCM", clientProfiles: [SRTP_AEAD_AES_128_GCM, SRTP_AES128_CM_HMAC_SHA1_80], expected: SRTP_AEAD_AES_128_GCM },
    { name: "client prefers CM: our order wins, GCM", clientProfiles: [SRTP_AES128_CM_HMAC_SHA1_80, SRTP_AEAD_AES_128_GCM], expected: SRTP_AEAD_AES_128_GCM },
    { name: "client offers only CM: CM", clientProfiles: [SRTP_AES128_CM_HMAC_SHA1_80], expected: SRTP_AES128_CM_HMAC_SHA1_80 },
  ];

  for (const c of cases) {
    test(`${c.name}; keys match on both sides`, async () => {
      const [serverCert, clientCert] = await certs;
      const h = handshake({ serverCert, clientCert, clientProfiles: c.clientProfiles });
      const [result] = await Promise.all([h.connected, h.clientConnected]);
      expect(h.server.state).toBe("connected");
      expect(result.profile.id).toBe(c.expected);
      expect(h.client.srtp.srtpProfile as number).toBe(c.expected);
      expect(result.remoteFingerprint).toBe(clientCert.fingerprintSha256);
      expect(certificateFingerprint(new Uint8Array(h.client.remoteCertificate!), "sha-256")).toBe(serverCert.fingerprintSha256);

      const profile = result.profile;
      const clientMaterial = new Uint8Array(h.client.exportKeyingMaterial("EXTRACTOR-dtls_srtp", result.keyingMaterial.length));
      expect(Buffer.from(clientMaterial).equals(Buffer.from(result.keyingMaterial))).toBe(true);
      const ours = srtpContexts(profile, result.keyingMaterial, "server");
      const theirs = srtpContexts(profile, clientMaterial, "client");
      const rtp = new Uint8Array(200).map((_, i) => i);
      rtp[0] = 0x80;
      const out = new Uint8Array(300);
      const back = new Uint8Array(300);
      // we protect with the server keys, the client unprotects with them, and the other way round
      let n = ours.protect.protect(rtp, rtp.length, out, 0);
      expect(theirs.unprotect.unprotect(out, n, back, 0)).toBe(rtp.length);
      n = theirs.protect.protect(rtp, rtp.length, out, 0);
      expect(ours.unprotect.unprotect(out, n, back, 0)).toBe(rtp.length);
      // and werift's own SRTP on the client, keyed by werift's own split of its exporter output
      const k = h.client.extractSessionKeys(profile.keyBytes, profile.saltBytes);
      const werift = new SrtpSession({
        keys: { localMasterKey: k.localKey, localMasterSalt: k.localSalt, remoteMasterKey: k.remoteKey, remoteMasterSalt: k.remoteSalt },
        profile: c.expected as never,
      });
      n = ours.protect.protect(rtp, rtp.length, out, 0);
      expect(Buffer.from(werift.decrypt(Buffer.from(out.subarray(0, n)))).equals(Buffer.from(rtp))).toBe(true);
      expect(srtpProfile(c.expected)).toBe(profile);
      h.server.close();
      expect(h.server.state).toBe("closed");
    });
  }

  test("a certificate that does not match a=fingerprint fails the session", async () => {
    const [serverCert, clientCert] = await certs;
    const h = handshake({ serverCert, clientCert, clientProfiles: [SRTP_AEAD_AES_128_GCM], fingerprint: serverCert.fingerprintSha256 });
    expect(await h.failed).toBe("remote certificate does not match a=fingerprint");
    expect(h.server.state).toBe("failed");
  });

  test("no SRTP profile in common (the client offers only AES_CM_128_HMAC_SHA1_32) fails the session", async () => {
    const [serverCert, clientCert] = await certs;
    const h = handshake({ serverCert, clientCert, clientProfiles: [0x0002 as SrtpProfileId] });
    // werift stops the handshake itself here (the server finds no profile for use_srtp)
    expect(await h.failed).toMatch(/^handshake: |^no SRTP profile in common/);
    expect(h.server.state).toBe("failed");
  });

  test("the server's first flight lost: the client retransmits and the handshake completes", async () => {
    const [serverCert, clientCert] = await certs;
    const h = handshake({ serverCert, clientCert, clientProfiles: [SRTP_AEAD_AES_128_GCM], wire: { dropServer: new Set([0]) } });
    const result = await h.connected;
    expect(result.profile.id).toBe(SRTP_AEAD_AES_128_GCM);
    expect(h.server.datagramsIn).toBeGreaterThan(3);
    h.server.close();
  }, 10_000);
});
