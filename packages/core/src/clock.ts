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
   */
  setTimer(delayNs: number, callback: () => void): TimerId;
  /** Cancels a timer; unknown or fired ids are ignored. */
  clearTimer(id: TimerId): void;
}

/** The longest delay `setTimeout` accepts, in ms. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

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
      const id = nextId++;
      const due = performance.now() + Math.max(0, delayNs / 1e6);
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
      const handle = timers.get(id);
      if (handle !== undefined) {
        clearTimeout(handle);
        timers.delete(id);
      }
    },
  };
}

/**
 * Runs `callback` on a fresh macrotask, after every pending microtask (promise reaction) has run.
 * Virtual-time backends use it to yield to the host: by then every `await` that a completion woke
 * has resumed and submitted whatever it was going to submit.
 */
export const scheduleMacrotask: (callback: () => void) => void =
  typeof globalThis.setImmediate === "function"
    ? (callback) => {
        globalThis.setImmediate(callback);
      }
    : (callback) => {
        setTimeout(callback, 0);
      };
