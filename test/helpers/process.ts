/**
 * Child processes for integration tests: every spawn is bounded by a timeout, its output is kept
 * (the tail) for failure messages, and whatever is still running when the test process exits is
 * killed.
 */
import type { Subprocess } from "bun";

export interface Exit {
  code: number | null;
  signal: string | null;
  /** Killed by our timeout. */
  timedOut: boolean;
  stdout: string;
  stderr: string;
}

export interface Spawned {
  name: string;
  proc: Subprocess<"ignore", "pipe", "pipe">;
  pid: number;
  stdout(): string;
  stderr(): string;
  /** Resolves when the process has exited and its output is read. */
  done: Promise<Exit>;
  /** SIGTERM, then SIGKILL after graceMs; resolves with the exit. Safe to call twice. */
  stop(graceMs?: number): Promise<Exit>;
}

export interface SpawnOptions {
  timeoutMs: number;
  cwd?: string;
  env?: Record<string, string | undefined>;
  onStdoutLine?: (line: string) => void;
  /** Bytes of each stream kept for messages (the tail). */
  keepBytes?: number;
}

const live = new Set<Subprocess>();
let exitHookInstalled = false;

/** SIGKILL every child still running. Called on process exit; tests may call it in afterAll. */
export function killAll(): void {
  for (const p of live) {
    try {
      p.kill("SIGKILL");
    } catch {
      // already gone
    }
  }
  live.clear();
}

function collect(stream: ReadableStream<Uint8Array>, keepBytes: number, onLine?: (line: string) => void) {
  const state = { text: "" };
  const done = (async () => {
    const decoder = new TextDecoder();
    let partial = "";
    for await (const chunk of stream) {
      const text = decoder.decode(chunk, { stream: true });
      state.text = (state.text + text).slice(-keepBytes);
      if (!onLine) continue;
      const lines = (partial + text).split("\n");
      partial = lines.pop()!;
      for (const line of lines) onLine(line);
    }
    if (onLine && partial) onLine(partial);
  })();
  return { state, done };
}

export function spawnBounded(cmd: string[], opts: SpawnOptions): Spawned {
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on("exit", killAll);
  }
  const keepBytes = opts.keepBytes ?? 64 * 1024;
  const proc = Bun.spawn(cmd, {
    cwd: opts.cwd,
    env: opts.env as Record<string, string> | undefined,
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  live.add(proc);
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    proc.kill("SIGKILL");
  }, opts.timeoutMs);
  const out = collect(proc.stdout, keepBytes, opts.onStdoutLine);
  const err = collect(proc.stderr, keepBytes);

  const done = (async (): Promise<Exit> => {
    const code = await proc.exited;
    clearTimeout(timer);
    live.delete(proc);
    await Promise.all([out.done.catch(() => {}), err.done.catch(() => {})]);
    return { code: proc.signalCode ? null : code, signal: proc.signalCode === null ? null : String(proc.signalCode), timedOut, stdout: out.state.text, stderr: err.state.text };
  })();

  const name = cmd.slice(0, 3).join(" ");
  return {
    name,
    proc,
    pid: proc.pid,
    stdout: () => out.state.text,
    stderr: () => err.state.text,
    done,
    async stop(graceMs = 5000) {
      if (proc.exitCode === null && proc.signalCode === null) {
        proc.kill("SIGTERM");
        const grace = setTimeout(() => proc.kill("SIGKILL"), graceMs);
        await proc.exited;
        clearTimeout(grace);
      }
      return done;
    },
  };
}

/** A one-line summary of an exit for assertion messages. */
export function describeExit(name: string, exit: Exit): string {
  const how = exit.timedOut ? "timed out" : exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
  const stderr = exit.stderr.trim();
  return `${name} ${how}${stderr ? `; stderr:\n${stderr.slice(-4000)}` : ""}`;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
