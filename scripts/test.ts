/**
 * `npm test [-- args]`: install the real peers the interop tests need, run `bun test args`, print a
 * closing `N passed, N failed` line and exit with bun's code (non-zero also when bun's summary
 * could not be read, so a crash of the runner never passes as success).
 */
import { join } from "node:path";

const root = join(import.meta.dir, "..");
const args = process.argv.slice(2);

const peers = Bun.spawnSync(["bash", join(root, "scripts/ensure-peers.sh")], {
  cwd: root,
  stdio: ["ignore", "inherit", "inherit"],
});
if (peers.exitCode !== 0) {
  console.error("test: scripts/ensure-peers.sh failed; set SPATE_SKIP_PEERS=1 to run without installing peers");
  process.exit(peers.exitCode || 1);
}

const color = process.stderr.isTTY ? { FORCE_COLOR: "1" } : {};
const proc = Bun.spawn([process.execPath, "test", ...args], {
  cwd: root,
  env: { ...process.env, ...color },
  stdio: ["inherit", "inherit", "pipe"],
});

/** bun prints its summary (" 12 pass", " 0 fail") on stderr; the last one seen wins. */
function parseSummary(text: string): { pass?: number; fail?: number } {
  const out: { pass?: number; fail?: number } = {};
  // eslint-disable-next-line no-control-regex
  for (const line of text.replace(/\x1b\[[0-9;]*m/g, "").split("\n")) {
    const m = /^\s*(\d+) (pass|fail)\s*$/.exec(line);
    if (m) out[m[2] as "pass" | "fail"] = Number(m[1]);
  }
  return out;
}

let tail = "";
const decoder = new TextDecoder();
for await (const chunk of proc.stderr) {
  process.stderr.write(chunk);
  // Keep only the last lines: the summary comes at the end.
  tail = (tail + decoder.decode(chunk, { stream: true })).slice(-8192);
}
const code = await proc.exited;
const { pass, fail } = parseSummary(tail);
if (pass === undefined || fail === undefined) {
  console.log(`test: could not read bun's summary (exit code ${code})`);
  process.exit(code || 1);
}
console.log(`${pass} passed, ${fail} failed`);
process.exit(code !== 0 ? code : fail > 0 ? 1 : 0);
