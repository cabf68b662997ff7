/**
 * Malformed input from a peer. Thrown by wire decoders and session state machines; it closes only
 * the session that sent the bytes, with the protocol's own close reason. Need-more-data is never an
 * error: decoders return 0 for it.
 */
export class ProtocolError extends Error {
  constructor(
    readonly protocol: string,
    readonly code: string,
    message: string,
  ) {
    super(`${protocol}: ${message}`);
    this.name = "ProtocolError";
  }
}

/** A broken invariant inside spate (never caused by input). */
export function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(`assertion failed: ${message}`);
}

/** Wall-clock milliseconds comparable across processes (STYLE.md rule 10). */
export function wallMs(): number {
  return performance.timeOrigin + performance.now();
}
