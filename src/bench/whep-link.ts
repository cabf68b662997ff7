/**
 * The client side of one WHEP connection, without a browser, shared by the bench's viewers and
 * the tests: a recorded Chromium recvonly offer with our own ICE credentials and DTLS fingerprint
 * (RFC 9725 §4.2), STUN checks with USE-CANDIDATE to the answer's candidate (the server is
 * ICE-lite, RFC 8445 §2.5: we are the controlling agent and keep consent fresh, RFC 7675), werift's
 * DTLS client, and our SRTP contexts (client side) once it connects.
 */
import type { udp } from "bun";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DtlsClient } from "werift";
import { generateDtlsCertificate, type DtlsCertificate } from "../protocols/webrtc/dtls/certificate.ts";
import { randomIceString } from "../protocols/webrtc/ice.ts";
import type { SrtpContext } from "../protocols/webrtc/srtp/context.ts";
import { DTLS_SRTP_EXPORTER_LABEL, keyingMaterialLength, srtpContexts } from "../protocols/webrtc/srtp/keying.ts";
import { SRTP_PROFILES_PREFERRED, srtpProfile } from "../protocols/webrtc/srtp/profile.ts";
import { BindingRequest } from "../protocols/webrtc/wire/stun-encode.ts";
import { stunKey } from "../protocols/webrtc/wire/stun-integrity.ts";

/** A Chromium recvonly offer (audio + video). */
const OFFER = readFileSync(join(import.meta.dir, "../protocols/webrtc/sdp/testdata/chromium-whep.sdp"), "utf8");

let certificate: Promise<DtlsCertificate> | null = null;

export interface WhepOffer {
  sdp: string;
  ufrag: string;
  cert: DtlsCertificate;
}

/** The recorded offer with fresh ICE credentials and the process's DTLS certificate. */
export async function whepOffer(): Promise<WhepOffer> {
  certificate ??= generateDtlsCertificate();
  const cert = await certificate;
  const ufrag = randomIceString(8);
  const pwd = randomIceString(24);
  const sdp = OFFER.replace(/a=ice-ufrag:.*/g, `a=ice-ufrag:${ufrag}`)
    .replace(/a=ice-pwd:.*/g, `a=ice-pwd:${pwd}`)
    .replace(/a=fingerprint:.*/g, `a=fingerprint:sha-256 ${cert.fingerprintSha256}`);
  return { sdp, ufrag, cert };
}

export interface WhepLinkOptions {
  socket: udp.Socket<"uint8array">;
  /** `serverUfrag:ourUfrag` (RFC 8445 §7.2.2). */
  username: string;
  serverPwd: string;
  cert: DtlsCertificate;
  host: string;
  port: number;
  checkIntervalMs: number;
  /** SRTP negotiated: decrypt with `unprotect`. */
  onConnected(unprotect: SrtpContext): void;
  onError(reason: string): void;
}

/** ICE checks and the DTLS client of one connection; DTLS datagrams from the server go to `dtlsIn`. */
export class WhepLink {
  readonly dtls: DtlsClient;
  private readonly timer: ReturnType<typeof setInterval>;
  private readonly toDtls: (b: Uint8Array) => void;
  private closed = false;

  constructor(o: WhepLinkOptions) {
    const { socket, host, port } = o;
    const req = new BindingRequest();
    req.username = o.username;
    req.priority = 0x6e0001ff;
    req.useCandidate = true;
    req.key = stunKey(o.serverPwd);
    const buf = new Uint8Array(req.encodedSize());
    const check = () => {
      crypto.getRandomValues(req.transactionId);
      req.encodeTo(buf, 0);
      socket.send(buf, port, host);
    };
    check();
    this.timer = setInterval(check, o.checkIntervalMs);
    const transport = {
      type: "udp",
      address: { address: "127.0.0.1", family: "IPv4", port: socket.port },
      closed: false,
      onData: (_d: Buffer, _a: unknown) => {},
      send: async (d: Buffer) => void socket.send(d, port, host),
      close: async () => {},
    };
    const dtls = new DtlsClient({
      transport: transport as never,
      cert: o.cert.certPem,
      key: o.cert.keyPem,
      signatureHash: o.cert.signatureHash as never,
      srtpProfiles: [...SRTP_PROFILES_PREFERRED] as never,
      extendedMasterSecret: true,
    });
    this.dtls = dtls;
    dtls.onConnect.once(() => {
      const profile = srtpProfile(dtls.srtp.srtpProfile ?? 0);
      if (!profile) return o.onError("DTLS negotiated no SRTP profile we know");
      const km = new Uint8Array(dtls.exportKeyingMaterial(DTLS_SRTP_EXPORTER_LABEL, keyingMaterialLength(profile)));
      o.onConnected(srtpContexts(profile, km, "client").unprotect);
    });
    this.toDtls = (b) => transport.onData(Buffer.from(b), [host, port]);
    // The first DTLS flight after the first check had time to bind our address on the server.
    setTimeout(() => {
      if (!this.closed) dtls.connect().catch((e: Error) => o.onError(`DTLS: ${e.message}`));
    }, 50);
  }

  dtlsIn(b: Uint8Array): void {
    this.toDtls(b);
  }

  close(): void {
    this.closed = true;
    clearInterval(this.timer);
    try {
      this.dtls.close();
    } catch {
      // already closed
    }
  }
}
