import { describeDeviceBackendConformance } from "@npurt/core/conformance";
import { simulatedNpu, ZERO_HOST_COSTS } from "../src/index.js";

describeDeviceBackendConformance({
  name: "device-sim (tiny, 1 AI core, no jitter)",
  factory: () => simulatedNpu({ preset: "tiny", aiCores: 1, jitter: 0 }),
});

describeDeviceBackendConformance({
  name: "device-sim (8 AI cores, seeded random jitter)",
  factory: () => simulatedNpu({ preset: "tiny", aiCores: 8, jitter: 0.5, seed: 20_261_121 }),
});

describeDeviceBackendConformance({
  name: "device-sim (ascend910 preset, 2 devices, timing only)",
  factory: () => simulatedNpu({ preset: "ascend910", devices: 2, computeKernels: false }),
});

describeDeviceBackendConformance({
  name: "device-sim (zero host costs, 4 queues, 1 MiB)",
  factory: () =>
    simulatedNpu({
      preset: "tiny",
      maxQueues: 4,
      hbmBytes: 2 ** 20,
      hostCosts: ZERO_HOST_COSTS,
    }),
});
