/**
 * ICE candidate lines (RFC 8839 §5.1):
 *   candidate:<foundation> <component> <transport> <priority> <address> <port> typ <type>
 *             [raddr <addr>] [rport <port>] *(<extension-name> <extension-value>)
 * ICE-lite never connects to the peer's candidates (the peer checks ours), so they are read for
 * logs and diagnostics only.
 */
import type { IceCandidate } from "./model.ts";

const TYPES = new Set(["host", "srflx", "prflx", "relay"]);
/** foundation = 1*32ice-char (RFC 8839 §5.1). */
const FOUNDATION = /^[A-Za-z0-9+/]{1,32}$/;
const DIGITS = /^\d{1,10}$/;

/** The value of an a=candidate attribute (without "candidate:"), or null if it is not one. */
export function parseCandidate(value: string): IceCandidate | null {
  const f = value.split(" ");
  if (f.length < 8 || f.length > 64 || f[6] !== "typ") return null;
  const [foundation, component, transport, priority, address, port, , type] = f as [string, ...string[]];
  if (!FOUNDATION.test(foundation) || !DIGITS.test(component!) || !DIGITS.test(priority!) || !DIGITS.test(port!)) return null;
  if (!TYPES.has(type!) || address!.length === 0 || address!.length > 255 || transport!.length === 0 || transport!.length > 16) return null;
  const c: IceCandidate = {
    foundation,
    component: Number(component),
    transport: transport!.toLowerCase(),
    priority: Number(priority),
    address: address!,
    port: Number(port),
    type: type as IceCandidate["type"],
  };
  if (c.component < 1 || c.component > 256 || c.priority > 0xffffffff || c.port > 65535) return null;
  for (let i = 8; i + 1 < f.length; i += 2) {
    const v = f[i + 1]!;
    if (f[i] === "raddr") c.relatedAddress = v;
    else if (f[i] === "rport" && DIGITS.test(v) && Number(v) <= 65535) c.relatedPort = Number(v);
    else if (f[i] === "tcptype") c.tcpType = v;
  }
  return c;
}

/**
 * Our host candidate for the one shared UDP port (RFC 8839 §5.1; priority per RFC 8445 §5.1.2.1
 * with type preference 126 and local preference 65535, component 1).
 */
export function formatHostCandidate(foundation: number, address: string, port: number): string {
  const priority = 126 * 2 ** 24 + 65535 * 2 ** 8 + (256 - 1); // 2130706431
  return `candidate:${foundation} 1 udp ${priority} ${address} ${port} typ host`;
}
