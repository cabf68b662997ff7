/**
 * A tree of loggers: `log.child("rtmp").child("conn 127.0.0.1:5123")`. JSON lines when stdout is
 * not a terminal (production), readable lines in a terminal. Nothing is logged per packet.
 */
export type Level = "debug" | "info" | "warn" | "error";
const RANK: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface LogSink {
  write(line: string): void;
}

let minRank = RANK[(process.env.SPATE_LOG_LEVEL as Level) ?? "info"] ?? RANK.info;
let json = !process.stdout.isTTY;
let sink: LogSink = { write: (line) => process.stdout.write(line + "\n") };

export function configureLog(opts: { level?: Level; json?: boolean; sink?: LogSink }): void {
  if (opts.level) minRank = RANK[opts.level];
  if (opts.json !== undefined) json = opts.json;
  if (opts.sink) sink = opts.sink;
}

export class Logger {
  constructor(readonly scope: string) {}

  child(name: string): Logger {
    return new Logger(this.scope ? `${this.scope}/${name}` : name);
  }

  debug(msg: string, fields?: Record<string, unknown>): void {
    this.emit("debug", msg, fields);
  }
  info(msg: string, fields?: Record<string, unknown>): void {
    this.emit("info", msg, fields);
  }
  warn(msg: string, fields?: Record<string, unknown>): void {
    this.emit("warn", msg, fields);
  }
  error(msg: string, fields?: Record<string, unknown>): void {
    this.emit("error", msg, fields);
  }

  private emit(level: Level, msg: string, fields?: Record<string, unknown>): void {
    if (RANK[level] < minRank) return;
    if (json) {
      sink.write(JSON.stringify({ t: new Date().toISOString(), level, scope: this.scope, msg, ...fields }));
    } else {
      const extra = fields ? " " + Object.entries(fields).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`).join(" ") : "";
      sink.write(`${new Date().toISOString().slice(11, 23)} ${level.padEnd(5)} [${this.scope}] ${msg}${extra}`);
    }
  }
}

export const log = new Logger("");
