/**
 * Kernel socket buffer sizes for a UDP socket Bun opened. Bun's UDP API has no setsockopt, so the
 * socket's descriptor is found through /proc (its local port → inode → our fd) and the options are
 * set with bun:ffi. One UDP port carries every SRT peer: with the default 208 KiB receive buffer,
 * hundreds of readers' ACKs crowd out a publisher's packets (the kernel drops them, RcvbufErrors).
 * Linux only; elsewhere, or when anything fails, the defaults stay and the reason is returned.
 */
import { dlopen, FFIType, ptr } from "bun:ffi";
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

const SOL_SOCKET = 1;
const SO_SNDBUF = 7;
const SO_RCVBUF = 8;
/** Past net.core.{r,w}mem_max; needs CAP_NET_ADMIN (root), tried first. */
const SO_SNDBUFFORCE = 32;
const SO_RCVBUFFORCE = 33;

export interface SocketBufferResult {
  fd: number;
  /** What the kernel reports after the change (it doubles the asked value for bookkeeping). */
  rcvBytes: number;
  sndBytes: number;
}

let libc: ReturnType<typeof openLibc> | null = null;
function openLibc() {
  return dlopen("libc.so.6", {
    setsockopt: { args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
    getsockopt: { args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.ptr], returns: FFIType.i32 },
  });
}

/** The descriptor of this process's UDP socket bound to `port`, or -1. */
export function findUdpSocketFd(port: number): number {
  // "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode"
  const needle = `:${port.toString(16).toUpperCase().padStart(4, "0")} `;
  const inodes = new Set<string>();
  for (const table of ["/proc/net/udp", "/proc/net/udp6"]) {
    let text: string;
    try {
      text = readFileSync(table, "utf8");
    } catch {
      continue;
    }
    for (let at = text.indexOf(needle); at >= 0; at = text.indexOf(needle, at + 1)) {
      const start = text.lastIndexOf("\n", at) + 1;
      const end = text.indexOf("\n", at);
      const f = text.slice(start, end < 0 ? undefined : end).trim().split(/\s+/);
      // Only the local address column counts (the remote one can carry the same port).
      if (f.length >= 10 && f[1]!.endsWith(needle.trimEnd())) inodes.add(f[9]!);
    }
  }
  if (!inodes.size) return -1;
  // The socket was just opened: its descriptor is most likely among the highest.
  const fds = readdirSync("/proc/self/fd").map(Number).sort((a, b) => b - a);
  for (const fd of fds) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue;
    }
    const m = /^socket:\[(\d+)\]$/.exec(target);
    if (m && inodes.has(m[1]!)) return fd;
  }
  return -1;
}

/** Asks for `bytes` of receive and send buffer on the UDP socket bound to `port`. */
export function setUdpSocketBuffers(port: number, bytes: number): SocketBufferResult | string {
  if (process.platform !== "linux") return `socket buffers: not supported on ${process.platform}`;
  const fd = findUdpSocketFd(port);
  if (fd < 0) return `socket buffers: no UDP socket of ours on port ${port}`;
  try {
    libc ??= openLibc();
  } catch (e) {
    return `socket buffers: ${(e as Error).message}`;
  }
  const val = new Int32Array([bytes]);
  const len = new Uint32Array([4]);
  for (const [force, plain] of [
    [SO_RCVBUFFORCE, SO_RCVBUF],
    [SO_SNDBUFFORCE, SO_SNDBUF],
  ] as const) {
    if (libc.symbols.setsockopt(fd, SOL_SOCKET, force, ptr(val), 4) !== 0) libc.symbols.setsockopt(fd, SOL_SOCKET, plain, ptr(val), 4);
  }
  const read = (opt: number) => {
    const out = new Int32Array(1);
    len[0] = 4;
    return libc!.symbols.getsockopt(fd, SOL_SOCKET, opt, ptr(out), ptr(len)) === 0 ? out[0]! : 0;
  };
  return { fd, rcvBytes: read(SO_RCVBUF), sndBytes: read(SO_SNDBUF) };
}
