import { type Clock, check, describe, type Instrumentation, NpuError, NpuTypeError } from "@npurt/core";
import { AdaptivePriorities } from "../adaptive-priorities.js";
import { ResourceManager } from "../resource-manager.js";

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

/**
 * A {@link Clock}, checked when the option is given rather than when the drain loop first
 * reads it (a `clock: {}` used to fail there, out of reach of any error handling, and hang the
 * run). Its members are read once, here, so a throwing getter fails the constructor.
 */
export function clockOption(value: unknown): Clock | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== "object" || value === null) {
    throw new NpuTypeError(`clock must be a Clock, got ${describe(value)}`);
  }
  let mode: unknown;
  let members: unknown[];
  try {
    const c = value as Partial<Clock>;
    mode = c.mode;
    members = [c.now, c.setTimer, c.clearTimer];
  } catch (error) {
    throw new NpuTypeError("clock must be a Clock: reading its members threw", { cause: error });
  }
  if (mode !== "virtual" && mode !== "wall") {
    throw new NpuTypeError(`clock.mode must be "virtual" or "wall", got ${describe(mode)}`);
  }
  if (members.some((m) => typeof m !== "function")) {
    throw new NpuTypeError("clock must have now(), setTimer() and clearTimer() functions");
  }
  return value as Clock;
}

/** A {@link ResourceManager}, or `undefined`. */
export function resourcesOption(value: unknown): ResourceManager | undefined {
  if (value === undefined || value instanceof ResourceManager) return value;
  throw new NpuTypeError(`resources must be a ResourceManager, got ${describe(value)}`);
}

/**
 * An instrumentation bus, or `undefined`. Checked by shape rather than class, so a bus from a
 * second installed copy of core is accepted.
 */
export function instrumentationOption(value: unknown): Instrumentation | undefined {
  if (value === undefined) return undefined;
  let emit: unknown;
  try {
    emit = typeof value === "object" && value !== null ? (value as Instrumentation).emit : undefined;
  } catch (error) {
    throw new NpuTypeError("instrumentation: reading its emit threw", { cause: error });
  }
  if (typeof emit !== "function") {
    throw new NpuTypeError(`instrumentation must be an Instrumentation bus, got ${describe(value)}`);
  }
  return value as Instrumentation;
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
