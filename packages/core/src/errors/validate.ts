import { NpuError, NpuTypeError } from "./npu-error.js";
import { describe, quote } from "./safe-text.js";

export { describe };

/**
 * Argument checks shared by every npurt package, so the same misuse gets the same error
 * everywhere: a wrong type is an {@link NpuTypeError}, a value of the right type that is out
 * of range is an {@link NpuError} with code `INVALID_PARAM`.
 */
export const check = {
  /** A finite number (any sign, any fraction). */
  number(value: unknown, what: string): number {
    if (typeof value !== "number") throw new NpuTypeError(`${what} must be a number, got ${describe(value)}`);
    if (!Number.isFinite(value)) throw new NpuError("INVALID_PARAM", `${what} must be finite, got ${value}`);
    return value;
  },

  /** A safe integer within `[min, max]`. */
  integer(
    value: unknown,
    what: string,
    min = Number.MIN_SAFE_INTEGER,
    max = Number.MAX_SAFE_INTEGER,
  ): number {
    const n = check.number(value, what);
    if (!Number.isSafeInteger(n)) throw new NpuError("INVALID_PARAM", `${what} must be an integer, got ${n}`);
    if (n < min || n > max) {
      throw new NpuError("INVALID_PARAM", `${what} must be in [${min}, ${max}], got ${n}`, {
        details: { value: n, min, max },
      });
    }
    return n;
  },

  /** A function. */
  func<F extends Function>(value: unknown, what: string): F {
    if (typeof value !== "function")
      throw new NpuTypeError(`${what} must be a function, got ${describe(value)}`);
    return value as F;
  },

  /** A string. */
  string(value: unknown, what: string): string {
    if (typeof value !== "string") throw new NpuTypeError(`${what} must be a string, got ${describe(value)}`);
    return value;
  },

  /** A plain object (or `undefined`, which becomes `{}`), for options bags. */
  options<T extends object>(value: T | undefined, what: string): Partial<T> {
    if (value === undefined) return {};
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new NpuTypeError(`${what} must be an object, got ${describe(value)}`);
    }
    return value;
  },

  /** One of the listed string values. */
  oneOf<T extends string>(value: unknown, allowed: readonly T[], what: string): T {
    if (typeof value !== "string") throw new NpuTypeError(`${what} must be a string, got ${describe(value)}`);
    if (!(allowed as readonly string[]).includes(value)) {
      throw new NpuError("INVALID_PARAM", `${what} must be one of ${allowed.join(", ")}; got ${quote(value)}`);
    }
    return value as T;
  },
};
