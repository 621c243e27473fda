import { type Clock, type Instrumentation, NpuTypeError } from "@npurt/core";
import { describe } from "@npurt/core/internal";

// Options that are core ports (a clock, a bus), checked by shape: they may come from another
// installed copy of core, or be a user's own implementation.

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
