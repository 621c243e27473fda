/**
 * The DeviceBackend v1 conformance suite (vitest, an optional peer dependency of
 * `@npurt/core`): every backend runs it to prove it keeps the contract. Import it from test files
 * only; it loads vitest.
 *
 * @example
 * ```ts no-run
 * import { describeDeviceBackendConformance } from "@npurt/core/conformance";
 * import { myBackend } from "../src/index.js";
 *
 * describeDeviceBackendConformance({ name: "my backend", factory: () => myBackend() });
 * ```
 *
 * @packageDocumentation
 */

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

/** The areas of the suite, in the order {@link describeDeviceBackendConformance} declares them. */
export type ConformanceArea =
  | "queue lifecycle"
  | "ordering"
  | "counters"
  | "memory"
  | "completions"
  | "errors"
  | "priorities";

/**
 * Each area of the suite on its own: call one inside your own `describe` to run just that area
 * (while a backend is being written, say). Cases an area's manifest does not claim are reported
 * skipped.
 *
 * @example
 * ```ts no-run
 * import { conformanceAreas } from "@npurt/core/conformance";
 * conformanceAreas.memory({ name: "my backend", factory: () => myBackend() });
 * ```
 */
export const conformanceAreas: Readonly<Record<ConformanceArea, (options: ConformanceOptions) => void>> =
  Object.freeze({
    "queue lifecycle": (options: ConformanceOptions) => queueLifecycleTests(checked(options)),
    ordering: (options: ConformanceOptions) => orderingTests(checked(options)),
    counters: (options: ConformanceOptions) => counterTests(checked(options)),
    memory: (options: ConformanceOptions) => memoryTests(checked(options)),
    completions: (options: ConformanceOptions) => completionTests(checked(options)),
    errors: (options: ConformanceOptions) => errorTests(checked(options)),
    priorities: (options: ConformanceOptions) => priorityTests(checked(options)),
  });

/**
 * Declares the DeviceBackend v1 conformance suite (vitest) for a backend. Call it from a test
 * file of your backend's package; run it once per configuration that matters (one compute unit
 * and many, with and without jitter). Cases for what a backend's capability manifest does not
 * claim (priorities, some copy directions, timing) are reported skipped, with the reason. Each
 * case gets a fresh backend from `factory` and closes its device when it ends, passed or failed.
 *
 * @example
 * ```ts no-run
 * import { describeDeviceBackendConformance } from "@npurt/core/conformance";
 * import { myBackend } from "../src/index.js";
 *
 * describeDeviceBackendConformance({ name: "my backend", factory: () => myBackend() });
 * ```
 */
export function describeDeviceBackendConformance(options: ConformanceOptions): void {
  checked(options);
  describe(`DeviceBackend conformance: ${options.name}`, () => {
    for (const area of Object.values(conformanceAreas)) area(options);
  });
}

function checked(options: ConformanceOptions): ConformanceOptions {
  if (typeof options !== "object" || options === null) throw new TypeError("options must be an object");
  if (typeof options.name !== "string") throw new TypeError("options.name must be a string");
  if (typeof options.factory !== "function") throw new TypeError("options.factory must be a function");
  return options;
}
