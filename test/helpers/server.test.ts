/**
 * The startSpate helper and the CLI around startServer: run the real src/main.ts against a stub
 * server module, in a copy of src/ (so the real server's state does not matter here).
 */
import { afterAll, describe, expect, test } from "bun:test";
import { cpSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeTempDir } from "./ffmpeg.ts";
import { freePort, freeTcpPort, freeUdpPort } from "./ports.ts";
import { killAll } from "./process.ts";
import { parseListeningLine, ROOT, startSpate } from "./server.ts";

afterAll(killAll);

const STUB = `
import type { Config } from "./config.ts";
export async function startServer(config: Config) {
  if (process.env.STUB_FAIL) throw Object.assign(new Error("listen EADDRINUSE: address already in use"), { code: "EADDRINUSE" });
  const http = Bun.serve({ hostname: "127.0.0.1", port: config.http.port,
    fetch: (req) => Response.json({ path: new URL(req.url).pathname, takeover: config.streams.takeover }) });
  const rtmp = Bun.listen({ hostname: "127.0.0.1", port: config.rtmp.port, socket: { data() {} } });
  return {
    ports: { http: http.port, rtmp: rtmp.port, srt: 4321 },
    async stop() {
      await Bun.sleep(Number(process.env.STUB_STOP_MS ?? 10));
      http.stop(true);
      rtmp.stop(true);
      process.stderr.write("stub stopped\\n");
    },
  };
}
`;

function stubTree(): string {
  const dir = makeTempDir("spate-cli-");
  cpSync(join(ROOT, "src"), join(dir, "src"), { recursive: true, filter: (p) => !p.includes("testdata") });
  cpSync(join(ROOT, "package.json"), join(dir, "package.json"));
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  writeFileSync(join(dir, "src/server/server.ts"), STUB);
  return dir;
}

describe("parseListeningLine", () => {
  test("takes only the listening event, with every numeric port", () => {
    expect(parseListeningLine('{"event":"listening","http":1,"rtmp":2,"srt":3,"webrtc":4}')).toEqual({ http: 1, rtmp: 2, srt: 3, webrtc: 4 });
    expect(parseListeningLine('  {"event":"listening","http":0,"rtmp":0}\r')).toEqual({ http: 0, rtmp: 0 });
    expect(parseListeningLine('{"event":"stopped","http":1,"rtmp":2}')).toBeUndefined();
    expect(parseListeningLine('{"event":"listening","http":"1","rtmp":2}')).toBeUndefined();
    expect(parseListeningLine('{"t":"...","level":"warn","msg":"x"}')).toBeUndefined();
    expect(parseListeningLine("{not json")).toBeUndefined();
    expect(parseListeningLine("12:00:00.000 info  [rtmp] listening")).toBeUndefined();
  });
});

describe("free ports", () => {
  test("tcp, udp and both", async () => {
    expect(freeTcpPort()).toBeGreaterThan(0);
    expect(await freeUdpPort()).toBeGreaterThan(0);
    expect(await freePort()).toBeGreaterThan(0);
  });
});

describe("spate serve with a stub server", () => {
  const dir = stubTree();
  const entry = join(dir, "src/main.ts");

  test("prints one listening line, serves, stops on SIGTERM with exit 0", async () => {
    const spate = await startSpate(["--streams-takeover"], { entry, cwd: dir });
    try {
      expect(spate.ports.http).toBeGreaterThan(0);
      expect(spate.ports.srt).toBe(4321);
      expect(await spate.api("/api/v1/server")).toEqual({ path: "/api/v1/server", takeover: true });
      expect(spate.rtmpUrl("live/cam1")).toBe(`rtmp://127.0.0.1:${spate.ports.rtmp}/live/cam1`);
      expect(spate.srtUrl("live/cam1", "read")).toBe("srt://127.0.0.1:4321?streamid=read:live/cam1");
    } finally {
      const exit = await spate.stop();
      expect(exit.code).toBe(0);
      expect(exit.stderr).toContain("stub stopped");
      expect(exit.stdout.split("\n").filter((l) => parseListeningLine(l)).length).toBe(1);
    }
    expect((await spate.stop()).code).toBe(0); // twice is fine
  });

  test("a config error fails the start with the message, exit 2", async () => {
    const error = await startSpate(["--rtmp-port", "x"], { entry, cwd: dir }).catch((e: Error) => e);
    expect(String(error)).toContain("exited with code 2");
    expect(String(error)).toContain('config error: rtmp.port: expected an integer 0..65535, got "x" (from --rtmp-port)');
  });

  test("a startup failure is one line, exit 1", async () => {
    const error = await startSpate([], { entry, cwd: dir, env: { STUB_FAIL: "1" } }).catch((e: Error) => e);
    expect(String(error)).toContain("exited with code 1");
    expect(String(error)).toContain("spate: listen EADDRINUSE: address already in use");
    expect(String(error)).not.toContain("    at ");
  });

  test("no listening line in time is an error, and the process is killed", async () => {
    const sleepy = join(dir, "sleepy.ts");
    writeFileSync(sleepy, 'console.log("starting"); await Bun.sleep(60_000);');
    const error = await startSpate([], { entry: sleepy, cwd: dir, timeoutMs: 300 }).catch((e: Error) => e);
    expect(String(error)).toContain("did not print its listening line within 300 ms");
    expect(String(error)).toContain("starting");
  });

  test("a server that will not stop is killed", async () => {
    const spate = await startSpate([], { entry, cwd: dir, env: { STUB_STOP_MS: "60000" } });
    const exit = await spate.stop(300);
    expect(exit.signal).toBe("SIGKILL");
  });

  test("--help, --version, unknown command", async () => {
    const run = (...args: string[]) => Bun.spawnSync([process.execPath, entry, ...args], { cwd: dir });
    const help = run("serve", "--help");
    expect(help.exitCode).toBe(0);
    const text = help.stdout.toString();
    for (const s of ["--rtmp-port", "SPATE_RTMP_PORT", "--streams-grace-ms", "rtmp://localhost:1935/live/cam1", "index.m3u8", "whep"]) {
      expect(text).toContain(s);
    }
    expect(run("--version").stdout.toString()).toMatch(/^spate \d+\.\d+\.\d+/);
    const bad = run("frobnicate");
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr.toString()).toContain('unknown command "frobnicate"');
  });
});
