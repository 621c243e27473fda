import { NpuError, NpuTypeError } from "@npurt/core";
import { check, describe } from "@npurt/core/internal";
import { AdaptivePriorities } from "../adaptive-priorities.js";
import { ResourceManager } from "../resource-manager.js";
import { messageOf } from "./report-text.js";

/**
 * The longest timeout, in ms: about 104 days. Timers are armed in integer nanoseconds, and
 * beyond 2^53 ns a delay is no longer exact (near 1.8e302 ms it even overflows to `Infinity`,
 * which a clock refuses from inside the drain loop, where nothing could report it).
 */
export const MAX_TIMEOUT_MS = Math.floor(Number.MAX_SAFE_INTEGER / 1e6);

/** A timeout in milliseconds: positive, finite and at most {@link MAX_TIMEOUT_MS}. */
export function timeoutOption(value: unknown): number {
  const n = check.number(value, "timeoutMs");
  if (n <= 0 || n > MAX_TIMEOUT_MS) {
    throw new NpuError("INVALID_PARAM", `timeoutMs must be in (0, ${MAX_TIMEOUT_MS}], got ${n}`, {
      details: { value: n, max: MAX_TIMEOUT_MS },
    });
  }
  return n;
}

/** A concurrency bound: a positive integer or `Infinity`. Default 64. */
export function concurrencyOption(value: unknown): number {
  if (value === undefined) return 64;
  if (value === Number.POSITIVE_INFINITY) return value;
  return check.integer(value, "concurrency", 1);
}

/** `true` (a private learner), `false`, or a shared {@link AdaptivePriorities}. */
export function adaptiveOption(value: unknown, byDefault: boolean): AdaptivePriorities | undefined {
  if (value === undefined) return byDefault ? new AdaptivePriorities() : undefined;
  if (value === false) return undefined;
  if (value === true) return new AdaptivePriorities();
  if (!(value instanceof AdaptivePriorities)) {
    throw new NpuTypeError("adaptive must be a boolean or an AdaptivePriorities instance");
  }
  return value;
}

/** A time slice in milliseconds: finite and not negative. Default 10. */
export function sliceOption(value: unknown): number {
  if (value === undefined) return 10;
  const n = check.number(value, "sliceMs");
  if (n < 0) throw new NpuError("INVALID_PARAM", `sliceMs must not be negative, got ${n}`);
  return n;
}

/** A {@link ResourceManager}, or `undefined`. */
export function resourcesOption(value: unknown): ResourceManager | undefined {
  if (value === undefined || value instanceof ResourceManager) return value;
  throw new NpuTypeError(`resources must be a ResourceManager, got ${describe(value)}`);
}

/**
 * The error to throw for one met while reading a user's options bag: npurt's own checks as
 * they are, anything else (a throwing getter, a revoked Proxy) as a `TypeError` naming the bag,
 * so every bad input gets a `TypeError` or a coded `NpuError`.
 */
export function optionReadError(error: unknown, what: string): Error {
  let ours = false;
  try {
    ours = NpuError.isInstance(error);
  } catch {
    // A Proxy thrown as an error whose traps throw: not ours.
  }
  if (ours) return error as Error;
  return new NpuTypeError(`${what}: reading an option threw (${messageOf(error)})`, { cause: error });
}
