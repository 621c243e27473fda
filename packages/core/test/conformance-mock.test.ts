import { describeDeviceBackendConformance } from "@npurt/core/conformance";
import { MockDeviceBackend } from "@npurt/core/testing";

describeDeviceBackendConformance({ name: "MockDeviceBackend", factory: () => new MockDeviceBackend() });
describeDeviceBackendConformance({
  name: "MockDeviceBackend (2 devices, 1 compute unit, 4 queues, 1 MiB)",
  factory: () => new MockDeviceBackend({ devices: 2, computeUnits: 1, maxQueues: 4, memoryBytes: 2 ** 20 }),
});
