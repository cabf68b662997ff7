/**
 * Measurement helpers for `spate bench`: a latency histogram that keeps counts, not samples (a
 * 1,000-viewer run records ~30,000 latencies a second), exact percentiles for small sets (join
 * times, one per viewer), and CPU use of this process and of another one by pid.
 */
import { readFileSync } from "node:fs";

/** Values below this many microseconds get a bucket each. */
const LINEAR_US = 256;
/** Buckets per power of two above LINEAR_US: a relative error under 1/128. */
const SUB_BITS = 7;
const SUB_BUCKETS = 1 << SUB_BITS;
/** Highest power of two tracked: 2^40 µs is 12.7 days; larger values land in the last bucket. */
const MAX_EXPONENT = 40;
const BUCKETS = LINEAR_US + (MAX_EXPONENT - 8 + 1) * SUB_BUCKETS;

function bucketOf(us: number): number {
  if (us < LINEAR_US) return us;
  let e = Math.floor(Math.log2(us));
  if (2 ** e > us) e--; // log2 may round up just below a power of two
  else if (2 ** (e + 1) <= us) e++;
  if (e > MAX_EXPONENT) return BUCKETS - 1;
  const sub = Math.floor(us / 2 ** (e - SUB_BITS)) - SUB_BUCKETS; // the bits after the leading one
  return LINEAR_US + (e - 8) * SUB_BUCKETS + sub;
}

/** The value (µs) in the middle of a bucket. */
function valueOf(bucket: number): number {
  if (bucket < LINEAR_US) return bucket;
  const e = 8 + Math.floor((bucket - LINEAR_US) / SUB_BUCKETS);
  const sub = (bucket - LINEAR_US) % SUB_BUCKETS;
  const width = 2 ** (e - SUB_BITS);
  return (SUB_BUCKETS + sub) * width + width / 2;
}

/**
 * Log-linear histogram of millisecond values at microsecond resolution (HdrHistogram's layout with
 * 7 sub-bucket bits): exact below 0.256 ms, within 0.8 % above. Fixed size (~37 KB), no allocation
 * per sample. Negative values (clocks are shared on one machine, so only rounding) count as 0.
 */
export class LatencyHistogram {
  readonly counts = new Float64Array(BUCKETS);
  count = 0;
  sumMs = 0;
  minMs = Infinity;
  maxMs = -Infinity;

  record(ms: number): void {
    const v = ms > 0 ? ms : 0;
    this.counts[bucketOf(Math.round(v * 1000))]!++;
    this.count++;
    this.sumMs += v;
    if (v < this.minMs) this.minMs = v;
    if (v > this.maxMs) this.maxMs = v;
  }

  merge(other: LatencyHistogram): void {
    for (let i = 0; i < BUCKETS; i++) this.counts[i]! += other.counts[i]!;
    this.count += other.count;
    this.sumMs += other.sumMs;
    this.minMs = Math.min(this.minMs, other.minMs);
    this.maxMs = Math.max(this.maxMs, other.maxMs);
  }

  /** The value at percentile `p` (0..100), NaN when empty; clamped to the exact min and max. */
  percentile(p: number): number {
    if (this.count === 0) return NaN;
    if (p >= 100) return this.maxMs;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(this.maxMs, Math.max(this.minMs, valueOf(i) / 1000));
    }
    return this.maxMs;
  }

  get meanMs(): number {
    return this.count === 0 ? NaN : this.sumMs / this.count;
  }
}

/** Exact percentile (nearest rank) of `values`, NaN when empty. Sorts a copy. */
export function percentile(values: ArrayLike<number>, p: number): number {
  if (values.length === 0) return NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1]!;
}

/** `getconf CLK_TCK`: the unit of utime/stime in /proc/PID/stat; 100 on every Linux we know. */
export function clockTicksPerSecond(): number {
  try {
    const r = Bun.spawnSync(["getconf", "CLK_TCK"], { stdout: "pipe", stderr: "ignore" });
    const hz = Number(r.stdout.toString().trim());
    if (r.exitCode === 0 && Number.isInteger(hz) && hz > 0) return hz;
  } catch {
    // no getconf: fall through
  }
  return 100;
}

/**
 * utime + stime of a process in clock ticks (proc(5): fields 14 and 15 of /proc/PID/stat), null if
 * the process is gone. Fields are counted after the last ')' since the command name may hold spaces.
 */
export function readProcessTicks(pid: number, procRoot = "/proc"): number | null {
  let text: string;
  try {
    text = readFileSync(`${procRoot}/${pid}/stat`, "utf8");
  } catch {
    return null;
  }
  return parseStatTicks(text);
}

export function parseStatTicks(stat: string): number | null {
  const close = stat.lastIndexOf(")");
  if (close < 0) return null;
  // After ")": field 3 (state) is index 0, so utime (14) is index 11 and stime (15) index 12.
  const fields = stat.slice(close + 2).split(" ");
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return Number.isFinite(utime) && Number.isFinite(stime) ? utime + stime : null;
}

/** CPU of a process over an interval, as % of one core (200 means two cores busy). */
export class ProcessCpuMeter {
  private startTicks: number | null = null;
  private startMs = 0;

  constructor(
    readonly pid: number,
    readonly ticksPerSecond = clockTicksPerSecond(),
    private readonly procRoot = "/proc",
  ) {}

  start(nowMs: number): void {
    this.startTicks = readProcessTicks(this.pid, this.procRoot);
    this.startMs = nowMs;
  }

  /** NaN when the process was gone at either end. */
  stop(nowMs: number): number {
    const end = readProcessTicks(this.pid, this.procRoot);
    if (this.startTicks === null || end === null || nowMs <= this.startMs) return NaN;
    return cpuPercent(((end - this.startTicks) / this.ticksPerSecond) * 1000, nowMs - this.startMs);
  }
}

/** CPU of this process (user + system, all threads) over an interval, as % of one core. */
export class SelfCpuMeter {
  private startUsage: NodeJS.CpuUsage | null = null;
  private startMs = 0;

  start(nowMs: number): void {
    this.startUsage = process.cpuUsage();
    this.startMs = nowMs;
  }

  stop(nowMs: number): number {
    if (this.startUsage === null || nowMs <= this.startMs) return NaN;
    const d = process.cpuUsage(this.startUsage);
    return cpuPercent((d.user + d.system) / 1000, nowMs - this.startMs);
  }
}

export function cpuPercent(cpuMs: number, wallMs: number): number {
  return wallMs > 0 ? (cpuMs / wallMs) * 100 : NaN;
}
