import { describe } from "vitest";
import { completionTests } from "./completions.js";
import type { ConformanceOptions } from "./context.js";
import { counterTests } from "./counters.js";
import { errorTests } from "./errors.js";
import { memoryTests } from "./memory.js";
import { orderingTests } from "./ordering.js";
import { priorityTests } from "./priorities.js";
import { queueLifecycleTests } from "./queue-lifecycle.js";

export type { ConformanceHarness, ConformanceOptions } from "./context.js";

/**
 * Declares the DeviceBackend v1 conformance suite (vitest) for a backend. Call it from a test
 * file of your backend's package; run it once per configuration that matters (one compute unit
 * and many, with and without jitter). Areas a backend's capability manifest does not claim
 * (priorities, copies, timing) are checked only as far as the manifest says.
 *
 * @example
 * ```ts
 * import { describeDeviceBackendConformance } from "@npurt/core/testing";
 * import { myBackend } from "../src/index.js";
 *
 * describeDeviceBackendConformance({ name: "my backend", factory: () => myBackend() });
 * ```
 */
export function describeDeviceBackendConformance(options: ConformanceOptions): void {
  if (typeof options !== "object" || options === null) throw new TypeError("options must be an object");
  if (typeof options.name !== "string") throw new TypeError("options.name must be a string");
  if (typeof options.factory !== "function") throw new TypeError("options.factory must be a function");
  describe(`DeviceBackend conformance: ${options.name}`, () => {
    queueLifecycleTests(options);
    orderingTests(options);
    counterTests(options);
    memoryTests(options);
    completionTests(options);
    errorTests(options);
    priorityTests(options);
  });
}
