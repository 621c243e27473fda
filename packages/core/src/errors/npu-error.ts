import { isNpuErrorCode, type NpuErrorCode } from "./error-codes.js";
import { describe, errorMessage } from "./safe-text.js";

// A registry symbol, so two installed copies of @npurt/core recognise each other's errors.
const BRAND = Symbol.for("@npurt/core/NpuError");

/** Options accepted by the {@link NpuError} constructor. */
export interface NpuErrorOptions {
  /** The underlying error, kept as the standard `cause`. */
  readonly cause?: unknown;
  /** Structured facts about the failure (ids, sizes), for programs rather than people. */
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * The one error class of npurt's runtime conditions. Branch on {@link NpuError.code}, never
 * on the message; check with {@link NpuError.isInstance}, which works across duplicate copies
 * of this package where `instanceof` does not.
 *
 * @example
 * ```ts
 * try { device.allocate(1 << 40); } catch (e) {
 *   if (NpuError.isInstance(e, "MEMORY_ALLOCATION")) console.log(e.details);
 * }
 * ```
 */
export class NpuError extends Error {
  /** The stable code of the condition. */
  readonly code: NpuErrorCode;
  /** Structured facts about the failure. */
  readonly details: Readonly<Record<string, unknown>> | undefined;
  /** @internal */
  readonly [BRAND] = true;

  /**
   * @throws an {@link NpuTypeError} when `code` is not one of {@link ERROR_CODES} or `message` is not a
   * string: a mistyped code would otherwise travel as if it were public API.
   */
  constructor(code: NpuErrorCode, message: string, options: NpuErrorOptions = {}) {
    if (!isNpuErrorCode(code))
      throw new NpuTypeError(`NpuError code must be an npurt error code, got ${describe(code)}`);
    if (typeof message !== "string")
      throw new NpuTypeError(`NpuError message must be a string, got ${describe(message)}`);
    if (typeof options !== "object" || options === null || Array.isArray(options))
      throw new NpuTypeError(`NpuError options must be an object, got ${describe(options)}`);
    let cause: unknown;
    let details: unknown;
    try {
      cause = options.cause;
      details = options.details;
    } catch (error) {
      throw new NpuTypeError(`NpuError options could not be read: ${errorMessage(error)}`);
    }
    if (details !== undefined && (typeof details !== "object" || details === null))
      throw new NpuTypeError(`NpuError details must be an object, got ${describe(details)}`);
    super(message, cause === undefined ? undefined : { cause });
    this.name = "NpuError";
    this.code = code;
    this.details = details as Readonly<Record<string, unknown>> | undefined;
  }

  /**
   * Whether `value` is an npurt error (from any copy of this package), optionally with the
   * given code. {@link NpuTypeError} counts too: it carries the code `INVALID_PARAM`.
   */
  static isInstance(value: unknown, code?: NpuErrorCode): value is NpuError {
    if (typeof value !== "object" || value === null) return false;
    try {
      if ((value as Record<symbol, unknown>)[BRAND] !== true) return false;
      return code === undefined || (value as { code?: unknown }).code === code;
    } catch {
      // A Proxy whose traps throw (or a revoked one) is not an npurt error, and asking must not throw.
      return false;
    }
  }
}

/**
 * A `TypeError` for misuse of types (a string where a number belongs, a callback that is not
 * a function). It also carries the code `INVALID_PARAM` and passes
 * {@link NpuError.isInstance}, so one `catch` can handle both kinds.
 */
export class NpuTypeError extends TypeError {
  /** Always `INVALID_PARAM`. */
  readonly code = "INVALID_PARAM" as const;
  /** Structured facts about the failure. */
  readonly details: Readonly<Record<string, unknown>> | undefined;
  /** @internal */
  readonly [BRAND] = true;

  /** @throws a plain `TypeError` when `message` is not a string or `details` not an object. */
  constructor(message: string, details?: Readonly<Record<string, unknown>>) {
    if (typeof message !== "string")
      throw new TypeError(`NpuTypeError message must be a string, got ${describe(message)}`);
    if (details !== undefined && (typeof details !== "object" || details === null || Array.isArray(details)))
      throw new TypeError(`NpuTypeError details must be an object, got ${describe(details)}`);
    super(message);
    this.name = "NpuTypeError";
    this.details = details;
  }
}

/**
 * Wraps any thrown value as an {@link NpuError} with the given code, keeping npurt errors as they
 * are. The message is `message`, else the value's own (see {@link errorMessage}: safe for values
 * whose `String()` throws, such as `Object.create(null)`).
 */
export function toNpuError(value: unknown, code: NpuErrorCode, message?: string): NpuError {
  if (NpuError.isInstance(value)) return value;
  if (message !== undefined && typeof message !== "string")
    throw new NpuTypeError(`toNpuError message must be a string, got ${describe(message)}`);
  return new NpuError(code, message ?? errorMessage(value), { cause: value });
}
