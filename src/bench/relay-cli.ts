/** `spate bench relay [--hops 1,2,3] [--duration S] [--bitrate MBPS] [--fps N] [--gop S] [--json]`. */
import { parseFlags, UsageError, type BenchIo } from "./cli.ts";
import { relayReportText, runRelayBench } from "./relay.ts";
import { BenchError } from "./run.ts";

const MAX_HOPS = 3;

export async function benchRelay(argv: string[], io: BenchIo): Promise<number> {
  const f = parseFlags(argv, {
    hops: { kind: "string" },
    duration: { kind: "number", min: 0, above: true, max: 3600 },
    bitrate: { kind: "number", min: 0, above: true, max: 1000 },
    fps: { kind: "number", min: 1, max: 240 },
    gop: { kind: "number", min: 0, above: true, max: 60 },
    json: { kind: "boolean" },
    processes: { kind: "boolean" },
    registry: { kind: "string" },
  });
  const registry = f.registry as string | undefined;
  if (registry !== undefined && !/^rediss?:\/\/\S+$/.test(registry)) throw new UsageError(`--registry must be redis://host:port, got ${JSON.stringify(registry)}`);
  if (registry !== undefined && !f.processes) throw new UsageError("--registry goes with --processes");
  const hops = ((f.hops as string | undefined) ?? "1,2,3").split(",").map((h) => Number(h.trim()));
  if (hops.some((h) => !Number.isInteger(h) || h < 1 || h > MAX_HOPS)) throw new UsageError(`--hops must list integers from 1 to ${MAX_HOPS}, got ${JSON.stringify(f.hops)}`);
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.on("SIGINT", onSigint);
  try {
    const report = await runRelayBench({
      hops,
      processes: f.processes === true,
      registry,
      durationS: (f.duration as number | undefined) ?? 10,
      bitrateMbps: (f.bitrate as number | undefined) ?? 2.5,
      fps: (f.fps as number | undefined) ?? 30,
      gopS: (f.gop as number | undefined) ?? 2,
      progress: (line) => io.err(`bench: ${line}\n`),
      signal: abort.signal,
    });
    io.out(f.json ? JSON.stringify(report, null, 2) + "\n" : relayReportText(report));
    return 0;
  } catch (e) {
    if (!(e instanceof BenchError)) throw e;
    io.err(`spate bench relay: ${e.message}\n`);
    return 1;
  } finally {
    process.off("SIGINT", onSigint);
  }
}
