import { createDevice } from "@npurt/core";
import { describeDeviceBackendConformance } from "@npurt/core/testing";
import { StreamManager } from "@npurt/streams";
import { describe, expect, it } from "vitest";
import { hostCpuBackend } from "../src/examples/custom-backend/host-cpu-backend.js";

// The custom backend meets the same contract as the simulated NPU: core's conformance suite.
describeDeviceBackendConformance({ name: "host CPU (wall time)", factory: () => hostCpuBackend() });
describeDeviceBackendConformance({
  name: "host CPU, small (4 queues, 1 MiB)",
  factory: () => hostCpuBackend({ maxQueues: 4, memoryBytes: 2 ** 20 }),
});
