/**
 * Heap objects allocated per frame on the fan-out path, counted by JSC's heap census (exact object
 * counts, unlike heap-size sampling). The hot-path rule is that nothing allocated per frame grows
 * with the number of viewers: the figures at 10 and 1,000 viewers must match.
 */
import { heapStats } from "bun:jsc";
import { fanoutFixture } from "./fanout-fixture.ts";

export interface AllocFigures {
  viewers: number;
  objectsPerFrame: number;
  byType: Record<string, number>;
}

export function measureAllocations(viewers: number, frames = 200): AllocFigures {
  const f = fanoutFixture(viewers);
  for (let i = 0; i < 200; i++) f.push(); // warm: rings filled, JIT settled
  Bun.gc(true);
  const before = heapStats().objectTypeCounts;
  for (let i = 0; i < frames; i++) f.push();
  const after = heapStats().objectTypeCounts;
  const byType: Record<string, number> = {};
  let total = 0;
  for (const k of Object.keys(after)) {
    const d = ((after[k] ?? 0) - (before[k] ?? 0)) / frames;
    if (d > 0) {
      byType[k] = Math.round(d * 100) / 100;
      total += d;
    }
  }
  return { viewers, objectsPerFrame: Math.round(total * 100) / 100, byType };
}

/** New heap objects over `calls` calls of `fn`, after `warm` calls and a full GC. */
function census(fn: () => unknown, calls: number, warm: number): number {
  for (let i = 0; i < warm; i++) fn();
  Bun.gc(true);
  const before = heapStats().objectTypeCounts;
  for (let i = 0; i < calls; i++) fn();
  const after = heapStats().objectTypeCounts;
  let total = 0;
  for (const k of Object.keys(after)) total += Math.max(0, (after[k] ?? 0) - (before[k] ?? 0));
  return total;
}

/** Heap objects one call of `fn` allocates, less what the census itself does (heapStats() builds its own result), to 0.01. */
export function objectsPerCall(fn: () => unknown, calls: number, warm = 200): number {
  const baseline = census(() => {}, calls, warm);
  return Math.max(0, Math.round(((census(fn, calls, warm) - baseline) / calls) * 100) / 100);
}

if (import.meta.main) {
  for (const v of [10, 1000]) {
    const a = measureAllocations(v);
    console.log(`${v} viewers: ${a.objectsPerFrame} objects/frame ${JSON.stringify(a.byType)}`);
  }
}
