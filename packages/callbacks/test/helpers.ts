import { VirtualClock } from "@npurt/core/testing";

/** A promise with its resolve/reject exposed, to control async callbacks from a test. */
export function deferred<T = unknown>(): {
  promise: Promise<T>;
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
} {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Lets every queued microtask (and the promise reactions they cause) run. */
export async function flushMicrotasks(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await Promise.resolve();
}

/** A virtual clock plus a helper that moves it by `ms` and fires due timers. */
export function virtualTime(): {
  clock: VirtualClock;
  advanceMs: (ms: number) => void;
  spend: (ms: number) => void;
} {
  const clock = new VirtualClock();
  return {
    clock,
    advanceMs(ms) {
      clock.advanceTo(clock.now() + ms * 1e6);
      clock.fireDue();
    },
    /** Pretends the current callback took `ms` (moves time without firing timers). */
    spend(ms) {
      clock.advanceTo(clock.now() + ms * 1e6);
    },
  };
}
