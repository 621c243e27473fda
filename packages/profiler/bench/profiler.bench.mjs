// The profiler's cost on the streams end-to-end workload (no-op kernels over many streams on the
// simulated NPU), each variant in fresh processes, interleaved round by round so machine noise
// hits all alike; the median of the rounds is reported.
// Goals (issue 11): not attached ≤ 2 % slower than without the package loaded; counting only
// ≤ 1.5×; full trace ≤ 3×; ≤ 64 bytes per trace record held; writing the trace of 1e6 ops ≤ 2 s.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { figure, quick } from "../../../scripts/bench-kit.mjs";
import { BACKEND_NAME } from "./workload.mjs";

const KERNELS = quick ? 100_000 : 1_000_000;
const STREAMS = quick ? 100 : 1000;
const ROUNDS = quick ? 1 : 3;
const child = fileURLToPath(new URL("./e2e-child.mjs", import.meta.url));

function run(mode) {
  const r = spawnSync(process.execPath, ["--expose-gc", child, mode, String(KERNELS), String(STREAMS)], {
    encoding: "utf8",
    maxBuffer: 1 << 20,
  });
  if (r.status !== 0) throw new Error(`${mode} child failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").at(-1));
}

const modes = ["plain", "loaded", "empty", "counting", "trace"];
const times = Object.fromEntries(modes.map((m) => [m, []]));
for (let round = 0; round < ROUNDS; round++) for (const m of modes) times[m].push(run(m).seconds);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const t = Object.fromEntries(modes.map((m) => [m, median(times[m])]));
const what = `${KERNELS} no-op kernels over ${STREAMS} streams, end to end (${BACKEND_NAME})`;
const base = { name: `no profiler loaded, ${what}`, value: t.plain };

figure({
  name: `profiler loaded, not attached: ${what}`,
  unit: "s",
  value: t.loaded,
  baseline: base,
  ratio: t.loaded / t.plain,
  goal: "≤ 1.02× (≤ 2 % slower)",
});
// Not the profiler: core emitting every event to a listener that does nothing. The counting and
// trace figures include this; their difference from it is what the recorder itself costs.
figure({
  name: `core events to an empty listener (no profiler): ${what}`,
  unit: "s",
  value: t.empty,
  baseline: base,
  ratio: t.empty / t.plain,
});
figure({
  name: `profiler counting only: ${what}`,
  unit: "s",
  value: t.counting,
  baseline: base,
  ratio: t.counting / t.plain,
  goal: "≤ 1.5×",
});
figure({
  name: `profiler full trace: ${what}`,
  unit: "s",
  value: t.trace,
  baseline: base,
  ratio: t.trace / t.plain,
  goal: "≤ 3×",
});

const mem = { ...run("memory"), ...run("write") };
figure({
  name: `profiler: heap held per op record (${mem.records} records; op columns alone ${(mem.opColumnBytes / mem.records).toFixed(1)} B)`,
  unit: "B/record",
  value: mem.bytesPerRecord,
  goal: "≤ 64 B",
});
figure({
  name: `profiler: serialise the Chrome trace of ${mem.records} ops (default options, to a sink that keeps nothing)`,
  unit: "s",
  value: mem.serialiseSeconds,
  baseline: {
    name: `JSON.stringify + writeFileSync of ${mem.records} complete events (${(mem.peerBytes / 1e6).toFixed(0)} MB)`,
    value: mem.peerWriteSeconds,
  },
  ratio: mem.serialiseSeconds / mem.peerWriteSeconds,
  goal: "≤ 2 s",
});
figure({
  name: `profiler: write the Chrome trace file of ${mem.records} ops (${(mem.traceBytes / 1e6).toFixed(0)} MB: queue, engine and host tracks, launch flows)`,
  unit: "s",
  value: mem.writeSeconds,
  baseline: {
    name: `JSON.stringify + writeFileSync of ${mem.records} complete events (${(mem.peerBytes / 1e6).toFixed(0)} MB)`,
    value: mem.peerWriteSeconds,
  },
  ratio: mem.writeSeconds / mem.peerWriteSeconds,
  goal: "≤ 2 s",
});
figure({
  name: `profiler: write the Chrome trace of ${mem.records} ops without launch flows and engine tracks (${(mem.leanBytes / 1e6).toFixed(0)} MB)`,
  unit: "s",
  value: mem.leanWriteSeconds,
  baseline: {
    name: `JSON.stringify + writeFileSync of ${mem.records} complete events (${(mem.peerBytes / 1e6).toFixed(0)} MB)`,
    value: mem.peerWriteSeconds,
  },
  ratio: mem.leanWriteSeconds / mem.peerWriteSeconds,
  goal: "≤ 2 s",
});
