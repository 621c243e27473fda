// The SimPy device model (bench/simpy_device_model.py, copied from the project's anchors) run on
// the simulator through the DeviceBackend interface: K = 8 AI cores, N queues of M kernels of one
// core each, durations from xorshift32 (seed 0x9E3779B9, row-major), zero host costs and launch
// latency so the timeline is the model's. The makespan must equal SimPy's exactly.
//
//   node --expose-gc bench/simpy-model.bench.mjs [--quick]
//
// Figures: kernels per wall second of the run phase (enqueueing is setup, as SimPy's process
// creation is), with SimPy 3 run in the same process tree when `import simpy` works; heap bytes
// per pending kernel (1e6 enqueued, not yet run) with p-queue 9.3.5 (paused, same count) as peer.
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { simulatedNpu, ZERO_HOST_COSTS } from "@npurt/device-sim";
import PQueue from "p-queue";
import { figure, quick, settledHeap } from "../../../scripts/bench-kit.mjs";

const MODEL = fileURLToPath(new URL("./simpy_device_model.py", import.meta.url));
const EXPECTED_MAKESPAN = { "100x1000": 6_249_069, "1000x1000": 62_639_969 };
const NO_REFS = Object.freeze([]);

function durations(n, m, seed = 0x9e3779b9) {
  const out = new Int32Array(n * m);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < out.length; i++) {
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    out[i] = 1 + (x % 1000);
  }
  return out;
}

function modelNpu() {
  return simulatedNpu({
    preset: "tiny",
    aiCores: 8,
    maxQueues: Number.POSITIVE_INFINITY,
    kernelLaunchNs: 0,
    jitter: 0,
    computeKernels: false,
    hostCosts: ZERO_HOST_COSTS,
  });
}

/** Creates the backend, its N queues and all N×M kernels; returns what `run` needs. */
function setup(n, m, durs, sink) {
  const npu = modelNpu();
  npu.connect(sink);
  const queues = [];
  for (let s = 0; s < n; s++) queues.push(npu.createQueue(0, { priority: 0 }));
  let opId = 1;
  for (let s = 0; s < n; s++) {
    const q = queues[s];
    for (let j = 0; j < m; j++) {
      npu.enqueue(q, opId++, {
        kind: "kernel",
        name: "noop",
        blockDim: 1,
        inputs: NO_REFS,
        outputs: NO_REFS,
        params: undefined,
        cost: { durationNs: durs[s * m + j] },
      });
    }
  }
  return npu;
}

/** One run: returns run-phase seconds, setup seconds and the makespan. */
async function runOnce(n, m, durs) {
  const total = n * m;
  let done = 0;
  let failed = 0;
  let makespan = 0;
  let finish;
  const finished = new Promise((resolve) => {
    finish = resolve;
  });
  const sink = {
    complete(c) {
      if (c.status !== "ok") failed++;
      if (c.endNs > makespan) makespan = c.endNs;
      if (++done === total) finish(process.hrtime.bigint());
      return false;
    },
  };
  const s0 = process.hrtime.bigint();
  const npu = setup(n, m, durs, sink);
  const t0 = process.hrtime.bigint();
  const t1 = await finished;
  npu.close();
  if (failed > 0) throw new Error(`${failed} kernels did not complete ok`);
  return { run: Number(t1 - t0) / 1e9, setup: Number(t0 - s0) / 1e9, makespan };
}

function findPython() {
  for (const exe of ["/usr/bin/python3", "python3"]) {
    const r = spawnSync(exe, ["-c", "import simpy"], { encoding: "utf8" });
    if (r.status === 0) return exe;
  }
  return undefined;
}

function runSimpy(python, n, m) {
  const r = spawnSync(python, [MODEL, "--engine", "simpy3", "--streams", String(n), "--kernels", String(m)], {
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`SimPy model failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split("\n").pop());
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

const python = findPython();
if (python === undefined) {
  console.log("note: SimPy not importable (apt-get install -y python3-simpy3); the peer is skipped");
}

// Warm the JIT on a small instance of the same model.
await runOnce(100, 100, durations(100, 100));

const sizes = quick
  ? [[100, 1000, 1]]
  : [
      [100, 1000, 5],
      [1000, 1000, 3],
    ];
for (const [n, m, runs] of sizes) {
  const key = `${n}x${m}`;
  const durs = durations(n, m);
  const results = [];
  for (let i = 0; i < runs; i++) results.push(await runOnce(n, m, durs));
  const makespan = results[0].makespan;
  for (const r of results) {
    if (r.makespan !== makespan) throw new Error(`nondeterministic makespan: ${r.makespan} vs ${makespan}`);
  }
  if (makespan !== EXPECTED_MAKESPAN[key]) {
    console.error(`!!! makespan ${makespan} for ${key} differs from SimPy's ${EXPECTED_MAKESPAN[key]}`);
    process.exit(1);
  }
  const run = median(results.map((r) => r.run));
  const rate = (n * m) / run;
  console.log(
    `${key}: makespan ${makespan} (= SimPy), run ${run.toFixed(3)} s, setup ${median(results.map((r) => r.setup)).toFixed(3)} s`,
  );
  let peer;
  if (python !== undefined) {
    const simpyRuns = [];
    for (let i = 0; i < (quick ? 1 : 3); i++) simpyRuns.push(runSimpy(python, n, m));
    for (const s of simpyRuns) {
      if (s.makespan !== makespan) throw new Error(`SimPy makespan ${s.makespan} differs from ${makespan}`);
    }
    peer = median(simpyRuns.map((s) => s.kernels_per_sec));
    console.log(
      `${key}: SimPy ${simpyRuns[0].version}: ${Math.round(peer)} kernels/s, makespan ${simpyRuns[0].makespan}`,
    );
  }
  figure({
    name: `SimPy model ${n}×${m}, K=8: kernels per wall second`,
    unit: "kernels/s",
    value: rate,
    ...(peer === undefined ? {} : { baseline: { name: "SimPy 3.0.11", value: peer }, ratio: rate / peer }),
  });
  figure({ name: `SimPy model ${n}×${m}: makespan (virtual ns, = SimPy)`, unit: "ns", value: makespan });
}

// Memory: bytes per pending kernel, 1e6 (quick: 1e5) kernels enqueued but not yet run.
const memN = quick ? 100 : 1000;
const memM = 1000;
const memDurs = durations(memN, memM);
const before = settledHeap();
const pendingNpu = setup(memN, memM, memDurs, { complete: () => false });
const after = settledHeap();
pendingNpu.close();
const simBytes = (after - before) / (memN * memM);

const pqBefore = settledHeap();
const pq = new PQueue({ concurrency: 1, autoStart: false });
for (let i = 0; i < memN * memM; i++) pq.add(() => undefined).catch(() => undefined);
const pqAfter = settledHeap();
const pqBytes = (pqAfter - pqBefore) / (memN * memM);
pq.clear();
console.log(
  `bytes per pending kernel: device-sim ${simBytes.toFixed(1)}, p-queue (paused) ${pqBytes.toFixed(1)}`,
);
figure({
  name: `heap bytes per pending kernel (${memN * memM} enqueued, incl. the op objects)`,
  unit: "B",
  value: simBytes,
  baseline: { name: "p-queue 9.3.5 paused task", value: pqBytes },
  ratio: pqBytes / simBytes,
});
