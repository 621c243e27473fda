// The streams end-to-end workload (as in packages/streams/bench/throughput.bench.mjs): no-op
// kernels over many streams on the simulated NPU (ascend910 preset, timing-only, no stream
// limit), submitted and synchronized. The profiler benchmarks run it with and without a profiler.
import { createDevice } from "@npurt/core";
import { simulatedNpu } from "@npurt/device-sim";
import { StreamManager } from "@npurt/streams";

export const BACKEND_NAME = "device-sim ascend910, timing-only";
const KERNEL = { kind: "kernel", name: "noop" };

/** A fresh device. */
export function makeDevice() {
  return createDevice(
    simulatedNpu({ preset: "ascend910", computeKernels: false, maxQueues: Number.POSITIVE_INFINITY }),
  );
}

/** Runs `kernels` no-op kernels over `streams` streams on `device`; resolves when all completed. */
export async function endToEnd(device, kernels, streams) {
  const manager = new StreamManager(device);
  const list = Array.from({ length: streams }, () => manager.create());
  const per = kernels / streams;
  for (const s of list) for (let i = 0; i < per; i++) s.launch(KERNEL);
  await manager.synchronize();
}
