/**
 * The HTTP side of WHIP (RFC 9725) and WHEP (draft-ietf-wish-whep): `POST /{path}/whip|whep` with
 * an SDP offer makes a session and answers 201 with the SDP answer and the session's URL in
 * Location (§4.2); `PATCH` on that URL takes trickled candidates (§4.3.1: we are ICE-lite and learn
 * the peer's addresses from its checks, so they are acknowledged, 204, and not needed) and ICE
 * restarts (§4.3.2: new credentials, answered 200 with ours and a new ETag; DTLS and SRTP go on);
 * `DELETE` ends the session at once (§4.2). CORS lets player pages on any origin
 * use it (§4.8 leaves it to the server; the Location and ETag headers must be exposed).
 */
import { networkInterfaces } from "node:os";
import { isValidPath, PathBusyError } from "../../core/path-table.ts";
import type { DtlsCertificate } from "./dtls/certificate.ts";
import { randomIceString } from "./ice.ts";
import type { WebRtcListener } from "./listener.ts";
import { answerWhip, type LocalTransport, type Negotiation } from "./sdp/answer.ts";
import { parseSdp, MAX_SDP_BYTES } from "./sdp/parse.ts";
import { SdpError } from "./sdp/sdp-error.ts";
import { formatRestartFragment, MAX_SDPFRAG_BYTES, parseTrickleFragment, type TrickleFragment } from "./sdp/trickle.ts";
import type { SessionKind, WebRtcSession } from "./session.ts";
import { WebRtcSession as Session } from "./session.ts";

const CORS: Record<string, string> = {
  "access-control-allow-origin": "*",
  "access-control-expose-headers": "location, etag, link, accept-patch, accept-post",
};

export interface WhepStarter {
  /**
   * Answers a WHEP offer for `path` and attaches the viewer; returns the negotiation or a Response
   * (404 when there is nothing to watch).
   */
  (offer: ReturnType<typeof parseSdp>, path: string, local: LocalTransport, makeSession: (n: Negotiation) => WebRtcSession): Negotiation | Response;
}

export interface WebRtcHttpOptions {
  listener: WebRtcListener;
  certificate: () => Promise<DtlsCertificate>;
  /** Publishes a WHIP session's media into `path` (throws PathBusyError when taken). */
  startWhip: (session: WebRtcSession, n: Negotiation) => void;
  startWhep?: WhepStarter;
  /** The address browsers reach the UDP port at; see `candidateAddresses`. */
  publicAddress?: string;
  host: string;
}

/** Our host candidates: the configured public address, the bound one, or every local IPv4 address. */
export function candidateAddresses(host: string, publicAddress?: string): string[] {
  if (publicAddress) return [publicAddress];
  if (host !== "0.0.0.0" && host !== "::") return [host];
  const out: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) out.push(a.address);
  }
  out.push("127.0.0.1");
  return out;
}

function text(status: number, message: string, extra?: Record<string, string>): Response {
  return new Response(message + "\n", { status, headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store", ...CORS, ...extra } });
}

/** `/{path}/whip`, `/{path}/whep/{id}`...: what the URL names, or null when it is not ours. */
export function parseWebRtcUrl(pathname: string): { kind: SessionKind; path: string; id: string | null } | null {
  const parts = pathname.split("/").filter((s) => s.length > 0);
  const n = parts.length;
  if (n >= 2 && (parts[n - 1] === "whip" || parts[n - 1] === "whep")) {
    return { kind: parts[n - 1] as SessionKind, path: safeDecode(parts.slice(0, n - 1).join("/")), id: null };
  }
  if (n >= 3 && (parts[n - 2] === "whip" || parts[n - 2] === "whep")) {
    return { kind: parts[n - 2] as SessionKind, path: safeDecode(parts.slice(0, n - 2).join("/")), id: parts[n - 1]! };
  }
  return null;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return "\0"; // never a valid path
  }
}

export class WebRtcHttp {
  private readonly candidates: string[];

  constructor(private readonly opts: WebRtcHttpOptions) {
    this.candidates = candidateAddresses(opts.host, opts.publicAddress);
  }

  /** A response for a WHIP/WHEP URL, or null for any other URL. */
  route(req: Request): Response | Promise<Response> | null {
    const target = parseWebRtcUrl(new URL(req.url).pathname);
    if (!target) return null;
    if (!isValidPath(target.path)) return text(400, `bad stream path ${JSON.stringify(target.path)}`);
    const allow = target.id === null ? "POST, OPTIONS" : "PATCH, DELETE, OPTIONS";
    if (req.method === "OPTIONS") {
      return new Response(null, {
        status: 204,
        headers: {
          ...CORS,
          "access-control-allow-methods": allow,
          "access-control-allow-headers": req.headers.get("access-control-request-headers") ?? "content-type, authorization, if-match",
          "access-control-max-age": "86400",
          ...(target.id === null ? { "accept-post": "application/sdp" } : { "accept-patch": "application/trickle-ice-sdpfrag" }),
        },
      });
    }
    if (target.id === null) {
      if (req.method !== "POST") return text(405, `${req.method} not allowed`, { allow });
      return this.post(req, target.kind, target.path);
    }
    const s = this.opts.listener.sessions.get(target.id);
    if (!s || s.kind !== target.kind || s.path !== target.path) return text(404, "no such session");
    if (req.method === "DELETE") {
      s.close("ended by DELETE");
      return new Response(null, { status: 200, headers: CORS });
    }
    if (req.method === "PATCH") return this.patch(req, s);
    return text(405, `${req.method} not allowed`, { allow });
  }

  private async post(req: Request, kind: SessionKind, path: string): Promise<Response> {
    const type = (req.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
    if (type !== "application/sdp") return text(415, `expected content-type application/sdp, got ${JSON.stringify(type)}`);
    const length = Number(req.headers.get("content-length") ?? 0);
    if (length > MAX_SDP_BYTES) return text(413, `offer of ${length} bytes > max ${MAX_SDP_BYTES}`);
    const body = await req.text();
    const certificate = await this.opts.certificate();
    const listener = this.opts.listener;
    const local: LocalTransport = {
      iceUfrag: randomIceString(8),
      icePwd: randomIceString(24),
      fingerprint: { algorithm: "sha-256", value: certificate.fingerprintSha256 },
      candidates: this.candidates.map((address) => ({ address, port: listener.port })),
      // No transport-cc: the publisher's estimate then rides on our REMB and its loss (ingest.ts).
      feedback: kind === "whip" ? { twcc: false } : undefined,
    };
    const makeSession = (n: Negotiation): WebRtcSession =>
      new Session(
        {
          id: crypto.randomUUID(),
          kind,
          path,
          localUfrag: local.iceUfrag,
          localPwd: local.icePwd,
          remoteUfrag: n.remoteIce.ufrag,
          certificate,
          remoteFingerprint: n.remoteFingerprint,
          nowMs: listener.now(),
        },
        listener.batch,
        (s) => listener.remove(s),
      );
    let negotiation: Negotiation;
    let session: WebRtcSession;
    try {
      const offer = parseSdp(body);
      if (kind === "whip") {
        negotiation = answerWhip(offer, local);
        if (negotiation.media.length === 0) return text(400, `nothing to receive: ${negotiation.rejected.map((r) => r.reason).join("; ") || "no media"}`);
        session = makeSession(negotiation);
        try {
          this.opts.startWhip(session, negotiation);
        } catch (e) {
          session.close("refused");
          if (e instanceof PathBusyError) return text(409, `stream ${JSON.stringify(path)} already has a publisher`);
          throw e;
        }
      } else {
        if (!this.opts.startWhep) return text(501, "WHEP is not available");
        let made: WebRtcSession | null = null;
        const r = this.opts.startWhep(offer, path, local, (n) => (made = makeSession(n)));
        if (r instanceof Response) return r;
        negotiation = r;
        if (!made) return text(500, "no session");
        session = made;
      }
    } catch (e) {
      if (e instanceof SdpError) return text(e.status, e.message);
      throw e;
    }
    listener.add(session);
    const location = `/${path.split("/").map(encodeURIComponent).join("/")}/${kind}/${session.id}`;
    return new Response(negotiation.sdp, {
      status: 201,
      headers: { ...CORS, "content-type": "application/sdp", location, etag: etag(session), "cache-control": "no-store" },
    });
  }

  private async patch(req: Request, s: WebRtcSession): Promise<Response> {
    const type = (req.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
    if (type !== "application/trickle-ice-sdpfrag") return text(415, `expected content-type application/trickle-ice-sdpfrag, got ${JSON.stringify(type)}`);
    const length = Number(req.headers.get("content-length") ?? 0);
    if (length > MAX_SDPFRAG_BYTES) return text(413, `sdpfrag of ${length} bytes > max ${MAX_SDPFRAG_BYTES}`);
    let frag: TrickleFragment;
    try {
      frag = parseTrickleFragment(await req.text());
    } catch (e) {
      if (e instanceof SdpError) return text(e.status, e.message);
      throw e;
    }
    // RFC 9725 §4.3: the ETag names the ICE session; a PATCH for another one (out of order, from
    // before a restart) is refused. A restart may also say `*` (§4.3.2).
    if (!ifMatch(req.headers.get("if-match"), etag(s))) return text(412, `If-Match does not name the current ICE session ${etag(s)}`);
    if (s.closed) return text(404, "no such session");
    // New credentials ask for an ICE restart (§4.3.2); the same ones only trickle (§4.3.1).
    if (frag.ufrag === null || frag.ufrag === s.ice.remoteUfrag) return new Response(null, { status: 204, headers: CORS });
    this.opts.listener.restartIce(s, frag.ufrag);
    const candidates = this.candidates.map((address) => ({ address, port: this.opts.listener.port }));
    return new Response(formatRestartFragment(s.ice.localUfrag, s.ice.localPwd, candidates, frag.sections[0]), {
      status: 200,
      headers: { ...CORS, "content-type": "application/trickle-ice-sdpfrag", etag: etag(s), "cache-control": "no-store" },
    });
  }
}

/** The ETag of a session's current ICE session: our ufrag, which a restart changes. */
function etag(s: WebRtcSession): string {
  return `"${s.ice.localUfrag}"`;
}

/** RFC 9110 §13.1.1: absent, `*`, or a list holding the current tag (strong comparison). */
function ifMatch(header: string | null, current: string): boolean {
  if (header === null) return true;
  const h = header.trim();
  if (h === "*") return true;
  for (const tag of h.split(",")) if (tag.trim() === current) return true;
  return false;
}
