/**
 * The whole configuration: one zod schema with every default embedded, so `spate serve` runs with
 * no file. Sources merge as defaults < file (`--config FILE` or SPATE_CONFIG, JSON or YAML) <
 * SPATE_<SECTION>_<KEY> env < --<section>-<key> flags. Errors name the key, the expectation, the
 * value and where it came from, on one line.
 */
import { existsSync, readFileSync } from "node:fs";
import { hostname } from "node:os";
import { dirname, extname, resolve } from "node:path";
import { z } from "zod";

/** Bad configuration. The message is one line starting with "config error:"; main exits 2. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(`config error: ${message}`);
    this.name = "ConfigError";
  }
}

function int(min: number, max: number) {
  const msg = `expected an integer ${min}..${max}`;
  return z.int({ error: msg }).min(min, msg).max(max, msg);
}
const port = (d: number, what: string) => int(0, 65535).default(d).describe(`${what} (0 picks a free port)`);
const host = (what: string) =>
  z.string({ error: "expected a host name or address" }).min(1, "expected a host name or address").default("0.0.0.0").describe(`address the ${what} listener binds`);
const flag = (d: boolean, what: string) => z.boolean({ error: "expected true or false" }).default(d).describe(what);
const text = (d: string | (() => string), what: string) =>
  z.string({ error: "expected a non-empty string" }).min(1, "expected a non-empty string").default(d as string).describe(what);
const file = (what: string) => z.string({ error: "expected a file path" }).min(1, "expected a file path").optional().describe(what);
const oneOf = <T extends readonly [string, ...string[]]>(values: T, d: T[number], what: string) =>
  z.enum(values, { error: `expected one of ${values.join(", ")}` }).default(d).describe(what);
const powerOfTwo = (min: number, max: number) => {
  const msg = `expected a power of two ${min}..${max}`;
  return z.int({ error: msg }).min(min, msg).max(max, msg).refine((n) => (n & (n - 1)) === 0, msg);
};

const MIB = 1024 * 1024;

export const ConfigSchema = z.strictObject({
  http: z
    .strictObject({ port: port(8080, "HTTP port: HLS, DASH, WHIP, WHEP, API, player, metrics"), host: host("HTTP") })
    .prefault({})
    .describe("HTTP"),
  rtmp: z
    .strictObject({
      port: port(1935, "RTMP port"),
      host: host("RTMP"),
      chunkSize: int(128, 65536).default(4096).describe("outgoing RTMP chunk size in bytes"),
    })
    .prefault({})
    .describe("RTMP"),
  rtmps: z
    .strictObject({
      port: port(1936, "RTMPS port (listens only when cert and key are set)"),
      host: host("RTMPS"),
      cert: file("PEM certificate chain for RTMPS"),
      key: file("PEM private key for RTMPS"),
    })
    .prefault({})
    .describe("RTMPS"),
  srt: z
    .strictObject({
      port: port(9000, "SRT UDP port"),
      host: host("SRT"),
      latencyMs: int(20, 8000).default(120).describe("SRT receive latency (TSBPD) we ask for; the larger of both sides' wins"),
      passphrase: z
        .string({ error: "expected a passphrase of 10 to 79 characters" })
        .min(10, "expected a passphrase of 10 to 79 characters")
        .max(79, "expected a passphrase of 10 to 79 characters")
        .optional()
        .describe("encrypt every SRT connection with this passphrase (AES-CTR); peers without it are refused"),
      pbkeylen: int(16, 32)
        .refine((n) => n === 16 || n === 24 || n === 32, "expected 16, 24 or 32")
        .default(16)
        .describe("AES key length in bytes when we choose it (callers choose their own)"),
      socketBufferBytes: int(0, 256 << 20)
        .default(8 << 20)
        .describe("kernel receive and send buffer of the SRT UDP socket (every peer shares it; 0 keeps the OS default)"),
      passphrases: z
        .record(z.string(), z.string().min(10, "expected a passphrase of 10 to 79 characters").max(79, "expected a passphrase of 10 to 79 characters"))
        .default({})
        .describe('per-path passphrases, overriding srt.passphrase: { "live/cam1": "secret for cam1" }'),
      pull: z
        .record(z.string(), z.string().regex(/^srt:\/\//, "expected an srt:// URL"))
        .default({})
        .describe('paths pulled from a remote SRT listener while someone watches them: { "live/remote": "srt://host:9000?streamid=..." }'),
    })
    .prefault({})
    .describe("SRT"),
  webrtc: z
    .strictObject({
      port: port(8189, "UDP port shared by every WebRTC session"),
      host: host("WebRTC"),
      publicAddress: z
        .string({ error: "expected an IP address" })
        .min(1, "expected an IP address")
        .optional()
        .describe("the address browsers reach the WebRTC port at (our ICE candidate); default: the bound address, or every local IPv4 address when bound to 0.0.0.0"),
      keyframeIntervalMs: int(0, 60_000)
        .default(2000)
        .describe("ask a WHIP publisher for a keyframe when its last one is this old (LL-HLS/DASH segments and RTMP/SRT joins start at keyframes; 0: never)"),
      consentTimeoutMs: int(1000, 60_000).default(6000).describe("a WebRTC peer that stopped its ICE checks this long ago is dropped (consent freshness)"),
      socketBufferBytes: int(0, 256 << 20)
        .default(8 << 20)
        .describe("kernel receive and send buffer of the WebRTC UDP socket (0 keeps the OS default)"),
    })
    .prefault({})
    .describe("WebRTC"),
  streams: z
    .strictObject({
      graceMs: int(0, 3_600_000).default(10_000).describe("how long viewers wait for a publisher that went away"),
      takeover: flag(false, "a second publisher replaces the first instead of being refused"),
      ringBytes: int(64 * 1024, 1024 * MIB)
        .default(2 * MIB)
        .describe("initial payload bytes of each stream's ring; it grows to hold the newest GOP and maxViewerLagMs of media (to 256 MiB)"),
      ringFrames: powerOfTwo(64, 1 << 20).default(4096).describe("frame slots in each stream's ring"),
      maxViewerLagMs: int(100, 600_000).default(3000).describe("a viewer this far behind skips to the newest keyframe"),
      viewerDropMs: int(100, 3_600_000).default(10_000).describe("a viewer still behind after this long is disconnected"),
      maxSkips: int(0, 1_000_000).default(5).describe("a viewer that skipped this many times in a row is disconnected"),
      coalesceMs: int(0, 200)
        .default(20)
        .describe("audio that arrives between video frames waits up to this long to share one socket write with video (0: write at once)"),
    })
    .prefault({})
    .describe("streams"),
  hls: z
    .strictObject({
      partTargetMs: int(50, 2000)
        .default(200)
        .describe("LL-HLS part / DASH chunk target duration; rounded to whole frames (PART-TARGET)"),
      windowSegments: int(3, 1000).default(12).describe("complete segments kept in the LL-HLS and DASH window"),
      idleTimeoutMs: int(1000, 3_600_000)
        .default(30_000)
        .describe("a stream's CMAF segmenter (LL-HLS and DASH) stops after this long without an HLS or DASH request"),
      audioSegmentMs: int(500, 20_000).default(2000).describe("segment duration of audio-only streams (video streams cut at keyframes)"),
    })
    .prefault({})
    .describe("LL-HLS"),
  dash: z
    .strictObject({
      targetLatencyMs: int(200, 60_000).default(1100).describe("target latency announced in the MPD's ServiceDescription"),
    })
    .prefault({})
    .describe("low-latency DASH"),
  log: z
    .strictObject({
      level: oneOf(["debug", "info", "warn", "error"] as const, "info", "least severe level logged"),
      format: oneOf(["auto", "json", "text"] as const, "auto", "json lines, readable text, or auto (text on a terminal)"),
    })
    .prefault({})
    .describe("logging"),
  node: z
    .strictObject({
      id: text(() => hostname(), "node id in a cluster (default: the host name)"),
      region: text("default", "region of this node"),
      datacenter: text("default", "datacenter of this node"),
      address: z
        .string({ error: "expected host:port" })
        .regex(/^(\[[0-9a-fA-F:.]+\]|[^\s:/\[\]]+):\d{1,5}$/, "expected host:port")
        .optional()
        .describe("host:port other nodes reach this node's HTTP port at (default: the HTTP listen address and port, 127.0.0.1 for 0.0.0.0)"),
    })
    .prefault({})
    .describe("cluster identity"),
  cluster: z
    .strictObject({
      registry: z
        .string({ error: "expected memory or redis://host:port[/db]" })
        .regex(/^(memory|rediss?:\/\/\S+)$/, "expected memory or redis://host:port[/db]")
        .default("memory")
        .describe("where nodes find each other's streams: memory (a single node) or redis://host:port[/db]"),
      secret: z
        .string({ error: "expected a secret of at least 16 characters" })
        .min(16, "expected a secret of at least 16 characters")
        .optional()
        .describe("shared secret nodes authenticate each other with (required with a redis registry; prefer SPATE_CLUSTER_SECRET to the flag)"),
      leaseMs: int(300, 600_000)
        .default(5000)
        .describe("a node's registry claims expire this long after its last heartbeat (heartbeats every leaseMs / 3)"),
      relayLingerMs: int(0, 3_600_000).default(5000).describe("a relay pull stays up this long after its last local reader leaves"),
    })
    .prefault({})
    .describe("cluster"),
});

export type Config = z.output<typeof ConfigSchema>;

export function defaultConfig(): Config {
  return ConfigSchema.parse({});
}

/** One settable key, as the help page and the env/flag parsers see it. */
export interface ConfigOption {
  section: string;
  key: string;
  /** "rtmp.chunkSize" */
  path: string;
  /** "--rtmp-chunk-size" */
  flag: string;
  /** "SPATE_RTMP_CHUNK_SIZE" */
  env: string;
  /** "record": a map of paths to values, settable in a config file only. */
  kind: "number" | "boolean" | "string" | "enum" | "record";
  choices?: string[];
  default: unknown;
  description: string;
}

type AnySchema = z.ZodType & { def: { type: string; innerType?: AnySchema; entries?: Record<string, string> } };

function unwrap(s: AnySchema): AnySchema {
  while (s.def.innerType) s = s.def.innerType;
  return s;
}

const words = (key: string) => key.replace(/([a-z0-9])([A-Z])/g, "$1_$2").toLowerCase();

let optionsCache: ConfigOption[] | undefined;

export function configOptions(): ConfigOption[] {
  if (optionsCache) return optionsCache;
  const defaults = defaultConfig() as Record<string, Record<string, unknown>>;
  const out: ConfigOption[] = [];
  for (const [section, sectionSchema] of Object.entries(ConfigSchema.shape)) {
    const shape = (unwrap(sectionSchema as AnySchema) as unknown as z.ZodObject).shape;
    for (const [key, schema] of Object.entries(shape)) {
      const leaf = unwrap(schema as AnySchema);
      const kind = leaf.def.type as ConfigOption["kind"];
      out.push({
        section,
        key,
        path: `${section}.${key}`,
        flag: `--${section}-${words(key).replaceAll("_", "-")}`,
        env: `SPATE_${section.toUpperCase()}_${words(key).toUpperCase()}`,
        kind,
        choices: kind === "enum" ? Object.values(leaf.def.entries ?? {}) : undefined,
        default: defaults[section]![key],
        description: (schema as z.ZodType).description ?? "",
      });
    }
  }
  return (optionsCache = out);
}

export interface LoadOptions {
  argv?: string[];
  env?: Record<string, string | undefined>;
  cwd?: string;
}

type Raw = Record<string, unknown>;

/** Merge defaults < file < env < flags and validate. Throws ConfigError. */
export function loadConfig({ argv = [], env = {}, cwd = process.cwd() }: LoadOptions = {}): Config {
  const options = configOptions().filter((o) => o.kind !== "record"); // maps come from the file only
  const flags = parseFlags(argv, options);
  const raw: Raw = {};
  const sources = new Map<string, string>();
  const baseDirs = new Map<string, string>();

  const fileName = flags.configFile ?? (env.SPATE_CONFIG || undefined);
  if (fileName !== undefined) {
    const fromFile = readConfigFile(resolve(cwd, fileName), fileName);
    Object.assign(raw, fromFile);
    sources.set("", fileName);
    for (const [section, value] of Object.entries(fromFile)) {
      sources.set(section, fileName);
      if (!isPlainObject(value)) continue;
      for (const key of Object.keys(value)) {
        sources.set(`${section}.${key}`, fileName);
        baseDirs.set(`${section}.${key}`, dirname(resolve(cwd, fileName)));
      }
    }
  }

  const set = (opt: ConfigOption, value: unknown, source: string) => {
    const current = raw[opt.section];
    if (current === undefined) raw[opt.section] = {};
    else if (!isPlainObject(current)) return; // the file's own error for this section will be reported
    (raw[opt.section] as Raw)[opt.key] = value;
    sources.set(opt.path, source);
    baseDirs.set(opt.path, cwd);
  };

  const byEnv = new Map(options.map((o) => [o.env, o]));
  const sectionPrefixes = [...new Set(options.map((o) => `SPATE_${o.section.toUpperCase()}_`))];
  for (const [name, value] of Object.entries(env)) {
    if (!name.startsWith("SPATE_") || value === undefined || value === "") continue;
    const opt = byEnv.get(name);
    if (opt) set(opt, coerce(opt, value), name);
    else if (sectionPrefixes.some((p) => name.startsWith(p))) {
      throw new ConfigError(`unknown environment variable ${name}${didYouMean(name, [...byEnv.keys()])}`);
    }
  }
  for (const { opt, value } of flags.values) set(opt, value, opt.flag);

  const rtmps = raw.rtmps;
  if (isPlainObject(rtmps)) {
    for (const key of ["cert", "key"]) {
      const p = rtmps[key];
      if (typeof p === "string" && p !== "") rtmps[key] = resolve(baseDirs.get(`rtmps.${key}`) ?? cwd, p);
    }
  }

  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((issue) => describeIssue(issue, raw, sources)).join("; "));
  }
  const config = parsed.data;
  const { cert, key } = config.rtmps;
  if ((cert === undefined) !== (key === undefined)) {
    const [have, missing] = cert === undefined ? ["key", "cert"] : ["cert", "key"];
    throw new ConfigError(
      `rtmps.${missing}: required when rtmps.${have} is set (from ${sources.get(`rtmps.${have}`)}); RTMPS listens only with both`,
    );
  }
  if (config.cluster.registry !== "memory" && config.cluster.secret === undefined) {
    throw new ConfigError(
      `cluster.secret: required when cluster.registry is ${config.cluster.registry} (from ${sources.get("cluster.registry")}); set SPATE_CLUSTER_SECRET or --cluster-secret on every node`,
    );
  }
  for (const [name, path] of [["cert", cert], ["key", key]] as const) {
    if (path !== undefined && !existsSync(path)) {
      throw new ConfigError(`rtmps.${name}: file not found: ${path} (from ${sources.get(`rtmps.${name}`)})`);
    }
  }
  return config;
}

function readConfigFile(path: string, label: string): Raw {
  const ext = extname(path).toLowerCase();
  if (ext !== ".json" && ext !== ".yaml" && ext !== ".yml") {
    throw new ConfigError(`${label}: expected a .json, .yaml or .yml file`);
  }
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    throw new ConfigError(`cannot read ${label}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let value: unknown;
  try {
    value = ext === ".json" ? JSON.parse(text) : Bun.YAML.parse(text);
  } catch (e) {
    throw new ConfigError(`${label}: invalid ${ext === ".json" ? "JSON" : "YAML"}: ${oneLine((e as Error).message)}`);
  }
  if (value === null || value === undefined) return {};
  if (!isPlainObject(value)) throw new ConfigError(`${label}: expected a mapping of sections at the top level`);
  return value;
}

function parseFlags(argv: string[], options: ConfigOption[]) {
  const byFlag = new Map(options.map((o) => [o.flag, o]));
  const values: { opt: ConfigOption; value: unknown }[] = [];
  let configFile: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (!arg.startsWith("--")) throw new ConfigError(`unexpected argument ${JSON.stringify(arg)} (see spate serve --help)`);
    const eq = arg.indexOf("=");
    const name = eq < 0 ? arg : arg.slice(0, eq);
    let value: string | undefined = eq < 0 ? undefined : arg.slice(eq + 1);
    const negated = name.startsWith("--no-") ? byFlag.get(`--${name.slice(5)}`) : undefined;
    if (negated?.kind === "boolean" && value === undefined) {
      values.push({ opt: negated, value: false });
      continue;
    }
    const opt = byFlag.get(name);
    if (name !== "--config" && !opt) {
      throw new ConfigError(`unknown flag ${name}${didYouMean(name, ["--config", ...byFlag.keys()])} (see spate serve --help)`);
    }
    if (value === undefined) {
      const next = argv[i + 1];
      if (opt?.kind === "boolean") {
        if (next !== undefined && /^(true|false)$/i.test(next)) value = argv[++i]!;
        else value = "true";
      } else if (next === undefined || next.startsWith("--")) {
        throw new ConfigError(`${name} needs a value${opt ? ` (${opt.path})` : ""}`);
      } else value = argv[++i]!;
    }
    if (opt) values.push({ opt, value: coerce(opt, value) });
    else configFile = value;
  }
  return { configFile, values };
}

/** Strings from env and flags become the schema's type when they clearly are; otherwise zod reports them. */
function coerce(opt: ConfigOption, value: string): unknown {
  const v = value.trim();
  if (opt.kind === "number" && /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(v)) return Number(v);
  if (opt.kind === "boolean") {
    if (/^(true|1|yes|on)$/i.test(v)) return true;
    if (/^(false|0|no|off)$/i.test(v)) return false;
  }
  return value;
}

function describeIssue(issue: z.core.$ZodIssue, raw: Raw, sources: Map<string, string>): string {
  const path = issue.path.map(String).join(".");
  if (issue.code === "unrecognized_keys") {
    const known = issue.path.length === 0 ? Object.keys(ConfigSchema.shape) : configOptions().filter((o) => o.section === path).map((o) => o.key);
    return issue.keys
      .map((k) => `${path ? path + "." : ""}${k}: unknown key (from ${sources.get(path) ?? "config"})${didYouMean(k, known)}`)
      .join("; ");
  }
  let value: unknown = raw;
  for (const p of issue.path) value = isPlainObject(value) ? value[String(p)] : undefined;
  const source = sources.get(path) ?? sources.get(String(issue.path[0] ?? "")) ?? sources.get("");
  const expectation = issue.code === "invalid_type" && issue.expected === "object" ? "expected a mapping" : issue.message;
  const got = value === undefined ? "" : `, got ${truncate(JSON.stringify(value))}`;
  return `${path || "(top level)"}: ${expectation}${got}${source ? ` (from ${source})` : ""}`;
}

function didYouMean(word: string, candidates: string[]): string {
  const w = word.toLowerCase();
  let best: string | undefined;
  let bestDistance = Math.max(2, Math.floor(w.length / 4)) + 1;
  for (const c of candidates) {
    const d = c.toLowerCase() === w ? 0 : editDistance(w, c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best === undefined ? "" : ` (did you mean ${best}?)`;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

function isPlainObject(v: unknown): v is Raw {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

const oneLine = (s: string) => s.replace(/\s+/g, " ").trim();
const truncate = (s: string) => (s.length > 60 ? s.slice(0, 57) + "..." : s);
