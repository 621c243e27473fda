import { NpuTypeError } from "@npurt/core";

// The profiler's own argument checks: core's `check` helper is internal to core (issue 12 moves it
// off core's main entry), and these few lines are cheaper than depending on its future subpath.

/** An options bag: `undefined` becomes `{}`; anything but a plain object is a `TypeError`. */
export function optionsOf<T extends object>(value: T | undefined, what: string): Partial<T> {
  if (value === undefined) return {};
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new NpuTypeError(`${what} must be an object`);
  }
  return value;
}

/** A boolean option with a default. */
export function boolOption(value: unknown, fallback: boolean, what: string): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== "boolean") throw new NpuTypeError(`${what} must be a boolean`);
  return value;
}

/** One of a set of strings, with a default. */
export function oneOfOption<T extends string>(
  value: unknown,
  allowed: readonly T[],
  fallback: T,
  what: string,
): T {
  if (value === undefined) return fallback;
  if (typeof value !== "string" || !(allowed as readonly string[]).includes(value)) {
    throw new NpuTypeError(`${what} must be one of ${allowed.map((a) => `'${a}'`).join(", ")}`);
  }
  return value as T;
}

/** A finite number ≥ `min`, with a default. */
export function numberOption(value: unknown, fallback: number, what: string, min = 0): number {
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value))
    throw new NpuTypeError(`${what} must be a finite number`);
  if (value < min) throw new NpuTypeError(`${what} must be ≥ ${min}`);
  return value;
}
