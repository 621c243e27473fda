import { check, NpuError, NpuTypeError } from "@npurt/core";
import { AdaptivePriorities } from "../adaptive-priorities.js";

/** A timeout in milliseconds: positive and finite. */
export function timeoutOption(value: unknown): number {
  const n = check.number(value, "timeoutMs");
  if (n <= 0) throw new NpuError("INVALID_PARAM", `timeoutMs must be positive, got ${n}`);
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
