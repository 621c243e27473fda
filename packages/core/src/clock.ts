import { NpuError, NpuTypeError } from "./errors/npu-error.js";
import { describe } from "./errors/safe-text.js";

/** How a backend's clock relates to real time. */
export type TimeModel = "virtual" | "wall";

/** An opaque timer id returned by {@link Clock.setTimer}. */
export type TimerId = number;

/**
 * The clock a backend runs on, in integer nanoseconds. The runtime measures timeouts on it, so
 * that in virtual time a timeout fires at the same simulated instant on every run.
 */
export interface Clock {
  /** Whether time is simulated (`'virtual'`) or real (`'wall'`). */
  readonly mode: TimeModel;
  /** The host's current time in nanoseconds since the clock's origin. */
  now(): number;
  /**
   * Calls `callback` once after `delayNs` nanoseconds of this clock's time. In virtual time the
   * backend fires it when its simulation reaches that instant (and the host runs at that time).
   * A negative delay counts as 0. A delay that puts the due time past
   * `Number.MAX_SAFE_INTEGER` ns (about 104 days), `Infinity` included, never fires: no clock
   * reaches it, so a timeout that large means "no timeout" rather than an error. `NaN` is
   * `INVALID_PARAM`; a `callback` that is not a function is a `TypeError`.
   */
  setTimer(delayNs: number, callback: () => void): TimerId;
  /** Cancels a timer; unknown or fired ids are ignored. */
  clearTimer(id: TimerId): void;
}

/** The longest delay `setTimeout` accepts, in ms. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * Checks a {@link Clock.setTimer} call's arguments (shared by every clock in core, so they refuse
 * the same misuse alike). Returns the delay in whole nanoseconds (negative becomes 0), or
 * `undefined` when the timer can never fire (due past `Number.MAX_SAFE_INTEGER` ns from `now`).
 *
 * @internal
 */
export function checkTimer(delayNs: unknown, callback: unknown, now: number): number | undefined {
  if (typeof callback !== "function")
    throw new NpuTypeError(`timer callback must be a function, got ${describe(callback)}`);
  if (typeof delayNs !== "number")
    throw new NpuTypeError(`timer delay must be a number, got ${describe(delayNs)}`);
  if (Number.isNaN(delayNs)) throw new NpuError("INVALID_PARAM", "timer delay must not be NaN");
  const delay = Math.max(0, Math.ceil(delayNs));
  return now + delay > Number.MAX_SAFE_INTEGER ? undefined : delay;
}

/**
 * A {@link Clock} on real time (`performance.now()`, `setTimeout`), for backends whose work runs
 * on real hardware or real threads.
 */
export function wallClock(): Clock {
  const origin = performance.now();
  const timers = new Map<number, ReturnType<typeof setTimeout>>();
  let nextId = 1;
  return {
    mode: "wall",
    now: () => Math.round((performance.now() - origin) * 1e6),
    setTimer(delayNs, callback) {
      const delay = checkTimer(delayNs, callback, Math.round((performance.now() - origin) * 1e6));
      const id = nextId++;
      // A timer that can never fire holds no setTimeout (and so does not keep a process alive).
      if (delay === undefined) return id;
      const due = performance.now() + delay / 1e6;
      // setTimeout takes at most 2^31-1 ms (about 24.8 days) and fires at once beyond that, so
      // a longer timer waits in steps until its due time.
      const arm = () => {
        const left = Math.max(0, due - performance.now());
        const handle = setTimeout(
          () => {
            if (left > MAX_TIMEOUT_MS) return arm();
            timers.delete(id);
            callback();
          },
          Math.min(left, MAX_TIMEOUT_MS),
        );
        timers.set(id, handle);
      };
      arm();
      return id;
    },
    clearTimer(id) {
      if (typeof id !== "number") throw new NpuTypeError(`timer id must be a number, got ${describe(id)}`);
      const handle = timers.get(id);
      if (handle !== undefined) {
        clearTimeout(handle);
        timers.delete(id);
      }
    },
  };
}

// The clock of the device whose host work is running now, if any (see `runWithDeviceClock`).
let deviceClockNow: Clock | undefined;

/**
 * Runs `fn` with `clock` as the {@link currentDeviceClock}: a runtime calls its host callbacks
 * this way (`@npurt/streams` does, with its device's clock), so host-side code that starts
 * inside one and has no clock option of its own (a callback chain, say) times itself with the
 * device's clock instead of wall time. Covers `fn`'s synchronous part (for an async function,
 * its body up to the first `await`), like any host-callback scope without AsyncLocalStorage.
 *
 * @example
 * ```ts
 * runWithDeviceClock(device.clock, () => currentDeviceClock() === device.clock); // true
 * ```
 */
export function runWithDeviceClock<T>(clock: Clock, fn: () => T): T {
  assertClock(clock);
  if (typeof fn !== "function") throw new NpuTypeError(`fn must be a function, got ${describe(fn)}`);
  const previous = deviceClockNow;
  deviceClockNow = clock;
  try {
    return fn();
  } finally {
    deviceClockNow = previous;
  }
}

/**
 * The clock of the device whose host callback is running (synchronously) now, set by
 * {@link runWithDeviceClock}; `undefined` outside one. Host-side utilities default to it
 * when they are given no clock, so a program beside a virtual-time device stays deterministic.
 */
export function currentDeviceClock(): Clock | undefined {
  return deviceClockNow;
}

function assertClock(clock: unknown): asserts clock is Clock {
  let ok = false;
  try {
    const c = clock as Partial<Clock> | null;
    ok =
      typeof c === "object" &&
      c !== null &&
      (c.mode === "virtual" || c.mode === "wall") &&
      typeof c.now === "function" &&
      typeof c.setTimer === "function" &&
      typeof c.clearTimer === "function";
  } catch (error) {
    throw new NpuTypeError("clock must be a Clock: reading its members threw", { cause: error });
  }
  if (!ok)
    throw new NpuTypeError(`clock must be a Clock (mode, now, setTimer, clearTimer), got ${describe(clock)}`);
}
