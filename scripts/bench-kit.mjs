// Shared helpers for npurt benchmarks (bench/*.bench.mjs in each package).
//
// Convention: a benchmark is a plain ESM script run with `node --expose-gc`. It imports the
// packages' built output (dist/), measures, and calls `figure()` once per figure. `scripts/bench.mjs`
// runs every bench file, prints a table, and writes bench-results.json at the repository root.
// Each figure: { name, unit, value, baseline?: { name, value }, ratio? }, where ratio compares with
// a peer measured in the same run (value / baseline.value for rates, baseline / value for costs).

const MARK = "BENCH_RESULT ";

/** Whether a quick smoke run was asked for (`--quick` or BENCH_QUICK=1): smaller sizes, same code. */
export const quick = process.argv.includes("--quick") || process.env.BENCH_QUICK === "1";

/** Reports one figure (printed as a marked JSON line that scripts/bench.mjs collects). */
export function figure(f) {
  if (typeof f.name !== "string" || typeof f.unit !== "string" || !Number.isFinite(f.value)) {
    throw new TypeError(`bad figure ${JSON.stringify(f)}`);
  }
  const out = { name: f.name, unit: f.unit, value: round(f.value) };
  if (f.baseline) out.baseline = { name: f.baseline.name, value: round(f.baseline.value) };
  if (f.ratio !== undefined) out.ratio = round(f.ratio);
  if (f.goal !== undefined) out.goal = f.goal;
  process.stdout.write(`${MARK}${JSON.stringify(out)}\n`);
  return out;
}

function round(v) {
  return Math.abs(v) >= 100 ? Math.round(v * 10) / 10 : Math.round(v * 1e4) / 1e4;
}

/** Runs `fn` (sync or async) `runs` times after `warmup` runs; returns the median wall seconds. */
export async function medianSeconds(fn, { runs = 5, warmup = 1 } = {}) {
  for (let i = 0; i < warmup; i++) await fn();
  const times = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

/** Forces a full GC (needs --expose-gc) and returns heapUsed. */
export function settledHeap() {
  if (typeof globalThis.gc !== "function") throw new Error("run benchmarks with node --expose-gc");
  globalThis.gc();
  globalThis.gc();
  return process.memoryUsage().heapUsed;
}

/**
 * Heap bytes retained per item: builds `count` items with `build(count)` (which must return
 * something that keeps them alive), measures heapUsed before and after a full GC.
 */
export async function bytesPerItem(count, build) {
  const before = settledHeap();
  const keep = await build(count);
  const after = settledHeap();
  // Touch `keep` after measuring so it is not collected early.
  if (keep === undefined) throw new Error("build() must return what keeps the items alive");
  return (after - before) / count;
}
