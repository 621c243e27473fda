// The profiler's cost on the streams end-to-end workload (no-op kernels over many streams on the
// simulated NPU). The machine is small and shared, so every comparison alternates its variants
// round by round and reports medians:
// - attached (counting, full trace, and core's events to an empty listener): one process, the
//   variants in turn each round, each against the run without a listener of the same round;
// - not attached: whether the profiler is loaded at all can only differ between processes, so
//   fresh processes alternate ("plain" never imports it, "loaded" imports it), each reporting
//   the best of its runs.
// End-to-end runs are timed in CPU time (user + system) of the measuring process: on a machine
// shared with other jobs, wall time mostly measured the wait for a core.
// Goals (issue 11): not attached ≤ 2 % slower than without the package loaded; counting only
// ≤ 1.5×; full trace ≤ 3×; ≤ 64 bytes per trace record held; writing the trace of 1e6 ops ≤ 2 s.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { figure, quick } from "../../../scripts/bench-kit.mjs";
import { BACKEND_NAME } from "./workload.mjs";

const KERNELS = quick ? 100_000 : 1_000_000;
const STREAMS = quick ? 100 : 1000;
/** Rounds of the in-process comparisons. */
const ROUNDS = quick ? 1 : 5;
/** Process pairs of the loaded/plain comparison, and runs in each process. */
const PAIRS = quick ? 1 : 7;
// Seven runs per process, of which the best counts: within one process runs of the same work
// vary by 20 % on a shared machine (GC and JIT state, other tenants), and that noise only ever
// adds time, so the least disturbed run is the one that measures the code. With the median of
// three the ratio wandered between 1.01 and 1.06 from one bench run to the next.
const RUNS_PER_PROCESS = quick ? 1 : 7;
const child = fileURLToPath(new URL("./e2e-child.mjs", import.meta.url));

function run(mode, rounds) {
  const r = spawnSync(
    process.execPath,
    ["--expose-gc", child, mode, String(KERNELS), String(STREAMS), String(rounds)],
    { encoding: "utf8", maxBuffer: 1 << 20 },
  );
  if (r.status !== 0) throw new Error(`${mode} child failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").at(-1));
}
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const what = `${KERNELS} no-op kernels over ${STREAMS} streams, end to end (${BACKEND_NAME})`;

// ---- not attached: processes alternate, plain first in even pairs and loaded first in odd ones
const plain = [];
const loaded = [];
for (let p = 0; p < PAIRS; p++) {
  const order = p % 2 === 0 ? ["plain", "loaded"] : ["loaded", "plain"];
  const got = Object.fromEntries(order.map((m) => [m, run(m, RUNS_PER_PROCESS).best]));
  plain.push(got.plain);
  loaded.push(got.loaded);
}
figure({
  name: `profiler loaded, not attached: ${what} (CPU time, best of ${RUNS_PER_PROCESS} runs per process, median of ${PAIRS} process pairs)`,
  unit: "s",
  value: median(loaded),
  baseline: { name: `no profiler loaded, ${what}`, value: median(plain) },
  ratio: median(loaded.map((t, p) => t / plain[p])),
  goal: "≤ 1.02× (≤ 2 % slower)",
});

// ---- attached: one process, variants alternating round by round
const att = run("attached", ROUNDS);
const base = { name: `no listener attached (same process, same rounds), ${what}`, value: att.seconds.none };
// Not the profiler: core emitting every event to a listener that does nothing. The counting and
// trace figures include this; their difference from it is what the recorder itself costs.
figure({
  name: `core events to an empty listener (no profiler): ${what} (CPU time, median of ${ROUNDS} rounds)`,
  unit: "s",
  value: att.seconds.empty,
  baseline: base,
  ratio: att.ratio.empty,
});
figure({
  name: `profiler counting only: ${what} (CPU time, median of ${ROUNDS} rounds)`,
  unit: "s",
  value: att.seconds.counting,
  baseline: base,
  ratio: att.ratio.counting,
  goal: "≤ 1.5×",
});
figure({
  name: `profiler full trace: ${what} (CPU time, median of ${ROUNDS} rounds)`,
  unit: "s",
  value: att.seconds.trace,
  baseline: base,
  ratio: att.ratio.trace,
  goal: "≤ 3×",
});

const mem = run("memory", 1);
figure({
  name: `profiler: heap held per op record (${mem.records} records, --expose-gc and process.memoryUsage heapUsed + arrayBuffers; op columns alone ${(mem.opColumnBytes / mem.records).toFixed(1)} B)`,
  unit: "B/record",
  value: mem.bytesPerRecord,
  goal: "≤ 64 B",
});

const wr = run("write", ROUNDS);
const peer = {
  name: `JSON.stringify + writeFileSync of ${wr.records} complete events (${(wr.bytes.peer / 1e6).toFixed(0)} MB)`,
  value: wr.peerSeconds,
};
figure({
  name: `profiler: serialise the Chrome trace of ${wr.records} ops (default options, to a sink that keeps nothing; median of ${ROUNDS} rounds)`,
  unit: "s",
  value: wr.serialiseSeconds,
  baseline: peer,
  ratio: wr.serialiseSeconds / wr.peerSeconds,
  goal: "≤ 2 s",
});
figure({
  name: `profiler: write the Chrome trace file of ${wr.records} ops (${(wr.bytes.write / 1e6).toFixed(0)} MB: queue, engine and host tracks, launch flows; median of ${ROUNDS} rounds)`,
  unit: "s",
  value: wr.writeSeconds,
  baseline: peer,
  ratio: wr.writeSeconds / wr.peerSeconds,
  goal: "≤ 2 s",
});
figure({
  name: `profiler: write the Chrome trace of ${wr.records} ops without launch flows and engine tracks (${(wr.bytes.lean / 1e6).toFixed(0)} MB; median of ${ROUNDS} rounds)`,
  unit: "s",
  value: wr.leanSeconds,
  baseline: peer,
  ratio: wr.leanSeconds / wr.peerSeconds,
  goal: "≤ 2 s",
});
