// THE ONE PLACE the streams benchmarks choose their backend. Until @npurt/device-sim is merged
// they run on core's MockDeviceBackend (virtual time, ops execute one at a time on the host);
// switch `BACKEND_NAME` and `makeBackend` to the simulator in timing-only mode then. Figure names
// carry BACKEND_NAME so results from the two are never confused.
import { createDevice } from "@npurt/core";
import { MockDeviceBackend } from "@npurt/core/testing";

export const BACKEND_NAME = "MockDeviceBackend";

/** A fresh device with no stream limit and zero-cost ops (the runtime's overhead is what we measure). */
export function makeDevice() {
  const backend = new MockDeviceBackend({ opDurationNs: 0 });
  // The mock records every call for tests; a benchmark measures the runtime, not the recorder.
  Object.defineProperty(backend.calls, "push", { value: () => 0 });
  return createDevice(backend);
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
