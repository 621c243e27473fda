import { NpuError } from "@npurt/core";
import { check } from "@npurt/core/internal";

/** Options of {@link AdaptivePriorities}. */
export interface AdaptivePrioritiesOptions {
  /** A run longer than this multiple of the expected time promotes the key. Default 1.5. */
  readonly promoteAbove?: number;
  /** A run shorter than this multiple of the expected time demotes the key. Default 0.5. */
  readonly demoteBelow?: number;
  /** Weight of the newest sample in the learned moving average, in (0, 1]. Default 0.2. */
  readonly smoothing?: number;
  /** How many levels a key may move away from its base priority, either way. Default 2. */
  readonly maxShift?: number;
}

/** What {@link AdaptivePriorities.record} did with one observation. */
export type PriorityChange = "promoted" | "demoted" | "unchanged";

/** What {@link AdaptivePriorities} has learned about one key. */
export interface AdaptiveStats {
  /** The learned moving average of durations, in milliseconds. */
  readonly expectedMs: number;
  /** How many durations were recorded. */
  readonly samples: number;
  /** Added to the base priority: negative = promoted (more urgent), positive = demoted. */
  readonly shift: number;
}

interface MutableStats {
  expectedMs: number;
  samples: number;
  shift: number;
}

/**
 * The adaptive priority rule, kept per key (a callback's label): a
 * callback that ran longer than 1.5× its expected time is promoted one priority level (its
 * next runs are more urgent), one that ran in under 0.5× is demoted one level. The expected
 * time is the one the callback declares, or else the moving average learned from earlier runs
 * of the same key. Shared between graphs and schedulers, so learning carries across runs.
 *
 * Lower priority numbers are more urgent, so promotion subtracts from the base priority.
 *
 * @example
 * ```ts
 * const adaptive = new AdaptivePriorities();
 * adaptive.record("decode", 10, 4); // "promoted": 10 ms > 1.5 × 4 ms
 * adaptive.priorityOf("decode", 5); // 4
 * ```
 */
export class AdaptivePriorities {
  readonly #stats = new Map<string, MutableStats>();
  readonly #promoteAbove: number;
  readonly #demoteBelow: number;
  readonly #smoothing: number;
  readonly #maxShift: number;

  constructor(options: AdaptivePrioritiesOptions = {}) {
    const o = check.options(options, "adaptive priority options");
    this.#promoteAbove = positive(o.promoteAbove ?? 1.5, "promoteAbove");
    this.#demoteBelow = positive(o.demoteBelow ?? 0.5, "demoteBelow");
    if (this.#demoteBelow >= this.#promoteAbove) {
      throw new NpuError("INVALID_PARAM", "demoteBelow must be below promoteAbove");
    }
    this.#smoothing = positive(o.smoothing ?? 0.2, "smoothing");
    if (this.#smoothing > 1) throw new NpuError("INVALID_PARAM", "smoothing must be in (0, 1]");
    this.#maxShift = check.integer(o.maxShift ?? 2, "maxShift", 0);
  }

  /** The priority a callback with `key` and base priority `base` runs at now. */
  priorityOf(key: string | undefined, base: number): number {
    if (key === undefined) return base;
    const s = this.#stats.get(key);
    return s === undefined ? base : base + s.shift;
  }

  /**
   * Records that a callback with `key` ran for `durationMs`, compares it with `expectedMs` (or
   * the learned average when not given) and moves the key's priority; then updates the average.
   */
  record(key: string, durationMs: number, expectedMs?: number): PriorityChange {
    let s = this.#stats.get(key);
    if (s === undefined) {
      s = { expectedMs: 0, samples: 0, shift: 0 };
      this.#stats.set(key, s);
    }
    const expected = expectedMs ?? (s.samples > 0 ? s.expectedMs : undefined);
    let change: PriorityChange = "unchanged";
    if (expected !== undefined && expected > 0) {
      if (durationMs > expected * this.#promoteAbove && s.shift > -this.#maxShift) {
        s.shift--;
        change = "promoted";
      } else if (durationMs < expected * this.#demoteBelow && s.shift < this.#maxShift) {
        s.shift++;
        change = "demoted";
      }
    }
    s.expectedMs =
      s.samples === 0 ? durationMs : s.expectedMs + this.#smoothing * (durationMs - s.expectedMs);
    s.samples++;
    return change;
  }

  /** What was learned about `key`, or `undefined` when nothing was recorded for it. */
  stats(key: string): AdaptiveStats | undefined {
    const s = this.#stats.get(key);
    return s === undefined ? undefined : { ...s };
  }

  /** Forgets everything learned. */
  reset(): void {
    this.#stats.clear();
  }
}

function positive(value: unknown, what: string): number {
  const n = check.number(value, what);
  if (n <= 0) throw new NpuError("INVALID_PARAM", `${what} must be positive, got ${n}`);
  return n;
}
