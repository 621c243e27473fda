/**
 * Test kit for npurt: the DeviceBackend conformance suite, a recording reference backend, and a
 * virtual clock. Import it from tests only; it needs vitest (an optional peer dependency) for
 * the suite.
 *
 * @example
 * ```ts
 * import { describeDeviceBackendConformance, MockDeviceBackend } from "@npurt/core/testing";
 *
 * describeDeviceBackendConformance({ name: "mock", factory: () => new MockDeviceBackend() });
 * ```
 *
 * @packageDocumentation
 */

export {
  type ConformanceHarness,
  type ConformanceOptions,
  describeDeviceBackendConformance,
} from "./conformance/index.js";
export {
  type MockCall,
  MockDeviceBackend,
  type MockDeviceBackendOptions,
  type MockKernel,
} from "./mock-device-backend.js";
export { VirtualClock } from "./virtual-clock.js";
