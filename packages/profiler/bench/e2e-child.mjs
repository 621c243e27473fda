// One measurement process for profiler.bench.mjs. Prints one JSON line.
//
//   node --expose-gc e2e-child.mjs <mode> <kernels> <streams> <rounds>
//
// Run times are CPU seconds (user + system) of this process.
//
// plain | loaded   The "not attached" comparison, which needs two processes: `plain` never
//                  imports the profiler, `loaded` imports it and attaches nothing. One warm-up run,
//                  then <rounds> runs; prints their median.
// attached         In one process, round by round in alternation: no listener, core's events to an
//                  empty listener (what core's emission alone costs), a TraceRecorder counting, a
//                  TraceRecorder tracing. Prints each variant's median and the median of its
//                  per-round ratio to the no-listener run of the same round.
// memory           Retained heap (process.memoryUsage: JS heap + ArrayBuffers, after two forced
//                  GCs) after one run without a recorder and one with, both devices kept alive, so
//                  the difference is what recording holds; per op record.
// write            One traced run; then, round by round: serialise its Chrome trace to a sink that
//                  keeps nothing, write the file with default options, write it without launch
//                  flows and engine tracks, and the peer (JSON.stringify + writeFileSync of one
//                  complete event per op, the objects built beforehand). Prints medians.
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { endToEnd, makeDevice } from "./workload.mjs";

const [mode, kernelsArg, streamsArg, roundsArg] = process.argv.slice(2);
const KERNELS = Number(kernelsArg);
const STREAMS = Number(streamsArg);
const ROUNDS = Number(roundsArg ?? 1);
const profiler = mode === "plain" ? undefined : await import("@npurt/profiler");

const elapsed = (t0) => Number(process.hrtime.bigint() - t0) / 1e9;
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
};

/** One end-to-end run with `observer` ('none' | 'empty' | 'counting' | 'trace'). */
async function once(observer) {
  const device = makeDevice();
  let recorder;
  if (observer === "empty") device.instrumentation.subscribe(() => {});
  else if (observer === "counting" || observer === "trace")
    recorder = new profiler.TraceRecorder({ mode: observer }).attach(device);
  globalThis.gc();
  const c0 = process.cpuUsage();
  await endToEnd(device, KERNELS, STREAMS);
  // CPU time (user + system) of this process rather than wall time: on a shared machine, time
  // spent waiting for a core is not the profiler's cost, and it swamped a 2 % difference.
  const c = process.cpuUsage(c0);
  const seconds = (c.user + c.system) / 1e6;
  if (recorder && (recorder.counts()["op.completed"] ?? 0) !== KERNELS)
    throw new Error("the recorder missed ops");
  return { seconds, device, recorder };
}

// The JS heap plus ArrayBuffer backing stores (where the recorder's op columns live).
function settledHeap() {
  globalThis.gc();
  globalThis.gc();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

let out;
if (mode === "plain" || mode === "loaded") {
  await once("none");
  const times = [];
  for (let r = 0; r < ROUNDS; r++) times.push((await once("none")).seconds);
  out = { mode, seconds: median(times), best: Math.min(...times), runs: times };
} else if (mode === "attached") {
  const variants = ["none", "empty", "counting", "trace"];
  for (const v of variants) await once(v);
  const times = Object.fromEntries(variants.map((v) => [v, []]));
  for (let r = 0; r < ROUNDS; r++) for (const v of variants) times[v].push((await once(v)).seconds);
  out = { mode, seconds: {}, ratio: {}, runs: times };
  for (const v of variants) {
    out.seconds[v] = median(times[v]);
    out.ratio[v] = median(times[v].map((t, r) => t / times.none[r]));
  }
} else if (mode === "memory") {
  const h0 = settledHeap();
  const plain = await once("none");
  const h1 = settledHeap();
  const traced = await once("trace");
  const h2 = settledHeap();
  const rec = traced.recorder.recording();
  const recorderBytes = h2 - h1 - (h1 - h0);
  out = {
    mode,
    records: rec.ops.length,
    bytesPerRecord: recorderBytes / rec.ops.length,
    opColumnBytes: traced.recorder.opBytes,
  };
  // Both devices stay referenced up to here, so the difference is what recording holds.
  if (plain.device === traced.device) throw new Error("unreachable");
} else if (mode === "write") {
  // Only the recording stays alive (the device is dropped), as after a profiled run.
  const rec = (await once("trace")).recorder.recording();
  const { writeTraceFile } = await import("@npurt/profiler/node");
  const dir = mkdtempSync(join(tmpdir(), "npurt-bench-"));
  const times = { serialise: [], write: [], lean: [], peer: [] };
  const bytes = {};
  const ops = rec.ops;
  try {
    for (let r = 0; r < ROUNDS; r++) {
      globalThis.gc();
      let t0 = process.hrtime.bigint();
      let chars = 0;
      profiler.writeChromeTrace(rec, (chunk) => {
        chars += chunk.length;
      });
      times.serialise.push(elapsed(t0));
      if (chars === 0) throw new Error("empty trace");
      for (const [name, options] of [
        ["write", undefined],
        ["lean", { launchFlows: false, engineTracks: false }],
      ]) {
        const file = join(dir, `${name}.json`);
        globalThis.gc();
        t0 = process.hrtime.bigint();
        await writeTraceFile(file, rec, options);
        times[name].push(elapsed(t0));
        bytes[name] = statSync(file).size;
        rmSync(file);
      }
      const events = new Array(ops.length);
      for (let i = 0; i < ops.length; i++) {
        events[i] = {
          ph: "X",
          pid: 1,
          tid: ops.queue[i],
          ts: ops.startNs[i] / 1000,
          dur: (ops.endNs[i] - ops.startNs[i]) / 1000,
          name: "noop",
          cat: "kernel",
        };
      }
      globalThis.gc();
      t0 = process.hrtime.bigint();
      writeFileSync(join(dir, "peer.json"), JSON.stringify({ traceEvents: events }));
      times.peer.push(elapsed(t0));
      bytes.peer = statSync(join(dir, "peer.json")).size;
      rmSync(join(dir, "peer.json"));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  out = { mode, records: ops.length, bytes, runs: times };
  for (const k of Object.keys(times)) out[`${k}Seconds`] = median(times[k]);
} else throw new Error(`unknown mode ${mode}`);
process.stdout.write(`${JSON.stringify(out)}\n`);
