/**
 * Free ports, for the rare test that must know a port before it starts something (prefer port 0
 * and the `listening` line). The port is released before returning, so another process may take
 * it first: retry on EADDRINUSE.
 */
export function freeTcpPort(hostname = "127.0.0.1"): number {
  const listener = Bun.listen({ hostname, port: 0, socket: { data() {} } });
  const port = listener.port;
  listener.stop(true);
  return port;
}

export async function freeUdpPort(hostname = "127.0.0.1"): Promise<number> {
  const socket = await Bun.udpSocket({ hostname, port: 0 });
  const port = socket.port;
  socket.close();
  return port;
}

/** A port free for both TCP and UDP at the moment of the call. */
export async function freePort(hostname = "127.0.0.1", attempts = 20): Promise<number> {
  for (let i = 0; i < attempts; i++) {
    const port = freeTcpPort(hostname);
    try {
      const socket = await Bun.udpSocket({ hostname, port });
      socket.close();
      return port;
    } catch {
      // taken for UDP: try another
    }
  }
  throw new Error(`no port free for both TCP and UDP after ${attempts} attempts`);
}
