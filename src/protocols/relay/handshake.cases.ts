/**
 * The relay handshake run in memory between a RelayServerHandshake and a RelayIngest, for the unit
 * tests and the ingest fuzz target: what the listener and dialRelay do over a WebSocket.
 */
import type { RelayIngest } from "./ingest.ts";
import { MessageReader, RelayServerHandshake, type HandshakeResult } from "./session.ts";

/**
 * Connects `ingest` to upstream `upstreamId` (knowing `serverSecret`) and runs HELLO, AUTH and the
 * answer through the decoders. Returns the upstream's verdict; the ingest has taken the answer (an
 * ACCEPT it could not verify throws ProtocolError).
 */
export function handshake(ingest: RelayIngest, upstreamId: string, serverSecret: string | undefined, hops = 0): HandshakeResult {
  const server = new RelayServerHandshake(upstreamId, serverSecret, ingest.path);
  let auth: Uint8Array | null = null;
  ingest.connected({ send: (b) => void (auth = b), close() {} }, `${upstreamId}:1`, upstreamId);
  new MessageReader().push(server.hello(), (m) => ingest.onMessage(m));
  if (!auth) throw new Error("the ingest did not answer HELLO");
  let result: HandshakeResult | null = null;
  new MessageReader().push(auth, (m) => void (result = server.onAuth(m, hops, () => false)));
  new MessageReader().push(result!.reply, (m) => ingest.onMessage(m));
  return result!;
}
