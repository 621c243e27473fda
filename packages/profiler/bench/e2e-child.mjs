// One measurement process for profiler.bench.mjs (fresh processes, so "plain" never loads the
// profiler and no run inherits another's heap).
//
//   node --expose-gc e2e-child.mjs <mode> <kernels> <streams>
//
// Timing modes (one warm-up run, then one measured run of the streams end-to-end workload):
//   plain     the profiler is never imported
//   loaded    imported, not attached
//   empty     not imported; an empty listener on the bus (what core's event emission alone costs)
//   counting  a TraceRecorder in 'counting' mode attached
//   trace     a TraceRecorder in 'trace' mode attached
// memory: retained heap (JS heap + ArrayBuffers) after one run without a recorder and one with,
//   both devices kept alive, so the difference is what the recorder holds.
// write: one traced run, then the time to serialise its Chrome trace, to write it to a file
//   (default options, and without launch flows and engine tracks), and the time JSON.stringify +
//   writeFileSync take for one complete event per op (the peer).
// Prints one JSON line.
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { endToEnd, makeDevice } from "./workload.mjs";

const [mode, kernelsArg, streamsArg] = process.argv.slice(2);
const KERNELS = Number(kernelsArg);
const STREAMS = Number(streamsArg);
const profiler = mode === "plain" || mode === "empty" ? undefined : await import("@npurt/profiler");

async function once(recorderMode) {
  const device = makeDevice();
  const recorder =
    recorderMode === undefined
      ? undefined
      : new profiler.TraceRecorder({ mode: recorderMode }).attach(device);
  const t0 = process.hrtime.bigint();
  await endToEnd(device, KERNELS, STREAMS);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
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

const seconds = (t0) => Number(process.hrtime.bigint() - t0) / 1e9;
let out;
if (mode !== "memory" && mode !== "write") {
  const recorderMode = mode === "counting" || mode === "trace" ? mode : undefined;
  await once(recorderMode);
  out = { mode, seconds: (await once(recorderMode)).seconds };
} else if (mode === "memory") {
  const h0 = settledHeap();
  const plain = await once(undefined);
  const h1 = settledHeap();
  const traced = await once("trace");
  const h2 = settledHeap();
  const rec = traced.recorder.recording();
  // Both runs' devices stay referenced, so the difference is what the recorder holds.
  const recorderBytes = h2 - h1 - (h1 - h0);
  out = {
    mode,
    records: rec.ops.length,
    bytesPerRecord: recorderBytes / rec.ops.length,
    opColumnBytes: traced.recorder.opBytes,
  };
  if (plain.device === traced.device) throw new Error("unreachable");
} else if (mode === "write") {
  // Only the recording stays alive (the device is dropped), as after a profiled run.
  const rec = (await once("trace")).recorder.recording();
  out = { mode, records: rec.ops.length };
  const { writeTraceFile } = await import("@npurt/profiler/node");
  const dir = mkdtempSync(join(tmpdir(), "npurt-bench-"));
  try {
    // Serialisation alone (to a sink that keeps nothing), then to a file (disk included).
    let t0 = process.hrtime.bigint();
    let chars = 0;
    profiler.writeChromeTrace(rec, (chunk) => {
      chars += chunk.length;
    });
    out.serialiseSeconds = seconds(t0);
    if (chars === 0) throw new Error("empty trace");
    t0 = process.hrtime.bigint();
    await writeTraceFile(join(dir, "full.json"), rec);
    out.writeSeconds = seconds(t0);
    out.traceBytes = statSync(join(dir, "full.json")).size;
    rmSync(join(dir, "full.json"));
    t0 = process.hrtime.bigint();
    await writeTraceFile(join(dir, "lean.json"), rec, { launchFlows: false, engineTracks: false });
    out.leanWriteSeconds = seconds(t0);
    out.leanBytes = statSync(join(dir, "lean.json")).size;
    rmSync(join(dir, "lean.json"));
    const ops = rec.ops;
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
    t0 = process.hrtime.bigint();
    writeFileSync(join(dir, "peer.json"), JSON.stringify({ traceEvents: events }));
    out.peerWriteSeconds = seconds(t0);
    out.peerBytes = statSync(join(dir, "peer.json")).size;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
process.stdout.write(`${JSON.stringify(out)}\n`);
