import { afterAll, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError, configOptions, defaultConfig, loadConfig } from "./config.ts";

const dir = mkdtempSync(join(tmpdir(), "spate-config-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** The ConfigError message loadConfig throws for these inputs. */
function errorOf(opts: Parameters<typeof loadConfig>[0]): string {
  try {
    loadConfig({ cwd: dir, ...opts });
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as Error).message;
  }
  throw new Error("expected a ConfigError");
}

describe("defaults", () => {
  test("no file, env or flags gives the documented defaults", () => {
    const c = loadConfig({ argv: [], env: {}, cwd: dir });
    expect(c.http).toEqual({ port: 8080, host: "0.0.0.0" });
    expect(c.rtmp).toEqual({ port: 1935, host: "0.0.0.0", chunkSize: 4096 });
    expect(c.rtmps.port).toBe(1936);
    expect(c.rtmps.cert).toBeUndefined();
    expect(c.srt.port).toBe(9000);
    expect(c.webrtc.port).toBe(8189);
    expect(c.streams).toEqual({
      graceMs: 10_000,
      takeover: false,
      ringBytes: 2 * 1024 * 1024,
      ringFrames: 4096,
      maxViewerLagMs: 3000,
      viewerDropMs: 10_000,
      maxSkips: 5,
      coalesceMs: 20,
    });
    expect(c.log).toEqual({ level: "info", format: "auto" });
    expect(c.node).toEqual({ id: hostname(), region: "default", datacenter: "default" });
    expect(c.cluster).toEqual({ registry: "memory", leaseMs: 5000, relayLingerMs: 5000 });
    expect(defaultConfig()).toEqual(c);
  });

  test("every option has a flag, an env name, a default and a description", () => {
    const options = configOptions();
    expect(options.length).toBeGreaterThan(20);
    for (const o of options) {
      expect(o.description.length).toBeGreaterThan(3);
      expect(o.flag).toMatch(/^--[a-z0-9-]+$/);
      expect(o.env).toMatch(/^SPATE_[A-Z0-9_]+$/);
    }
    const port = options.find((o) => o.path === "streams.graceMs")!;
    expect(port.flag).toBe("--streams-grace-ms");
    expect(port.env).toBe("SPATE_STREAMS_GRACE_MS");
    expect(new Set(options.map((o) => o.flag)).size).toBe(options.length);
  });
});

describe("file", () => {
  test("JSON", () => {
    const f = write("a.json", JSON.stringify({ rtmp: { port: 2000, chunkSize: 8192 }, streams: { takeover: true } }));
    const c = loadConfig({ argv: ["--config", f], cwd: dir });
    expect(c.rtmp).toEqual({ port: 2000, host: "0.0.0.0", chunkSize: 8192 });
    expect(c.streams.takeover).toBe(true);
    expect(c.http.port).toBe(8080);
  });

  test("YAML, found through SPATE_CONFIG relative to cwd", () => {
    write("spate.yaml", "http:\n  port: 9090\nlog:\n  level: debug\nnode:\n  region: eu\n");
    const c = loadConfig({ env: { SPATE_CONFIG: "spate.yaml" }, cwd: dir });
    expect(c.http.port).toBe(9090);
    expect(c.log.level).toBe("debug");
    expect(c.node.region).toBe("eu");
  });

  test("an empty YAML file is all defaults", () => {
    write("empty.yml", "");
    expect(loadConfig({ argv: ["--config=empty.yml"], cwd: dir })).toEqual(defaultConfig());
  });

  test("rtmps cert and key in a file resolve beside the file", () => {
    mkdirSync(join(dir, "tls"), { recursive: true });
    write("tls/cert.pem", "x");
    write("tls/key.pem", "x");
    write("tls/spate.json", JSON.stringify({ rtmps: { cert: "cert.pem", key: "key.pem" } }));
    const c = loadConfig({ argv: ["--config", "tls/spate.json"], cwd: dir });
    expect(c.rtmps.cert).toBe(join(dir, "tls", "cert.pem"));
    expect(c.rtmps.key).toBe(join(dir, "tls", "key.pem"));
  });
});

describe("precedence: defaults < file < env < flags", () => {
  const f = () => write("p.yaml", "http:\n  port: 1001\nrtmp:\n  port: 1002\nsrt:\n  port: 1003\n");
  test("env beats file, flag beats env", () => {
    const c = loadConfig({
      argv: ["--config", f(), "--rtmp-port", "3002"],
      env: { SPATE_RTMP_PORT: "2002", SPATE_SRT_PORT: "2003" },
      cwd: dir,
    });
    expect(c.http.port).toBe(1001);
    expect(c.srt.port).toBe(2003);
    expect(c.rtmp.port).toBe(3002);
  });

  test("--config beats SPATE_CONFIG", () => {
    write("other.json", JSON.stringify({ http: { port: 4444 } }));
    expect(loadConfig({ argv: ["--config", "other.json"], env: { SPATE_CONFIG: f() }, cwd: dir }).http.port).toBe(4444);
  });

  test("env and flags are coerced to the schema's types", () => {
    const c = loadConfig({
      argv: ["--streams-grace-ms", "5000", "--log-format=json", "--streams-takeover"],
      env: { SPATE_STREAMS_RING_BYTES: "1048576", SPATE_NODE_ID: "n1", SPATE_WEBRTC_PORT: "" },
      cwd: dir,
    });
    expect(c.streams.graceMs).toBe(5000);
    expect(c.streams.takeover).toBe(true);
    expect(c.streams.ringBytes).toBe(1048576);
    expect(c.log.format).toBe("json");
    expect(c.node.id).toBe("n1");
    expect(c.webrtc.port).toBe(8189); // an empty env var is unset
  });

  test("boolean flag forms", () => {
    const t = (argv: string[], env = {}) => loadConfig({ argv, env, cwd: dir }).streams.takeover;
    expect(t(["--streams-takeover", "false"])).toBe(false);
    expect(t(["--streams-takeover=true"])).toBe(true);
    expect(t(["--no-streams-takeover"], { SPATE_STREAMS_TAKEOVER: "yes" })).toBe(false);
    expect(t([], { SPATE_STREAMS_TAKEOVER: "1" })).toBe(true);
  });

  test("every port may be 0", () => {
    const argv = ["--http-port", "0", "--rtmp-port", "0", "--rtmps-port", "0", "--srt-port", "0", "--webrtc-port", "0"];
    const c = loadConfig({ argv, cwd: dir });
    expect([c.http.port, c.rtmp.port, c.rtmps.port, c.srt.port, c.webrtc.port]).toEqual([0, 0, 0, 0, 0]);
    const e = loadConfig({ env: { SPATE_HTTP_PORT: "0", SPATE_RTMP_PORT: "0" }, cwd: dir });
    expect([e.http.port, e.rtmp.port]).toEqual([0, 0]);
  });

  test("flag paths for rtmps resolve against cwd", () => {
    write("c.pem", "x");
    write("k.pem", "x");
    const c = loadConfig({ argv: ["--rtmps-cert", "c.pem", "--rtmps-key", join(dir, "k.pem")], cwd: dir });
    expect(c.rtmps.cert).toBe(join(dir, "c.pem"));
    expect(c.rtmps.key).toBe(join(dir, "k.pem"));
  });
});

describe("errors name the key, the expectation, the value and the source", () => {
  test("bad value from env, flag and file", () => {
    expect(errorOf({ env: { SPATE_RTMP_PORT: "abc" } })).toBe(
      'config error: rtmp.port: expected an integer 0..65535, got "abc" (from SPATE_RTMP_PORT)',
    );
    expect(errorOf({ argv: ["--rtmp-port", "70000"] })).toBe(
      "config error: rtmp.port: expected an integer 0..65535, got 70000 (from --rtmp-port)",
    );
    write("bad.yaml", "rtmp:\n  port: -1\n");
    expect(errorOf({ argv: ["--config", "bad.yaml"] })).toBe(
      "config error: rtmp.port: expected an integer 0..65535, got -1 (from bad.yaml)",
    );
    expect(errorOf({ argv: ["--http-port", "1.5"] })).toContain("http.port: expected an integer 0..65535, got 1.5");
  });

  test("enum, boolean, power of two, section type", () => {
    expect(errorOf({ argv: ["--log-level", "loud"] })).toBe(
      'config error: log.level: expected one of debug, info, warn, error, got "loud" (from --log-level)',
    );
    expect(errorOf({ env: { SPATE_STREAMS_TAKEOVER: "maybe" } })).toContain(
      'streams.takeover: expected true or false, got "maybe" (from SPATE_STREAMS_TAKEOVER)',
    );
    expect(errorOf({ argv: ["--streams-ring-frames", "1000"] })).toContain("streams.ringFrames: expected a power of two");
    write("sec.json", JSON.stringify({ http: 5 }));
    expect(errorOf({ argv: ["--config", "sec.json"] })).toBe("config error: http: expected a mapping, got 5 (from sec.json)");
  });

  test("unknown keys in a file, with a suggestion", () => {
    write("typo.yaml", "rtmp:\n  chunksize: 100\n");
    expect(errorOf({ argv: ["--config", "typo.yaml"] })).toBe(
      "config error: rtmp.chunksize: unknown key (from typo.yaml) (did you mean chunkSize?)",
    );
    write("top.json", JSON.stringify({ htp: {} }));
    expect(errorOf({ argv: ["--config", "top.json"] })).toBe(
      "config error: htp: unknown key (from top.json) (did you mean http?)",
    );
  });

  test("several problems are reported on one line", () => {
    const msg = errorOf({ argv: ["--http-port", "x", "--srt-port", "y"] });
    expect(msg).not.toContain("\n");
    expect(msg).toContain("http.port");
    expect(msg).toContain("srt.port");
  });

  test("unknown flag suggests --help; unknown env in a known section", () => {
    expect(errorOf({ argv: ["--rtmp-prot", "1"] })).toBe(
      "config error: unknown flag --rtmp-prot (did you mean --rtmp-port?) (see spate serve --help)",
    );
    expect(errorOf({ argv: ["--frobnicate"] })).toBe("config error: unknown flag --frobnicate (see spate serve --help)");
    expect(errorOf({ argv: ["live"] })).toContain('unexpected argument "live" (see spate serve --help)');
    expect(errorOf({ argv: ["--rtmp-port"] })).toBe("config error: --rtmp-port needs a value (rtmp.port)");
    expect(errorOf({ env: { SPATE_RTMP_PROT: "1" } })).toBe(
      "config error: unknown environment variable SPATE_RTMP_PROT (did you mean SPATE_RTMP_PORT?)",
    );
    expect(loadConfig({ env: { SPATE_SOMETHING_ELSE: "1", PATH: "/bin" }, cwd: dir }).http.port).toBe(8080);
  });

  test("file problems", () => {
    expect(errorOf({ argv: ["--config", "missing.yaml"] })).toBe("config error: cannot read missing.yaml: ENOENT");
    write("x.toml", "");
    expect(errorOf({ argv: ["--config", "x.toml"] })).toBe("config error: x.toml: expected a .json, .yaml or .yml file");
    write("broken.json", "{ nope");
    expect(errorOf({ argv: ["--config", "broken.json"] })).toStartWith("config error: broken.json: invalid JSON: ");
    write("list.yaml", "- a\n- b\n");
    expect(errorOf({ argv: ["--config", "list.yaml"] })).toBe(
      "config error: list.yaml: expected a mapping of sections at the top level",
    );
  });

  test("rtmps needs both cert and key, and they must exist", () => {
    write("only.pem", "x");
    expect(errorOf({ argv: ["--rtmps-cert", "only.pem"] })).toBe(
      "config error: rtmps.key: required when rtmps.cert is set (from --rtmps-cert); RTMPS listens only with both",
    );
    expect(errorOf({ argv: ["--rtmps-cert", "only.pem"], env: { SPATE_RTMPS_KEY: "nokey.pem" } })).toBe(
      `config error: rtmps.key: file not found: ${join(dir, "nokey.pem")} (from SPATE_RTMPS_KEY)`,
    );
  });
});

describe("maps set in a file only", () => {
  test("srt.pull and srt.passphrases come from the file and are validated", () => {
    const dir = mkdtempSync(join(tmpdir(), "spate-cfg-"));
    const file = join(dir, "spate.yaml");
    writeFileSync(file, 'srt:\n  pull: { "live/remote": "srt://10.0.0.1:9000?streamid=read:x" }\n  passphrases: { "live/cam1": "0123456789ab" }\n');
    const c = loadConfig({ argv: ["--config", file], env: {}, cwd: dir });
    expect(c.srt.pull).toEqual({ "live/remote": "srt://10.0.0.1:9000?streamid=read:x" });
    expect(c.srt.passphrases["live/cam1"]).toBe("0123456789ab");
    writeFileSync(file, 'srt:\n  pull: { "live/remote": "rtmp://x" }\n');
    expect(() => loadConfig({ argv: ["--config", file], env: {}, cwd: dir })).toThrow("expected an srt:// URL");
    expect(() => loadConfig({ argv: ["--srt-pull", "x"], env: {}, cwd: dir })).toThrow("unknown flag");
  });
});

describe("node and cluster", () => {
  const secret = "0123456789abcdef";

  test("identity, address and a redis registry from flags and env", () => {
    const c = loadConfig({
      argv: ["--node-id", "a", "--node-region", "eu", "--node-datacenter", "eu-1", "--node-address", "10.0.0.5:8080"],
      env: { SPATE_CLUSTER_REGISTRY: "redis://127.0.0.1:6379/2", SPATE_CLUSTER_SECRET: secret, SPATE_CLUSTER_LEASE_MS: "1500" },
      cwd: dir,
    });
    expect(c.node).toEqual({ id: "a", region: "eu", datacenter: "eu-1", address: "10.0.0.5:8080" });
    expect(c.cluster).toEqual({ registry: "redis://127.0.0.1:6379/2", secret, leaseMs: 1500, relayLingerMs: 5000 });
    expect(loadConfig({ argv: ["--node-address", "[::1]:9"], env: {}, cwd: dir }).node.address).toBe("[::1]:9");
    const options = configOptions().map((o) => o.flag);
    for (const f of ["--node-address", "--cluster-registry", "--cluster-secret", "--cluster-lease-ms", "--cluster-relay-linger-ms"]) {
      expect(options).toContain(f);
    }
  });

  test("a redis registry needs the secret; bad values are named", () => {
    expect(errorOf({ argv: ["--cluster-registry", "redis://127.0.0.1:6379"] })).toBe(
      "config error: cluster.secret: required when cluster.registry is redis://127.0.0.1:6379 (from --cluster-registry); set SPATE_CLUSTER_SECRET or --cluster-secret on every node",
    );
    expect(errorOf({ argv: ["--cluster-registry", "etcd://x"] })).toBe(
      'config error: cluster.registry: expected memory or redis://host:port[/db], got "etcd://x" (from --cluster-registry)',
    );
    expect(errorOf({ env: { SPATE_CLUSTER_SECRET: "short" } })).toContain("cluster.secret: expected a secret of at least 16 characters");
    expect(errorOf({ argv: ["--node-address", "http://x:1"] })).toContain("node.address: expected host:port");
    expect(errorOf({ argv: ["--cluster-lease-ms", "10"] })).toContain("cluster.leaseMs: expected an integer 300..600000");
    // the memory registry needs no secret
    expect(loadConfig({ argv: ["--cluster-registry", "memory"], env: {}, cwd: dir }).cluster.secret).toBeUndefined();
  });
});
