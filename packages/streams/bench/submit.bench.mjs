// Host cost of submitting a kernel (goal ≤ 0.5 µs) and of a synchronize round trip (goal ≤ 5 µs),
// against p-queue 9.3.5 doing the same with no-op tasks, and the seed article's table.
import { StreamManager } from "@npurt/streams";
import PQueue from "p-queue";
import { figure, medianSeconds, quick } from "../../../scripts/bench-kit.mjs";
import { BACKEND_NAME, makeDevice, SEED } from "./backend.mjs";

const N = quick ? 100_000 : 1_000_000;
const R = quick ? 10_000 : 100_000;
const RUNS = quick ? 3 : 5;
const KERNEL = { kind: "kernel", name: "noop" };
const noop = () => {};

// ---- submit: N kernels queued synchronously on one stream; the drain is not timed ----
const manager = new StreamManager(makeDevice());
const stream = manager.create();
let submitNs = [];
for (let r = 0; r < RUNS + 1; r++) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) stream.launch(KERNEL);
  const t = Number(process.hrtime.bigint() - t0);
  if (r > 0) submitNs.push(t / N); // the first round is warm-up
  await stream.synchronize();
}
submitNs = submitNs.sort((a, b) => a - b)[Math.floor(submitNs.length / 2)];

let peerSubmitNs = [];
for (let r = 0; r < RUNS + 1; r++) {
  const q = new PQueue({ autoStart: false });
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < N; i++) q.add(noop);
  const t = Number(process.hrtime.bigint() - t0);
  if (r > 0) peerSubmitNs.push(t / N);
  q.start();
  await q.onIdle();
}
peerSubmitNs = peerSubmitNs.sort((a, b) => a - b)[Math.floor(peerSubmitNs.length / 2)];

figure({
  name: `streams: host cost of submitting a kernel (${BACKEND_NAME}) vs p-queue add`,
  unit: "ns/op",
  value: submitNs,
  baseline: { name: "p-queue 9.3.5 add() of a no-op task", value: peerSubmitNs },
  ratio: peerSubmitNs / submitNs,
  goal: "≤ 500 ns",
});
figure({
  name: `streams: host cost of submitting a kernel (${BACKEND_NAME}) vs seed table submit`,
  unit: "ns/op",
  value: submitNs,
  baseline: { name: "seed article submit 25 µs", value: SEED.submitUs * 1e3 },
  ratio: (SEED.submitUs * 1e3) / submitNs,
});

// ---- synchronize round trip: launch one kernel, await its stream ----
async function roundTrips() {
  for (let i = 0; i < R; i++) {
    stream.launch(KERNEL);
    await stream.synchronize();
  }
}
const peerQueue = new PQueue({ concurrency: 1 });
async function peerRoundTrips() {
  for (let i = 0; i < R; i++) await peerQueue.add(noop);
}
const syncNs = ((await medianSeconds(roundTrips, { runs: RUNS })) / R) * 1e9;
const peerSyncNs = ((await medianSeconds(peerRoundTrips, { runs: RUNS })) / R) * 1e9;
figure({
  name: `streams: synchronize round trip, launch+synchronize (${BACKEND_NAME}) vs await p-queue add`,
  unit: "ns/op",
  value: syncNs,
  baseline: { name: "p-queue 9.3.5 await add() of a no-op task", value: peerSyncNs },
  ratio: peerSyncNs / syncNs,
  goal: "≤ 5000 ns",
});
figure({
  name: `streams: synchronize round trip (${BACKEND_NAME}) vs seed table sync`,
  unit: "ns/op",
  value: syncNs,
  baseline: { name: "seed article synchronize 50 µs", value: SEED.syncUs * 1e3 },
  ratio: (SEED.syncUs * 1e3) / syncNs,
});
