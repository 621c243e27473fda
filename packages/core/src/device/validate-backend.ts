import type { DeviceBackend, DeviceCapabilities } from "../backend/device-backend.js";
import { DEVICE_OP_KINDS } from "../backend/ops.js";
import { NpuError, NpuTypeError } from "../errors/npu-error.js";
import { describe, errorMessage } from "../errors/safe-text.js";
import { check } from "../errors/validate.js";

const METHODS = [
  "connect",
  "createQueue",
  "destroyQueue",
  "enqueue",
  "abortQueue",
  "allocate",
  "release",
  "memoryInfo",
  "createCounter",
  "destroyCounter",
  "counterValue",
  "signalCounter",
  "close",
] as const;

/**
 * Refuses anything that is not a v1 backend with a coherent capability manifest and clock. The
 * manifest is read on every enqueue, so a malformed one must fail here, with a code, rather than
 * later as a bare `TypeError` inside a user's call. A backend whose properties throw when read
 * (a getter, a Proxy) is refused with an `NpuTypeError` carrying the thrown value as `cause`.
 */
export function validateBackend(backend: unknown): asserts backend is DeviceBackend {
  if (typeof backend !== "object" || backend === null) {
    throw new NpuTypeError(`backend must be a DeviceBackend object, got ${describe(backend)}`);
  }
  try {
    const b = backend as DeviceBackend;
    const version: unknown = b.specificationVersion;
    if (version !== "v1") {
      throw new NpuError(
        "FEATURE_NOT_SUPPORTED",
        `backend specificationVersion ${describe(version)} is not supported; this core implements "v1"`,
      );
    }
    for (const method of METHODS) check.func(b[method], `backend.${method}`);
    check.string(b.name, "backend.name");
    validateClock(b.clock);
    validateCapabilities(b.capabilities);
  } catch (error) {
    if (NpuError.isInstance(error)) throw error;
    throw new NpuTypeError(`backend could not be read: ${errorMessage(error)}`, { cause: error });
  }
}

function validateClock(clock: unknown): void {
  if (typeof clock !== "object" || clock === null)
    throw new NpuTypeError(`backend.clock must be a Clock, got ${describe(clock)}`);
  const c = clock as Record<string, unknown>;
  check.oneOf(c.mode, ["virtual", "wall"], "backend.clock.mode");
  for (const m of ["now", "setTimer", "clearTimer"]) check.func(c[m], `backend.clock.${m}`);
}

function validateCapabilities(caps: DeviceCapabilities): void {
  if (typeof caps !== "object" || caps === null)
    throw new NpuTypeError("backend.capabilities must be an object");
  if (!Array.isArray(caps.devices) || caps.devices.length === 0) {
    throw new NpuError("INVALID_PARAM", "backend.capabilities.devices must list at least one device");
  }
  for (let i = 0; i < caps.devices.length; i++) {
    const d = caps.devices[i];
    if (typeof d !== "object" || d === null)
      throw new NpuTypeError(`capabilities.devices[${i}] must be an object, got ${describe(d)}`);
    if (d.index !== i) throw new NpuError("INVALID_PARAM", `capabilities.devices[${i}].index must be ${i}`);
    check.integer(d.computeUnits, `devices[${i}].computeUnits`, 1);
    check.integer(d.memoryBytes, `devices[${i}].memoryBytes`, 0);
  }
  const p = caps.priorities;
  if (typeof p !== "object" || p === null)
    throw new NpuTypeError("capabilities.priorities must be an object");
  check.integer(p.greatest, "priorities.greatest");
  check.integer(p.least, "priorities.least", p.greatest);
  // Read on every enqueue: a malformed list would surface later as a bare TypeError.
  checkList(caps.ops, "capabilities.ops", DEVICE_OP_KINDS);
  checkList(caps.copyDirections, "capabilities.copyDirections", ["h2d", "d2h", "d2d"]);
  if (caps.kernels !== undefined) {
    if (!Array.isArray(caps.kernels))
      throw new NpuTypeError("capabilities.kernels must be an array or undefined");
    for (let i = 0; i < caps.kernels.length; i++) check.string(caps.kernels[i], `capabilities.kernels[${i}]`);
  }
}

function checkList(list: unknown, what: string, allowed: readonly string[]): void {
  if (!Array.isArray(list)) throw new NpuTypeError(`${what} must be an array, got ${describe(list)}`);
  for (let i = 0; i < list.length; i++) check.oneOf(list[i], allowed, `${what}[${i}]`);
}
