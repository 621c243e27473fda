// THE ONE PLACE the streams benchmarks choose their backend: the simulated NPU (ascend910 preset)
// in timing-only mode (kernels take time but compute nothing), with no stream limit so a million
// idle streams fit. Figure names carry BACKEND_NAME. To compare with core's MockDeviceBackend,
// return `createDevice(new MockDeviceBackend({ opDurationNs: 0 }))` instead (the mock scans every
// active queue per op, so it slows down with many streams).
import { createDevice } from "@npurt/core";
import { simulatedNpu } from "@npurt/device-sim";

export const BACKEND_NAME = "device-sim ascend910, timing-only";

/** A fresh device. */
export function makeDevice() {
  return createDevice(
    simulatedNpu({ preset: "ascend910", computeKernels: false, maxQueues: Number.POSITIVE_INFINITY }),
  );
}

/** The seed article's table (stream-management seed, per operation). */
export const SEED = {
  createUs: 150,
  submitUs: 25,
  syncUs: 50,
  destroyUs: 100,
  streamBytes: 2048,
  taskBytes: 128,
};
