// Stream-ordered allocate+free per op (Stream.allocAsync/freeAsync on a pool that keeps its
// memory) against synchronous allocate+free with the device synchronization the 'cuda' profile
// does (cudaMalloc/cudaFree: StreamManager.malloc/free), and against a plain JS free-list (no
// ordering at all: the floor), all in the same run. Each op allocates a 64 KiB buffer, launches
// a kernel that writes it (20 µs of device time), and frees it; a second set of loops does the
// allocate+free alone, without the kernel. Goal: stream-ordered ≥ 5×
// cheaper than synchronous in host time — both the wall time the JS host spends and the
// simulated host time (the host clock of the simulated NPU, which a synchronize moves to the
// device's completion).
import { StreamManager } from "@npurt/streams";
import { figure, quick } from "../../../scripts/bench-kit.mjs";
import { BACKEND_NAME, makeDevice } from "./backend.mjs";

const N = quick ? 2_000 : 20_000;
const RUNS = quick ? 3 : 5;
const BYTES = 64 * 1024;
const KERNEL_NS = 20_000;

function kernel(buffer) {
  return { name: "noop", outputs: [buffer], cost: { durationNs: KERNEL_NS } };
}

function rig(profile) {
  const device = makeDevice();
  const manager = new StreamManager(device, { profile });
  return { device, manager, stream: manager.create() };
}

// Simulated host nanoseconds per op of the last run of each loop.
const hostNs = {};

/**
 * Median wall ns per op of `fn`'s timed part over RUNS runs after a warm-up. Each loop returns
 * the wall ns of its submission loop only: the device work a stream-ordered loop leaves queued
 * drains afterwards, outside the timing, as it would on a real device running alongside the
 * host; the synchronous loop waits for the device inside the loop, which is its cost.
 */
async function medianNsPerOp(fn) {
  await fn();
  const times = [];
  for (let i = 0; i < RUNS; i++) times.push(await fn());
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)] / N;
}

const wall = () => Number(process.hrtime.bigint());

const ordered = rig("cuda");
const pool = ordered.manager.createMemPool({ releaseThreshold: Number.POSITIVE_INFINITY });
async function streamOrdered() {
  const { device, stream } = ordered;
  const t0 = device.clock.now();
  const w0 = wall();
  for (let i = 0; i < N; i++) {
    const b = stream.allocAsync(BYTES, { pool });
    stream.launch(kernel(b));
    stream.freeAsync(b);
  }
  const took = wall() - w0;
  hostNs.ordered = (device.clock.now() - t0) / N;
  await stream.synchronize();
  return took;
}

const sync = rig("cuda");
async function synchronous() {
  const { device, manager, stream } = sync;
  const t0 = device.clock.now();
  const w0 = wall();
  for (let i = 0; i < N; i++) {
    const b = await manager.malloc(BYTES); // synchronizes the device first
    stream.launch(kernel(b));
    await manager.free(b); // waits for the kernel: cudaFree synchronizes the device
  }
  hostNs.sync = (device.clock.now() - t0) / N;
  return wall() - w0;
}

const plain = rig("cuda");
const freeList = [];
async function jsFreeList() {
  const { device, stream } = plain;
  const t0 = device.clock.now();
  const w0 = wall();
  for (let i = 0; i < N; i++) {
    const b = freeList.pop() ?? device.allocate(BYTES);
    stream.launch(kernel(b));
    freeList.push(b); // unsafe on purpose: no ordering between the free and the next use
  }
  const took = wall() - w0;
  hostNs.freeList = (device.clock.now() - t0) / N;
  await stream.synchronize();
  return took;
}

// The allocation calls alone (no kernel between them): what allocate+free itself costs the host.
async function orderedBare() {
  const { stream } = ordered;
  const w0 = wall();
  for (let i = 0; i < N; i++) stream.freeAsync(stream.allocAsync(BYTES, { pool }));
  const took = wall() - w0;
  await stream.synchronize();
  return took;
}
async function syncBare() {
  const { manager } = sync;
  const w0 = wall();
  for (let i = 0; i < N; i++) await manager.free(await manager.malloc(BYTES));
  return wall() - w0;
}
function freeListBare() {
  const { device } = plain;
  const w0 = wall();
  for (let i = 0; i < N; i++) freeList.push(freeList.pop() ?? device.allocate(BYTES));
  return wall() - w0;
}

const orderedNs = await medianNsPerOp(streamOrdered);
const syncNs = await medianNsPerOp(synchronous);
const freeListNs = await medianNsPerOp(jsFreeList);
const orderedBareNs = await medianNsPerOp(orderedBare);
const syncBareNs = await medianNsPerOp(syncBare);
const freeListBareNs = await medianNsPerOp(freeListBare);
const stats = pool.stats();
if (stats.reservedHighBytes !== BYTES || stats.reused.sameStream < 2 * N) {
  throw new Error(`the pool did not reuse its block: ${JSON.stringify(stats)}`);
}

figure({
  name: `streams: stream-ordered allocAsync+launch+freeAsync per op, host wall time (${BACKEND_NAME}) vs synchronous malloc+launch+free with device sync`,
  unit: "ns/op",
  value: orderedNs,
  baseline: { name: "StreamManager.malloc/free, 'cuda' profile (device sync)", value: syncNs },
  ratio: syncNs / orderedNs,
  goal: "≥ 5× cheaper",
});
figure({
  name: `streams: stream-ordered allocAsync+launch+freeAsync per op, simulated host time (${BACKEND_NAME}, 20 µs kernel) vs synchronous with device sync`,
  unit: "ns/op",
  value: hostNs.ordered,
  baseline: { name: "StreamManager.malloc/free, 'cuda' profile (device sync)", value: hostNs.sync },
  ratio: hostNs.sync / hostNs.ordered,
  goal: "≥ 5× cheaper",
});
figure({
  name: `streams: stream-ordered allocAsync+launch+freeAsync per op, host wall time (${BACKEND_NAME}) vs a plain JS free-list + launch`,
  unit: "ns/op",
  value: orderedNs,
  baseline: { name: "Array pop/push free-list (no ordering)", value: freeListNs },
  ratio: freeListNs / orderedNs,
});
figure({
  name: `streams: allocAsync+freeAsync alone per op, host wall time (${BACKEND_NAME}) vs synchronous malloc+free with device sync`,
  unit: "ns/op",
  value: orderedBareNs,
  baseline: {
    name: "StreamManager.malloc/free, 'cuda' profile (device sync, device idle)",
    value: syncBareNs,
  },
  ratio: syncBareNs / orderedBareNs,
  goal: "≥ 5× cheaper",
});
figure({
  name: `streams: allocAsync+freeAsync alone per op, host wall time (${BACKEND_NAME}) vs a plain JS free-list`,
  unit: "ns/op",
  value: orderedBareNs,
  baseline: { name: "Array pop/push free-list (no ordering)", value: freeListBareNs },
  ratio: freeListBareNs / orderedBareNs,
});
