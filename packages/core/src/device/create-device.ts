import type { DeviceBackend } from "../backend/device-backend.js";
import { NpuError, NpuTypeError } from "../errors/npu-error.js";
import { describe, quote } from "../errors/safe-text.js";
import { check } from "../errors/validate.js";
import { Instrumentation } from "../instrumentation/instrumentation.js";
import { Device } from "./device.js";
import type { CreateDeviceOptions } from "./device-options.js";
import { validateBackend } from "./validate-backend.js";

/**
 * Wraps a {@link DeviceBackend} in a checked {@link Device}. Refuses anything that is not a v1
 * backend with a coherent capability manifest.
 *
 * @example
 * ```ts
 * import { createDevice } from "@npurt/core";
 * import { MockDeviceBackend } from "@npurt/core/testing";
 *
 * const device = createDevice(new MockDeviceBackend());
 * const queue = device.createQueue();
 * const buf = device.allocate(1024);
 * device.enqueue(queue, { kind: "fill", dst: buf, value: 7 });
 * await device.drain(queue);
 * ```
 */
export function createDevice(backend: DeviceBackend, options?: CreateDeviceOptions): Device {
  validateBackend(backend);
  const bus = check.read(options, "createDevice options", ["instrumentation"]).instrumentation;
  if (bus !== undefined && !isInstrumentation(bus)) {
    throw new NpuTypeError(
      `createDevice options.instrumentation must be an Instrumentation, got ${describe(bus)}`,
    );
  }
  // A backend has one completion sink: a second device would take the first one's completions,
  // leaving its drains and listeners waiting forever.
  if (connected.has(backend)) {
    throw new NpuError(
      "ILLEGAL_STATE",
      `backend ${quote(backend.name)} already belongs to a device; create a new backend for each device`,
    );
  }
  connected.add(backend);
  return new Device(backend, bus === undefined ? {} : { instrumentation: bus });
}

const connected = new WeakSet<DeviceBackend>();

/** An {@link Instrumentation}, also one from a second installed copy of core (same shape). */
function isInstrumentation(value: unknown): value is Instrumentation {
  if (value instanceof Instrumentation) return true;
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.emit === "function" && typeof v.subscribe === "function" && typeof v.active === "boolean";
}
