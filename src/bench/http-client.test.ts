import { afterEach, describe, expect, test } from "bun:test";
import type { Socket, TCPSocketListener } from "bun";
import { HttpAgent } from "./http-client.ts";

const text = (b: Uint8Array) => new TextDecoder().decode(b);
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A TCP server that hands each request's text, and how many came before it on any socket, to `onRequest`, which writes the raw response. */
function rawServer(onRequest: (s: Socket<undefined>, request: string, n: number) => void): TCPSocketListener<undefined> {
  let n = 0;
  return Bun.listen({
    hostname: "127.0.0.1",
    port: 0,
    socket: {
      data(s, d) {
        onRequest(s, d.toString("latin1"), n++);
      },
    },
  });
}

let cleanup: (() => void)[] = [];
afterEach(() => {
  for (const c of cleanup) c();
  cleanup = [];
});

function agentFor(port: number): HttpAgent {
  const agent = new HttpAgent({ hostname: "127.0.0.1", port, tls: false });
  cleanup.push(() => agent.close());
  return agent;
}

describe("HttpConnection", () => {
  test("Content-Length bodies from Bun.serve, many requests on one kept-alive connection", async () => {
    const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: (req) => new Response(`you asked for ${new URL(req.url).pathname}${new URL(req.url).search}`) });
    cleanup.push(() => server.stop(true));
    const agent = agentFor(server.port!);
    const c = agent.connection();
    for (let i = 0; i < 20; i++) {
      expect(await c.get(`/p/${i}?q=${i}`, 2000)).toBe(200);
      expect(text(c.body)).toBe(`you asked for /p/${i}?q=${i}`);
    }
    expect(agent.connects).toBe(1);
  });

  test("a large body, many pieces, assembled whole", async () => {
    const big = new Uint8Array(3 * 1024 * 1024).map((_, i) => i & 0xff);
    const server = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response(big) });
    cleanup.push(() => server.stop(true));
    const c = agentFor(server.port!).connection();
    expect(await c.get("/big", 5000)).toBe(200);
    expect(c.body.length).toBe(big.length);
    expect(Buffer.compare(c.body, big)).toBe(0);
  });

  test("chunked bodies from Bun.serve (a streamed response)", async () => {
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: () =>
        new Response(
          new ReadableStream({
            async pull(ctl) {
              for (const piece of ["one ", "two ", "three"]) {
                ctl.enqueue(new TextEncoder().encode(piece));
                await sleep(5);
              }
              ctl.close();
            },
          }),
        ),
    });
    cleanup.push(() => server.stop(true));
    const agent = agentFor(server.port!);
    const c = agent.connection();
    for (let i = 0; i < 3; i++) {
      expect(await c.get("/stream", 2000)).toBe(200);
      expect(c.reader.chunked).toBe(true);
      expect(text(c.body)).toBe("one two three");
    }
    expect(agent.connects).toBe(1);
  });

  test("requests are one small write with the Host header", async () => {
    const seen: string[] = [];
    const server = rawServer((s, req) => {
      seen.push(req);
      s.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    });
    cleanup.push(() => server.stop(true));
    const c = agentFor(server.port).connection();
    expect(await c.get("/live/x/stream.m3u8?_HLS_msn=3&_HLS_part=1", 2000)).toBe(200);
    expect(seen).toEqual([`GET /live/x/stream.m3u8?_HLS_msn=3&_HLS_part=1 HTTP/1.1\r\nHost: 127.0.0.1:${server.port}\r\n\r\n`]);
  });

  test("Connection: close ends the socket after the response; the next request opens another", async () => {
    const server = rawServer((s) => {
      s.write("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok");
      s.end();
    });
    cleanup.push(() => server.stop(true));
    const agent = agentFor(server.port);
    const c = agent.connection();
    for (let i = 0; i < 3; i++) {
      expect(await c.get("/", 2000)).toBe(200);
      expect(text(c.body)).toBe("ok");
    }
    expect(agent.connects).toBe(3);
  });

  test("a kept-alive connection the server closed while idle: the request goes out again, once", async () => {
    const server = rawServer((s) => {
      s.write("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok");
      // Closes without saying so, as an idle timeout would, once the client had its answer.
      setTimeout(() => s.end(), 20);
    });
    cleanup.push(() => server.stop(true));
    const agent = agentFor(server.port);
    const c = agent.connection();
    expect(await c.get("/", 2000)).toBe(200);
    await sleep(100);
    expect(await c.get("/", 2000)).toBe(200);
    expect(text(c.body)).toBe("ok");
    expect(agent.connects).toBe(2);
  });

  test("a server closing mid-response fails the request; the connection then reconnects", async () => {
    const server = rawServer((s, _req, n) => {
      if (n === 0) {
        s.write("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part");
        s.end();
      } else s.write("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nfine");
    });
    cleanup.push(() => server.stop(true));
    const c = agentFor(server.port).connection();
    expect(await c.get("/", 2000)).toBe(0);
    expect(c.error).toBe("connection closed");
    expect(await c.get("/", 2000)).toBe(200);
    expect(text(c.body)).toBe("fine");
  });

  test("a body without length, ended by the close", async () => {
    const server = rawServer((s) => {
      s.write("HTTP/1.1 200 OK\r\n\r\nuntil ");
      setTimeout(() => {
        s.write("the end");
        s.end();
      }, 20);
    });
    cleanup.push(() => server.stop(true));
    const c = agentFor(server.port).connection();
    expect(await c.get("/", 2000)).toBe(200);
    expect(text(c.body)).toBe("until the end");
  });

  test("a slow body: headers first, then the body a few bytes at a time", async () => {
    const body = "a slow body, trickled in";
    const server = rawServer(async (s) => {
      s.write(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n`);
      for (let i = 0; i < body.length; i += 5) {
        await sleep(15);
        s.write(body.slice(i, i + 5));
      }
    });
    cleanup.push(() => server.stop(true));
    const c = agentFor(server.port).connection();
    const t0 = performance.now();
    expect(await c.get("/", 2000)).toBe(200);
    expect(text(c.body)).toBe(body);
    expect(performance.now() - t0).toBeGreaterThan(60);
  });

  test("no answer: the request fails at its deadline and the next one gets a new socket", async () => {
    const server = rawServer((s, _req, n) => {
      if (n > 0) s.write("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    });
    cleanup.push(() => server.stop(true));
    const agent = agentFor(server.port);
    const c = agent.connection();
    const t0 = performance.now();
    expect(await c.get("/", 300)).toBe(0);
    const waited = performance.now() - t0;
    expect(c.error).toBe("no answer in 300 ms");
    expect(waited).toBeGreaterThanOrEqual(290);
    expect(waited).toBeLessThan(800);
    expect(await c.get("/", 2000)).toBe(200);
    expect(agent.connects).toBe(2);
  });

  test("a refused connection fails the request", async () => {
    const server = rawServer(() => {});
    const port = server.port;
    server.stop(true);
    const c = agentFor(port).connection();
    expect(await c.get("/", 2000)).toBe(0);
    expect(c.error).not.toBe("");
  });

  test("malformed responses fail the request and drop the socket", async () => {
    const server = rawServer((s) => s.write("SPDY/9 nonsense\r\n\r\n"));
    cleanup.push(() => server.stop(true));
    const c = agentFor(server.port).connection();
    expect(await c.get("/", 2000)).toBe(0);
    expect(c.error).toContain("http:");
  });

  test("close() ends a request in flight", async () => {
    const server = rawServer(() => {});
    cleanup.push(() => server.stop(true));
    const c = agentFor(server.port).connection();
    const p = c.get("/", 5000);
    await sleep(20);
    c.close();
    expect(await p).toBe(0);
    expect(c.error).toBe("closed");
  });

  test("one request at a time", async () => {
    const server = rawServer(() => {});
    cleanup.push(() => server.stop(true));
    const c = agentFor(server.port).connection();
    void c.get("/", 5000);
    expect(() => c.get("/", 5000)).toThrow(/one request at a time/);
  });
});
