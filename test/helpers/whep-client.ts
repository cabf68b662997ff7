/**
 * A WHEP viewer without a browser, for tests that need many: the recorded Chromium offer with our
 * own ICE credentials and DTLS fingerprint, STUN checks (USE-CANDIDATE) every second on its own UDP
 * socket, werift's DTLS client, our SRTP contexts (client side) to decrypt, and counters per SSRC
 * (packets, sequence gaps). Many share one process; each has its own socket.
 *
 *   const v = await WhepClient.start(spate.httpUrl("/live/x/whep"));  ...  v.stats();  await v.stop();
 */
import type { udp } from "bun";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { DtlsClient } from "werift";
import { generateDtlsCertificate, type DtlsCertificate } from "../../src/protocols/webrtc/dtls/certificate.ts";
import { randomIceString } from "../../src/protocols/webrtc/ice.ts";
import { parseSdp } from "../../src/protocols/webrtc/sdp/parse.ts";
import type { SrtpContext } from "../../src/protocols/webrtc/srtp/context.ts";
import { DTLS_SRTP_EXPORTER_LABEL, keyingMaterialLength, srtpContexts } from "../../src/protocols/webrtc/srtp/keying.ts";
import { SRTP_PROFILES_PREFERRED, srtpProfile } from "../../src/protocols/webrtc/srtp/profile.ts";
import { classify, KIND_DTLS, KIND_RTP } from "../../src/protocols/webrtc/wire/demux.ts";
import { BindingRequest } from "../../src/protocols/webrtc/wire/stun-encode.ts";
import { stunKey } from "../../src/protocols/webrtc/wire/stun-integrity.ts";

const OFFER = readFileSync(join(import.meta.dir, "../../src/protocols/webrtc/sdp/testdata/chromium-whep.sdp"), "utf8");
let certificate: Promise<DtlsCertificate> | null = null;

export interface SsrcCount {
  packets: number;
  /** Packets that came after a newer one. */
  reordered: number;
  /** Extended sequence numbers: first and newest seen. */
  first: number;
  highest: number;
}

export class WhepClient {
  connectedAt = 0;
  readonly bySsrc = new Map<number, SsrcCount>();
  unprotectFailed = 0;
  private srtp: SrtpContext | null = null;
  private readonly plain = new Uint8Array(2048);
  private timer: ReturnType<typeof setInterval> | null = null;
  private dtls: DtlsClient | null = null;

  private constructor(
    readonly location: string,
    private readonly socket: udp.Socket<"uint8array">,
    readonly port: number,
    readonly host: string,
  ) {}

  static async start(url: string): Promise<WhepClient> {
    certificate ??= generateDtlsCertificate();
    const cert = await certificate;
    const ufrag = randomIceString(8);
    const pwd = randomIceString(24);
    const offer = OFFER.replace(/a=ice-ufrag:.*/g, `a=ice-ufrag:${ufrag}`)
      .replace(/a=ice-pwd:.*/g, `a=ice-pwd:${pwd}`)
      .replace(/a=fingerprint:.*/g, `a=fingerprint:sha-256 ${cert.fingerprintSha256}`);
    const r = await fetch(url, { method: "POST", headers: { "content-type": "application/sdp" }, body: offer });
    if (r.status !== 201) throw new Error(`WHEP POST ${r.status}: ${await r.text()}`);
    const answer = parseSdp(await r.text());
    const m = answer.media.find((x) => x.port !== 0 && x.candidates.length > 0);
    if (!m) throw new Error("the answer accepts no section");
    const cand = m.candidates.find((c) => c.address === "127.0.0.1") ?? m.candidates[0]!;
    let client!: WhepClient;
    const socket = await Bun.udpSocket({
      hostname: "127.0.0.1",
      port: 0,
      binaryType: "uint8array",
      socket: { data: (_s, buf) => client.onDatagram(buf), error() {} },
    });
    client = new WhepClient(new URL(r.headers.get("location")!, url).href, socket, cand.port, cand.address);
    client.begin(`${m.iceUfrag}:${ufrag}`, m.icePwd!, cert);
    return client;
  }

  private begin(username: string, serverPwd: string, cert: DtlsCertificate): void {
    const req = new BindingRequest();
    req.username = username;
    req.priority = 0x6e0001ff;
    req.useCandidate = true;
    req.key = stunKey(serverPwd);
    const buf = new Uint8Array(req.encodedSize());
    const check = () => {
      crypto.getRandomValues(req.transactionId);
      req.encodeTo(buf, 0);
      this.socket.send(buf, this.port, this.host);
    };
    check();
    this.timer = setInterval(check, 1000);
    const transport = {
      type: "udp",
      address: { address: "127.0.0.1", family: "IPv4", port: this.socket.port },
      closed: false,
      onData: (_d: Buffer, _a: unknown) => {},
      send: async (d: Buffer) => void this.socket.send(d, this.port, this.host),
      close: async () => {},
    };
    this.dtls = new DtlsClient({
      transport: transport as never,
      cert: cert.certPem,
      key: cert.keyPem,
      signatureHash: cert.signatureHash as never,
      srtpProfiles: [...SRTP_PROFILES_PREFERRED] as never,
      extendedMasterSecret: true,
    });
    const dtls = this.dtls;
    dtls.onConnect.once(() => {
      const profile = srtpProfile(dtls.srtp.srtpProfile ?? 0)!;
      const km = new Uint8Array(dtls.exportKeyingMaterial(DTLS_SRTP_EXPORTER_LABEL, keyingMaterialLength(profile)));
      this.srtp = srtpContexts(profile, km, "client").unprotect;
      this.connectedAt = performance.now();
    });
    (this as unknown as { dtlsIn: (b: Uint8Array) => void }).dtlsIn = (b) => transport.onData(Buffer.from(b), ["127.0.0.1", this.port]);
    // The first flight after the first check had time to bind our address.
    setTimeout(() => void dtls.connect().catch(() => {}), 50);
  }

  private onDatagram(buf: Uint8Array): void {
    const kind = classify(buf);
    if (kind === KIND_DTLS) return (this as unknown as { dtlsIn: (b: Uint8Array) => void }).dtlsIn(buf);
    if (kind !== KIND_RTP || !this.srtp) return;
    const n = this.srtp.unprotect(buf, buf.length, this.plain, 0);
    if (n < 0) {
      this.unprotectFailed++;
      return;
    }
    const p = this.plain;
    const ssrc = ((p[8]! << 24) | (p[9]! << 16) | (p[10]! << 8) | p[11]!) >>> 0;
    const seq = (p[2]! << 8) | p[3]!;
    let c = this.bySsrc.get(ssrc);
    if (!c) this.bySsrc.set(ssrc, (c = { packets: 0, reordered: 0, first: seq, highest: seq }));
    else {
      const d = (((seq - c.highest) & 0xffff) << 16) >> 16;
      if (d > 0) c.highest += d;
      else c.reordered++;
    }
    c.packets++;
  }

  packets(): number {
    let n = 0;
    for (const c of this.bySsrc.values()) n += c.packets;
    return n;
  }

  /** Sequence numbers never received (expected from the first to the newest, minus received). */
  lost(): number {
    let n = 0;
    for (const c of this.bySsrc.values()) n += c.highest - c.first + 1 - c.packets;
    return n;
  }

  reordered(): number {
    let n = 0;
    for (const c of this.bySsrc.values()) n += c.reordered;
    return n;
  }

  /** DELETE (when `del`) and close; without DELETE the server notices through consent freshness. */
  async stop(del = true): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (del) await fetch(this.location, { method: "DELETE" }).catch(() => {});
    try {
      this.dtls?.close();
    } catch {
      // already closed
    }
    this.socket.close();
  }
}
