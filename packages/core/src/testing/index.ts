/**
 * Test kit for npurt: a recording reference backend ({@link MockDeviceBackend}) and a virtual
 * clock. Plain code with no dependencies, so it runs anywhere (tests, examples, a browser); the
 * backend conformance suite, which needs vitest, is on its own subpath, `@npurt/core/conformance`.
 *
 * @example
 * ```ts
 * import { createDevice } from "@npurt/core";
 * import { MockDeviceBackend, VirtualClock } from "@npurt/core/testing";
 *
 * const device = createDevice(new MockDeviceBackend());
 * console.log(device.capabilities.timeModel, new VirtualClock().now());
 * device.close();
 * ```
 *
 * @packageDocumentation
 */

export {
  type MockCall,
  MockDeviceBackend,
  type MockDeviceBackendOptions,
  type MockKernel,
} from "./mock-device-backend.js";
export { VirtualClock } from "./virtual-clock.js";
