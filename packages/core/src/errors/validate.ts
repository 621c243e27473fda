import { NpuError, NpuTypeError } from "./npu-error.js";
import { describe, errorMessage, quote } from "./safe-text.js";

export { describe };

/**
 * The caller's name for the checked value, as text that cannot throw: a label is meant to be a
 * string, and one that is not (a hostile Proxy, say) must not turn a coded error into an
 * uncoded one while the message is built.
 */
function label(what: unknown): string {
  return typeof what === "string" ? what : describe(what);
}

/**
 * Argument checks shared by every npurt package, so the same misuse gets the same error
 * everywhere: a wrong type is an {@link NpuTypeError}, a value of the right type that is out
 * of range is an {@link NpuError} with code `INVALID_PARAM`.
 */
export const check = {
  /** A finite number (any sign, any fraction). */
  number(value: unknown, what: string): number {
    what = label(what);
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
    if (typeof min !== "number" || typeof max !== "number" || Number.isNaN(min) || Number.isNaN(max))
      throw new NpuTypeError(`${label(what)}: the bounds given to check.integer must be numbers, not NaN`);
    const n = check.number(value, what);
    if (!Number.isSafeInteger(n))
      throw new NpuError("INVALID_PARAM", `${label(what)} must be an integer, got ${n}`);
    if (n < min || n > max) {
      throw new NpuError("INVALID_PARAM", `${label(what)} must be in [${min}, ${max}], got ${n}`, {
        details: { value: n, min, max },
      });
    }
    return n;
  },

  /** A function. */
  func<F extends Function>(value: unknown, what: string): F {
    what = label(what);
    if (typeof value !== "function")
      throw new NpuTypeError(`${label(what)} must be a function, got ${describe(value)}`);
    return value as F;
  },

  /** A string. */
  string(value: unknown, what: string): string {
    what = label(what);
    if (typeof value !== "string") throw new NpuTypeError(`${what} must be a string, got ${describe(value)}`);
    return value;
  },

  /** An object that is not an array or a typed array (or `undefined`, which becomes `{}`), for options bags. */
  options<T extends object>(value: T | undefined, what: string): Partial<T> {
    if (value === undefined) return {};
    if (typeof value !== "object" || value === null || Array.isArray(value) || ArrayBuffer.isView(value)) {
      throw new NpuTypeError(`${label(what)} must be an object, got ${describe(value)}`);
    }
    return value;
  },

  /**
   * Reads the named keys of an options bag once, into a plain object (`undefined` counts as
   * `{}`): a getter cannot answer differently on a second read, and one that throws (or a Proxy
   * trap) becomes an {@link NpuTypeError} naming the bag, instead of escaping uncoded.
   */
  read<K extends string>(value: unknown, what: string, keys: readonly K[]): Partial<Record<K, unknown>> {
    const opts = check.options(value as object | undefined, what) as Record<string, unknown>;
    const out: Partial<Record<K, unknown>> = {};
    try {
      for (const key of keys) out[key] = opts[key];
    } catch (error) {
      throw new NpuTypeError(`${label(what)} could not be read: ${errorMessage(error)}`);
    }
    return out;
  },

  /** One of the listed string values. */
  oneOf<T extends string>(value: unknown, allowed: readonly T[], what: string): T {
    what = label(what);
    // A string here would match substrings (`"cann".includes("an")`).
    if (!Array.isArray(allowed))
      throw new NpuTypeError(`${label(what)}: check.oneOf needs an array of allowed values`);
    if (typeof value !== "string")
      throw new NpuTypeError(`${label(what)} must be a string, got ${describe(value)}`);
    if (!(allowed as readonly string[]).includes(value)) {
      throw new NpuError(
        "INVALID_PARAM",
        `${label(what)} must be one of ${allowed.join(", ")}; got ${quote(value)}`,
      );
    }
    return value as T;
  },
};
