// Stream create+destroy: pooled (the goal: ≤ 1 µs) and unpooled (a hardware queue each time),
// against a p-queue 9.3.5 instance per stream (the JS peer) and the seed article's table.
import { StreamManager } from "@npurt/streams";
import PQueue from "p-queue";
import { figure, medianSeconds, quick } from "../../../scripts/bench-kit.mjs";
import { BACKEND_NAME, makeDevice, SEED } from "./backend.mjs";

const N = quick ? 50_000 : 500_000;
const RUNS = quick ? 3 : 5;

const pooled = new StreamManager(makeDevice(), { pool: { prewarm: 1 } });
function pooledCycle() {
  for (let i = 0; i < N; i++) pooled.create().destroy();
}

// Unpooled: every stream takes a hardware queue on first use and gives it back at destroy.
const unpooled = new StreamManager(makeDevice(), { pool: { bound: 0 } });
const M = N / 10;
async function unpooledCycle() {
  for (let i = 0; i < M; i++) {
    const s = unpooled.create();
    s.launch({ kind: "kernel", name: "noop" });
    await s.destroy(); // cann: waits for the one op to drain
  }
}

let sink;
function peerCycle() {
  for (let i = 0; i < N; i++) sink = new PQueue();
}

const ours = ((await medianSeconds(pooledCycle, { runs: RUNS })) / N) * 1e9;
const peer = ((await medianSeconds(peerCycle, { runs: RUNS })) / N) * 1e9;
const cold = ((await medianSeconds(unpooledCycle, { runs: RUNS })) / M) * 1e9;
if (sink === undefined || pooled.stats().reused < N) throw new Error("the pool was not used");

figure({
  name: `streams: pooled create+destroy (${BACKEND_NAME}) vs new PQueue()`,
  unit: "ns/op",
  value: ours,
  baseline: { name: "p-queue 9.3.5 new PQueue()", value: peer },
  ratio: peer / ours,
  goal: "≤ 1000 ns",
});
figure({
  name: `streams: pooled create+destroy (${BACKEND_NAME}) vs seed table create+destroy`,
  unit: "ns/op",
  value: ours,
  baseline: {
    name: "seed article create 150 µs + destroy 100 µs",
    value: (SEED.createUs + SEED.destroyUs) * 1e3,
  },
  ratio: ((SEED.createUs + SEED.destroyUs) * 1e3) / ours,
});
figure({
  name: `streams: unpooled create+launch+destroy, own hardware queue (${BACKEND_NAME})`,
  unit: "ns/op",
  value: cold,
  baseline: { name: "seed article create 150 µs + submit 25 µs + destroy 100 µs", value: 275_000 },
  ratio: 275_000 / cold,
});
