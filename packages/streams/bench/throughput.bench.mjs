// End to end: 1e6 no-op kernels over 1000 streams, submitted and completed (goal ≥ 1 M kernels/s),
// against p-queue 9.3.5 running the same count of no-op tasks in the same run.
import { StreamManager } from "@npurt/streams";
import PQueue from "p-queue";
import { figure, medianSeconds, quick } from "../../../scripts/bench-kit.mjs";
import { BACKEND_NAME, makeDevice } from "./backend.mjs";

const KERNELS = quick ? 100_000 : 1_000_000;
const STREAMS = quick ? 100 : 1000;
const RUNS = quick ? 2 : 3;
const KERNEL = { kind: "kernel", name: "noop" };
const noop = () => {};

function endToEnd(count) {
  const manager = new StreamManager(makeDevice());
  const streams = Array.from({ length: count }, () => manager.create());
  return async () => {
    const per = KERNELS / count;
    for (const s of streams) for (let i = 0; i < per; i++) s.launch(KERNEL);
    await manager.synchronize();
  };
}

async function peer() {
  const q = new PQueue({ concurrency: STREAMS });
  for (let i = 0; i < KERNELS; i++) q.add(noop);
  await q.onIdle();
}

const oursRate = KERNELS / (await medianSeconds(endToEnd(STREAMS), { runs: RUNS }));
// The same kernels over 10 streams: how much the stream count costs.
const fewRate = KERNELS / (await medianSeconds(endToEnd(10), { runs: RUNS }));
const peerRate = KERNELS / (await medianSeconds(peer, { runs: RUNS }));
figure({
  name: `streams: ${KERNELS} no-op kernels over ${STREAMS} streams, end to end (${BACKEND_NAME})`,
  unit: "kernels/s",
  value: oursRate,
  baseline: { name: `p-queue 9.3.5, ${KERNELS} no-op tasks, concurrency ${STREAMS}`, value: peerRate },
  ratio: oursRate / peerRate,
  goal: "≥ 1,000,000 kernels/s",
});
figure({
  name: `streams: ${KERNELS} no-op kernels over 10 streams, end to end (${BACKEND_NAME})`,
  unit: "kernels/s",
  value: fewRate,
  baseline: { name: `p-queue 9.3.5, ${KERNELS} no-op tasks, concurrency ${STREAMS}`, value: peerRate },
  ratio: fewRate / peerRate,
});
