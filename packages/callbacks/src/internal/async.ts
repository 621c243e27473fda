import { scheduleMacrotask } from "@npurt/core";

/** Whether `value` is a promise or another thenable (what an async callback returns). */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== undefined &&
    value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function"
  );
}

/**
 * Runs a drain function on the next turn, at most once per request cycle. Turns are microtasks
 * (tens of nanoseconds, so a batch of 16 callbacks costs one hop instead of sixteen), but after
 * `sliceMs` of continuous draining the next turn is a macrotask, so timers, I/O and abort
 * listeners driven by the event loop still get to run while a large graph drains.
 */
export class Pump {
  #scheduled = false;
  #sliceStart = 0;
  readonly #drain: () => void;
  readonly #sliceMs: number;
  readonly #micro = (): void => {
    this.#scheduled = false;
    this.#drain();
  };
  readonly #macro = (): void => {
    this.#scheduled = false;
    this.#sliceStart = performance.now();
    this.#drain();
  };

  constructor(drain: () => void, sliceMs: number) {
    this.#drain = drain;
    this.#sliceMs = sliceMs;
    this.#sliceStart = performance.now();
  }

  /** Whether a turn is already scheduled. */
  get scheduled(): boolean {
    return this.#scheduled;
  }

  /** Schedules one call of the drain function, unless one is pending. */
  request(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    const now = performance.now();
    if (now - this.#sliceStart >= this.#sliceMs) {
      scheduleMacrotask(this.#macro);
    } else {
      queueMicrotask(this.#micro);
    }
  }

  /** Starts a new time slice: call when work arrives after the pump went idle. */
  wake(): void {
    if (!this.#scheduled) this.#sliceStart = performance.now();
    this.request();
  }
}
