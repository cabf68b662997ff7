/**
 * `bun run fuzz [-- --iterations N --only NAME --seed N --time-limit-ms MS --save]`: runs every
 * fuzz target (`src/**\/*.fuzz.ts` exporting `target` or `targets`), replays the crashers committed
 * beside each in `testdata/fuzz-<name>/`, prints a table and exits 1 on any crash or hang.
 * With --save, new crashers are written as `testdata/fuzz-<name>/crash-<sha1 8 hex>.bin` (hangs as
 * `hang-...`); fix the bug, then commit the file so the tests replay it forever.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { DEFAULT_PER_INPUT_LIMIT_MS, fuzz, runInput, type FuzzResult } from "../src/core/fuzz.ts";
import type { FuzzTarget } from "../src/core/fuzz-target.ts";

export const ROOT = join(import.meta.dir, "..");

export interface DiscoveredTarget {
  /** Absolute path of the .fuzz.ts file. */
  file: string;
  target: FuzzTarget;
  /** Where this target's crashers live: `<dir of file>/testdata/fuzz-<name, / as ->`. */
  crashDir: string;
}

export function crashDirFor(file: string, name: string): string {
  return join(dirname(file), "testdata", `fuzz-${name.replace(/[^A-Za-z0-9_.-]+/g, "-")}`);
}

function isTarget(v: unknown): v is FuzzTarget {
  const t = v as FuzzTarget;
  return !!t && typeof t.name === "string" && Array.isArray(t.seeds) && typeof t.run === "function";
}

/**
 * Every fuzz target under src/, sorted by file. A file that fails to import or exports no valid
 * target is an error naming the file; the other files still count.
 */
export async function discoverTargets(root = ROOT): Promise<{ targets: DiscoveredTarget[]; errors: string[] }> {
  const files = [...new Bun.Glob("src/**/*.fuzz.ts").scanSync({ cwd: root, absolute: true })].sort();
  const targets: DiscoveredTarget[] = [];
  const errors: string[] = [];
  for (const file of files) {
    const name = relative(root, file);
    let mod: { target?: unknown; targets?: unknown };
    try {
      mod = await import(file);
    } catch (e) {
      errors.push(`${name}: cannot import: ${e instanceof Error ? e.message : String(e)}`);
      continue;
    }
    const found = [...(mod.target === undefined ? [] : [mod.target]), ...(Array.isArray(mod.targets) ? mod.targets : [])];
    if (!found.length) errors.push(`${name}: exports no \`target\` (a FuzzTarget)`);
    for (const t of found) {
      if (!isTarget(t)) errors.push(`${name}: \`target\` is not a FuzzTarget { name, seeds, run }`);
      else if (targets.some((d) => d.target.name === t.name)) errors.push(`${name}: a second fuzz target is named ${JSON.stringify(t.name)}`);
      else targets.push({ file, target: t, crashDir: crashDirFor(file, t.name) });
    }
  }
  return { targets, errors };
}

export interface ReplayFailure {
  path: string;
  error?: unknown;
  ms: number;
}

/** Replays every committed input in the target's crash dir; returns the ones that still fail. */
export function replayCrashers(d: DiscoveredTarget, perInputLimitMs = DEFAULT_PER_INPUT_LIMIT_MS): { count: number; failures: ReplayFailure[] } {
  if (!existsSync(d.crashDir)) return { count: 0, failures: [] };
  const files = readdirSync(d.crashDir).filter((f) => f.endsWith(".bin")).sort();
  const failures: ReplayFailure[] = [];
  for (const f of files) {
    const path = join(d.crashDir, f);
    const { error, ms } = runInput(d.target, new Uint8Array(readFileSync(path)));
    if (error !== undefined || ms > perInputLimitMs) failures.push({ path, error, ms });
  }
  return { count: files.length, failures };
}

export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return `thrown ${typeof error}: ${String(error)}`;
  const frame = error.stack?.split("\n").find((l) => l.trim().startsWith("at "));
  return `${error.name}: ${error.message}${frame ? ` (${frame.trim()})` : ""}`;
}

const hex = (b: Uint8Array) => Buffer.from(b.subarray(0, 48)).toString("hex") + (b.length > 48 ? `... (${b.length} bytes)` : "");

function save(dir: string, kind: "crash" | "hang", input: Uint8Array): string {
  mkdirSync(dir, { recursive: true });
  const sha = new Bun.CryptoHasher("sha1").update(input).digest("hex").slice(0, 8);
  const path = join(dir, `${kind}-${sha}.bin`);
  writeFileSync(path, input);
  return path;
}

function parseArgs(argv: string[]) {
  const opts = { iterations: 100_000, only: undefined as string | undefined, seed: 1, timeLimitMs: undefined as number | undefined, save: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const num = () => {
      const n = Number(argv[++i]);
      if (!Number.isFinite(n) || n < 0) throw new Error(`${arg} needs a number`);
      return n;
    };
    if (arg === "--iterations") opts.iterations = num();
    else if (arg === "--seed") opts.seed = num();
    else if (arg === "--time-limit-ms") opts.timeLimitMs = num();
    else if (arg === "--only") opts.only = argv[++i];
    else if (arg === "--save") opts.save = true;
    else throw new Error(`unknown argument ${arg} (use --iterations N --only NAME --seed N --time-limit-ms MS --save)`);
  }
  return opts;
}

async function main(argv: string[]): Promise<number> {
  const opts = parseArgs(argv);
  const found = await discoverTargets();
  for (const e of found.errors) console.error(`fuzz: ${e}`);
  const targets = found.targets.filter((d) => !opts.only || d.target.name.includes(opts.only) || d.file.includes(opts.only));
  if (!targets.length) {
    console.log(opts.only ? `no fuzz target matches ${opts.only}` : "no fuzz targets (src/**/*.fuzz.ts)");
    return opts.only ? 1 : 0;
  }
  const cols = ["target", "iterations", "crashes", "hangs", "slowest ms", "rss MB", "seconds", "replayed"];
  const width = Math.max(...targets.map((d) => d.target.name.length), 6);
  const row = (cells: (string | number)[]) => cells.map((c, i) => (i === 0 ? String(c).padEnd(width) : String(c).padStart(cols[i]!.length))).join("  ");
  console.log(row(cols));
  let bad = 0;
  const details: string[] = [];
  for (const d of targets) {
    const r: FuzzResult = fuzz(d.target, { iterations: opts.iterations, seed: opts.seed, timeLimitMs: opts.timeLimitMs });
    const replay = replayCrashers(d);
    console.log(
      row([d.target.name, r.iterations, r.crashCount, r.hangs.length, r.slowestMs.toFixed(1), (r.rssGrowthBytes / 2 ** 20).toFixed(1), (r.elapsedMs / 1000).toFixed(1), `${replay.count - replay.failures.length}/${replay.count}`]),
    );
    for (const c of r.crashes) {
      details.push(`${d.target.name}: crash: ${describeError(c.error)}\n  input ${hex(c.input)}${opts.save ? `\n  saved ${relative(ROOT, save(d.crashDir, "crash", c.input))}` : ""}`);
    }
    for (const h of r.hangs) {
      details.push(`${d.target.name}: hang: ${h.ms.toFixed(0)} ms\n  input ${hex(h.input)}${opts.save ? `\n  saved ${relative(ROOT, save(d.crashDir, "hang", h.input))}` : ""}`);
    }
    for (const f of replay.failures) {
      details.push(`${d.target.name}: committed ${relative(ROOT, f.path)} fails again: ${f.error === undefined ? `${f.ms.toFixed(0)} ms` : describeError(f.error)}`);
    }
    if (r.crashCount || r.hangs.length || replay.failures.length) bad++;
  }
  if (details.length) console.log("\n" + details.join("\n"));
  if (found.errors.length) bad++;
  if (bad && !opts.save) console.log("\nre-run with --save to write the crashers beside their targets");
  return bad ? 1 : 0;
}

if (import.meta.main) {
  try {
    process.exit(await main(process.argv.slice(2)));
  } catch (e) {
    console.error(`fuzz: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(2);
  }
}
