import { describe, expect, test } from "bun:test";
import { ProtocolError } from "../core/errors.ts";
import { HttpResponseReader, MAX_BODY_BYTES } from "./http-response-reader.ts";

const enc = (s: string) => new TextEncoder().encode(s);
const text = (b: Uint8Array) => new TextDecoder().decode(b);

interface Case {
  name: string;
  wire: string;
  status: number;
  body: string;
  keepAlive: boolean;
}

/** One table for the whole-input, byte-at-a-time and every-split tests. */
const CASES: Case[] = [
  { name: "content-length", wire: "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: text/plain\r\n\r\nhello", status: 200, body: "hello", keepAlive: true },
  { name: "header names in any case, spaces around values", wire: "HTTP/1.1 200 OK\r\ncontent-LENGTH:   3  \r\n\r\nabc", status: 200, body: "abc", keepAlive: true },
  { name: "empty body", wire: "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", status: 404, body: "", keepAlive: true },
  { name: "no reason phrase", wire: "HTTP/1.1 204 \r\n\r\n", status: 204, body: "", keepAlive: true },
  {
    name: "chunked with extensions and trailers",
    wire: "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\nA\r\n, world!!!\r\n0\r\nX-Trailer: t\r\n\r\n",
    status: 200,
    body: "hello, world!!!",
    keepAlive: true,
  },
  { name: "chunked overrides Content-Length", wire: "HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", status: 200, body: "ok", keepAlive: true },
  { name: "Connection: close", wire: "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nhi", status: 200, body: "hi", keepAlive: false },
  { name: "HTTP/1.0 closes unless kept alive", wire: "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi", status: 200, body: "hi", keepAlive: false },
  { name: "HTTP/1.0 with keep-alive", wire: "HTTP/1.0 200 OK\r\nConnection: Keep-Alive\r\nContent-Length: 2\r\n\r\nhi", status: 200, body: "hi", keepAlive: true },
  { name: "an interim 100 before the response", wire: "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nx", status: 200, body: "x", keepAlive: true },
];

/** Feeds `pieces` in order; the reader must be done after the last and have used every byte. */
function read(pieces: Uint8Array[]): HttpResponseReader {
  const r = new HttpResponseReader();
  for (const p of pieces) {
    expect(r.done).toBe(false);
    expect(r.push(p)).toBe(p.length);
  }
  expect(r.done).toBe(true);
  return r;
}

describe("HttpResponseReader", () => {
  for (const c of CASES) {
    test(`${c.name}: whole, byte by byte, and split at every offset`, () => {
      const wire = enc(c.wire);
      const splits: Uint8Array[][] = [[wire], [...wire].map((b) => Uint8Array.of(b))];
      for (let i = 1; i < wire.length; i++) splits.push([wire.slice(0, i), wire.slice(i)]);
      for (const pieces of splits) {
        const r = read(pieces);
        expect(r.status).toBe(c.status);
        expect(text(r.body)).toBe(c.body);
        expect(r.keepAlive).toBe(c.keepAlive);
      }
    });
  }

  test("a body that arrives in one piece is a view of it, not a copy", () => {
    const wire = enc("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nbody");
    const r = read([wire]);
    expect(r.body.buffer).toBe(wire.buffer);
  });

  test("a body split across pieces is assembled in the reader's buffer, reused by the next response", () => {
    const r = new HttpResponseReader();
    r.push(enc("HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nabc"));
    r.push(enc("def"));
    expect(text(r.body)).toBe("abcdef");
    const first = r.body.buffer;
    r.reset();
    r.push(enc("HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nxy"));
    r.push(enc("zw"));
    expect(text(r.body)).toBe("xyzw");
    expect(r.body.buffer).toBe(first);
  });

  test("a body without length runs until the connection closes", () => {
    const r = new HttpResponseReader();
    r.push(enc("HTTP/1.1 200 OK\r\n\r\npart one, "));
    r.push(enc("part two"));
    expect(r.done).toBe(false);
    expect(r.end()).toBe(true);
    expect(text(r.body)).toBe("part one, part two");
    expect(r.keepAlive).toBe(false);
  });

  test("a close before the end of a Content-Length body leaves it incomplete", () => {
    const r = new HttpResponseReader();
    r.push(enc("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort"));
    expect(r.end()).toBe(false);
    expect(r.started).toBe(true);
  });

  test("bytes after the response are left to the caller", () => {
    const r = new HttpResponseReader();
    const wire = enc("HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxHTTP/1.1");
    expect(r.push(wire)).toBe(wire.length - 8);
    expect(r.done).toBe(true);
  });

  test("malformed input throws ProtocolError", () => {
    const bad = [
      "HTTX/1.1 200 OK\r\n\r\n",
      "HTTP/1.1 2x0 OK\r\n\r\n",
      "HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
      "HTTP/1.1 200 OK\r\nContent-Length: 12a\r\n\r\n",
      `HTTP/1.1 200 OK\r\nContent-Length: ${MAX_BODY_BYTES + 1}\r\n\r\n`,
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nokXX",
      `HTTP/1.1 200 OK\r\nX-Long: ${"a".repeat(20_000)}\r\n\r\n`,
    ];
    for (const wire of bad) {
      const r = new HttpResponseReader();
      expect(() => r.push(enc(wire)), wire.slice(0, 60)).toThrow(ProtocolError);
    }
  });
});
