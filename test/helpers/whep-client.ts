/**
 * A WHEP viewer without a browser, for tests that need many: the recorded Chromium offer with our
 * own ICE credentials and DTLS fingerprint, STUN checks (USE-CANDIDATE) every second on its own UDP
 * socket, werift's DTLS client, our SRTP contexts (client side) to decrypt, and counters per SSRC
 * (packets, sequence gaps). Many share one process; each has its own socket.
 *
 *   const v = await WhepClient.start(spate.httpUrl("/live/x/whep"));  ...  v.stats();  await v.stop();
 */
import type { udp } from "bun";
import { parseSdp } from "../../src/protocols/webrtc/sdp/parse.ts";
import type { SrtpContext } from "../../src/protocols/webrtc/srtp/context.ts";
import { classify, KIND_DTLS, KIND_RTP } from "../../src/protocols/webrtc/wire/demux.ts";
import { WhepLink, whepOffer } from "../../src/bench/whep-link.ts";


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
  /** Called with every decrypted RTP packet (`plain[0, length)`, valid during the call). */
  onPacket: ((plain: Uint8Array, length: number) => void) | null = null;
  private srtp: SrtpContext | null = null;
  private readonly plain = new Uint8Array(2048);
  private link: WhepLink | null = null;

  private constructor(
    readonly location: string,
    private readonly socket: udp.Socket<"uint8array">,
    readonly port: number,
    readonly host: string,
  ) {}

  static async start(url: string): Promise<WhepClient> {
    const { sdp: offer, ufrag, cert } = await whepOffer();
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
    client.link = new WhepLink({
      socket,
      username: `${m.iceUfrag}:${ufrag}`,
      serverPwd: m.icePwd!,
      cert,
      host: cand.address,
      port: cand.port,
      checkIntervalMs: 1000,
      onConnected: (unprotect) => {
        client.srtp = unprotect;
        client.connectedAt = performance.now();
      },
      onError() {},
    });
    return client;
  }

  private onDatagram(buf: Uint8Array): void {
    const kind = classify(buf);
    if (kind === KIND_DTLS) return this.link?.dtlsIn(buf);
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
    this.onPacket?.(p, n);
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
    if (del) await fetch(this.location, { method: "DELETE" }).catch(() => {});
    this.link?.close();
    this.socket.close();
  }
}
