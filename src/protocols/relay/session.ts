import { ProtocolError } from "../../core/errors.ts";
import { relayMac, relayNonce, upstreamMac, verifyRelayMac, verifyUpstreamMac } from "./wire/auth.ts";
import {
  decodeRelayMessage,
  encodeAccept,
  encodeAuth,
  encodeHello,
  encodeRefuse,
  MAX_MESSAGE_BYTES,
  MsgType,
  RefuseCode,
  RELAY_VERSION,
  RelayMessage,
} from "./wire/message.ts";

/**
 * Splits a byte stream into relay messages, whatever the transport's chunking: a message may span
 * chunks (kept until complete, bounded by MAX_MESSAGE_BYTES) and a chunk may hold many.
 */
export class MessageReader {
  readonly msg = new RelayMessage();
  private pending: Uint8Array | null = null;

  /** Calls `onMessage` for each complete message in order; throws ProtocolError on malformed input. */
  push(chunk: Uint8Array, onMessage: (m: RelayMessage) => void): void {
    let buf = chunk;
    if (this.pending) {
      buf = new Uint8Array(this.pending.length + chunk.length);
      buf.set(this.pending);
      buf.set(chunk, this.pending.length);
      this.pending = null;
    }
    const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    let at = 0;
    while (at < buf.length) {
      const n = decodeRelayMessage(buf, at, this.msg, view);
      if (n === 0) break;
      at += n;
      onMessage(this.msg);
    }
    if (at < buf.length) {
      if (buf.length - at > MAX_MESSAGE_BYTES + 5) throw new ProtocolError("relay", "too-long", `partial message over ${MAX_MESSAGE_BYTES} bytes`);
      this.pending = buf.slice(at); // the transport reuses its buffers: own the partial message
    }
  }
}

export interface HandshakeResult {
  /** The bytes to answer with (ACCEPT or REFUSE). */
  reply: Uint8Array;
  /** null when accepted; else why it was refused (for the log). */
  refused: string | null;
  /** The downstream node's id, as it claims it (verified by the MAC). */
  nodeId: string;
}

/**
 * The upstream side of the handshake: HELLO with a fresh nonce, then one AUTH whose MAC must prove
 * the cluster secret for this nonce, path and node. No secret configured: every pull is refused.
 */
export class RelayServerHandshake {
  readonly nonce = relayNonce();

  constructor(
    readonly nodeId: string,
    readonly secret: string | undefined,
    readonly path: string,
  ) {}

  hello(): Uint8Array {
    return encodeHello(this.nonce, this.nodeId);
  }

  /** Answers an AUTH; `hops` is this node's distance from the origin of the path. */
  onAuth(m: RelayMessage, hops: number, isDownstreamOfIt: (nodeId: string) => boolean): HandshakeResult {
    const refuse = (code: RefuseCode, why: string): HandshakeResult => ({ reply: encodeRefuse(code, why), refused: why, nodeId: m.nodeId });
    if (m.type !== MsgType.Auth) return refuse(RefuseCode.BadRequest, `expected AUTH, got message type ${m.type}`);
    if (m.version !== RELAY_VERSION) return refuse(RefuseCode.BadRequest, `relay version ${m.version} not supported (this node speaks ${RELAY_VERSION})`);
    if (this.secret === undefined) return refuse(RefuseCode.BadAuth, `node ${this.nodeId} has no cluster.secret: it relays to nobody`);
    if (!verifyRelayMac(this.secret, this.nonce, this.path, m.nodeId, m.mac)) {
      return refuse(RefuseCode.BadAuth, `node ${m.nodeId}: authentication failed (wrong or missing cluster.secret)`);
    }
    if (m.nodeId === this.nodeId || isDownstreamOfIt(m.nodeId)) {
      return refuse(RefuseCode.Loop, `node ${this.nodeId} pulls ${this.path} through ${m.nodeId}: that would be a loop`);
    }
    return { reply: encodeAccept(this.nodeId, hops, upstreamMac(this.secret, this.nonce, m.nonce, this.path, this.nodeId)), refused: null, nodeId: m.nodeId };
  }
}

/**
 * The downstream side of one connection: answers HELLO with AUTH (with no secret it still answers,
 * and is refused with a clear reason), then checks that ACCEPT proves the secret too — an upstream
 * that cannot is an impostor, whatever the registry says — and comes from the node it dialled.
 */
export class RelayClientHandshake {
  readonly nonce = relayNonce();
  private upstreamNonce: Uint8Array | null = null;

  constructor(
    readonly secret: string | undefined,
    readonly path: string,
    readonly nodeId: string,
    /** The node the registry named at the address dialled. */
    readonly expected: string,
  ) {}

  onHello(m: RelayMessage): Uint8Array {
    if (m.version !== RELAY_VERSION) throw new ProtocolError("relay", "version", `upstream speaks relay version ${m.version}, this node ${RELAY_VERSION}`);
    if (m.nodeId !== this.expected) throw new ProtocolError("relay", "wrong-node", `dialled node ${this.expected}, node ${m.nodeId} answered`);
    this.upstreamNonce = m.nonce.slice();
    return encodeAuth(this.nodeId, this.nonce, this.secret === undefined ? new Uint8Array(32) : relayMac(this.secret, m.nonce, this.path, this.nodeId));
  }

  /** Throws ProtocolError unless ACCEPT answers our AUTH with the cluster secret. */
  checkAccept(m: RelayMessage): void {
    const ok =
      this.upstreamNonce !== null &&
      this.secret !== undefined &&
      m.nodeId === this.expected &&
      verifyUpstreamMac(this.secret, this.upstreamNonce, this.nonce, this.path, m.nodeId, m.mac);
    if (!ok) throw new ProtocolError("relay", "bad-upstream", `upstream ${m.nodeId} did not prove the cluster secret`);
  }
}
