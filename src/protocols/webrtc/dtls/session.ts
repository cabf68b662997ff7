/**
 * The DTLS handshake of one WebRTC session, with spate always the DTLS server (a=setup:passive,
 * RFC 8842 §5.2). The handshake is werift's DtlsServer (werift pinned in package.json), driven
 * through a transport of ours: datagrams that arrive on the shared UDP port for this session go
 * in through `handleDatagram`, the ones werift wants sent come out through `events.send`. Nothing
 * of werift shows outside this file.
 *
 * On success the session reports the negotiated SRTP profile (our order wins: GCM first) and the
 * RFC 5705 exporter output for DTLS-SRTP (RFC 5764 §4.2), after the peer's certificate was checked
 * against the SDP's a=fingerprint (RFC 8122 §5). Media never passes through here: SRTP is ours.
 */
import { DtlsServer } from "werift";
import { SRTP_PROFILES_PREFERRED, srtpProfile, type SrtpProfile, type SrtpProfileId } from "../srtp/profile.ts";
import { DTLS_SRTP_EXPORTER_LABEL, keyingMaterialLength } from "../srtp/keying.ts";
import { certificateFingerprint, matchesFingerprint, type DtlsCertificate, type Fingerprint } from "./certificate.ts";

/** RFC 7983 §7: a first byte in 20..63 is DTLS on a port shared with STUN and SRTP. */
export function isDtls(firstByte: number): boolean {
  return firstByte >= 20 && firstByte <= 63;
}

export interface DtlsConnected {
  profile: SrtpProfile;
  /** client key | server key | client salt | server salt (RFC 5764 §4.2); see srtp/keying.ts. */
  keyingMaterial: Uint8Array;
  /** SHA-256 fingerprint of the certificate the peer presented. */
  remoteFingerprint: string;
}

export interface DtlsSessionEvents {
  /** A datagram for the peer; the listener sends it to the peer's current (newest nominated) address. */
  send(datagram: Uint8Array): void;
  /** Once, when the handshake finished and the peer's certificate matched. */
  connected(result: DtlsConnected): void;
  /** The handshake failed or the peer is not who the SDP said; the session is closed. */
  failed(reason: string): void;
  /** The peer closed DTLS (an alert), after or during the handshake. */
  closed(): void;
}

export interface DtlsSessionOptions {
  certificate: DtlsCertificate;
  /** The offer's a=fingerprint values (session or media level). */
  remoteFingerprints: readonly Fingerprint[];
  /** Profiles we accept, in our order of preference. */
  srtpProfiles?: readonly SrtpProfileId[];
}

export type DtlsState = "connecting" | "connected" | "failed" | "closed";

/** What werift's DtlsSocket needs of a transport (werift's `Transport`, datagram flavour). */
interface WeriftTransport {
  type: string;
  address: { address: string; family: string; port: number };
  closed: boolean;
  onData: (data: Buffer, addr: [string, number]) => void;
  send: (data: Buffer) => Promise<void>;
  close: () => Promise<void>;
}

const NO_ADDRESS: [string, number] = ["0.0.0.0", 0];

export class DtlsSession {
  state: DtlsState = "connecting";
  /** Datagrams fed in and sent out, for the session's counters. */
  datagramsIn = 0;
  datagramsOut = 0;
  private readonly server: DtlsServer;
  private readonly transport: WeriftTransport;

  constructor(
    private readonly options: DtlsSessionOptions,
    private readonly events: DtlsSessionEvents,
  ) {
    const transport: WeriftTransport = {
      type: "udp",
      address: { address: "0.0.0.0", family: "IPv4", port: 0 },
      closed: false,
      onData: () => {},
      send: async (data) => {
        if (transport.closed) return;
        this.datagramsOut++;
        events.send(data);
      },
      close: async () => {
        transport.closed = true;
      },
    };
    this.transport = transport;
    const cert = options.certificate;
    this.server = new DtlsServer({
      transport: transport as never,
      cert: cert.certPem,
      key: cert.keyPem,
      signatureHash: cert.signatureHash as never,
      srtpProfiles: [...(options.srtpProfiles ?? SRTP_PROFILES_PREFERRED)] as never,
      extendedMasterSecret: true,
      // The client must show its certificate: that is what a=fingerprint authenticates.
      certificateRequest: true,
    });
    this.server.onConnect.subscribe(() => this.onConnect());
    this.server.onError.subscribe((e: unknown) => this.fail(`handshake: ${(e instanceof Error ? e.message : String(e)) || "failed (werift gave no reason)"}`));
    this.server.onClose.subscribe(() => {
      if (this.state === "closed" || this.state === "failed") return;
      this.shutdown("closed");
      this.events.closed();
    });
  }

  /** A DTLS datagram from the peer (first byte 20..63). */
  handleDatagram(datagram: Uint8Array): void {
    if (this.state === "closed" || this.state === "failed") return;
    this.datagramsIn++;
    // A copy: werift keeps handshake fragments past this call, and the caller reuses its buffer.
    this.transport.onData(Buffer.from(datagram), NO_ADDRESS);
  }

  /** Ends the session; no event follows. */
  close(): void {
    if (this.state === "closed" || this.state === "failed") return;
    this.shutdown("closed");
  }

  private onConnect(): void {
    if (this.state !== "connecting") return;
    const der = this.server.remoteCertificate;
    if (!der) return this.fail("the client sent no certificate");
    if (!matchesFingerprint(der, this.options.remoteFingerprints)) return this.fail("remote certificate does not match a=fingerprint");
    const profile = srtpProfile(this.server.srtp.srtpProfile ?? 0);
    if (!profile) return this.fail("no SRTP profile in common (use_srtp)");
    const keyingMaterial = new Uint8Array(this.server.exportKeyingMaterial(DTLS_SRTP_EXPORTER_LABEL, keyingMaterialLength(profile)));
    this.state = "connected";
    this.events.connected({ profile, keyingMaterial, remoteFingerprint: certificateFingerprint(der, "sha-256")! });
  }

  private fail(reason: string): void {
    if (this.state === "closed" || this.state === "failed") return;
    this.shutdown("failed");
    this.events.failed(reason);
  }

  private shutdown(state: "closed" | "failed"): void {
    this.state = state;
    this.transport.closed = true;
  }
}
