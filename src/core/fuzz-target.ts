/**
 * A fuzz target: a wire decoder fed mutated inputs. `run` must return (any value) or throw
 * ProtocolError; anything else thrown, a hang, or unbounded memory is a crash. Each decoder has a
 * sibling `<name>.fuzz.ts` exporting `target`, seeded from the same case table as its unit tests.
 * Crashers found are committed beside it in `testdata/fuzz-<name>/` and replayed by the tests.
 */
export interface FuzzTarget {
  /** Unique, path-like: "rtmp/chunk", "codecs/h264-sps". */
  name: string;
  seeds: Uint8Array[];
  run(input: Uint8Array): unknown;
  /** Mutated inputs are truncated to this many bytes (default 4096). */
  maxInputBytes?: number;
}
