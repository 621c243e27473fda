import { type Clock, NpuError } from "@npurt/core";
import { check } from "@npurt/core/internal";
import type { SynchronizeOptions } from "../stream-options.js";

/** Called once with the error to report, or `undefined` on success. */
export type Done = (error: NpuError | undefined) => void;

/**
 * One promise for every host-side wait of the runtime (stream, device and event synchronize).
 * `register` is handed the settle function and either settles at once (returning `undefined`)
 * or returns how to withdraw the wait: a function that returns whether it was still pending.
 * The timeout runs on the device's clock, so in virtual time it fires at the same simulated
 * instant on every run. Whatever throws while registering becomes the rejection.
 *
 * `observe`, when given, hears the outcome once, just before the promise settles (`undefined`
 * for success); what it throws becomes the rejection. It lets a caller act on the outcome
 * without a `.then` layer of its own: a launch+synchronize round trip is a few microseconds,
 * and each promise layer adds a microtask to it.
 */
export function timedWait(
  clock: Clock,
  options: SynchronizeOptions | undefined,
  register: (done: Done) => (() => boolean) | undefined,
  timeoutError: (timeoutMs: number) => NpuError,
  observe?: (error: unknown) => void,
): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let timer: number | undefined;
    let settled = false;
    const done = (error: unknown): void => {
      if (settled) return;
      settled = true;
      if (timer !== undefined) clock.clearTimer(timer);
      if (observe !== undefined) {
        try {
          observe(error);
        } catch (thrown) {
          error ??= thrown;
        }
      }
      if (error === undefined) resolve();
      else reject(error);
    };
    let timeoutMs: number | undefined;
    let withdraw: (() => boolean) | undefined;
    try {
      timeoutMs = timeoutOf(options);
      withdraw = register(done);
    } catch (error) {
      done(error);
      return;
    }
    if (settled || withdraw === undefined || timeoutMs === undefined) return;
    const ms = timeoutMs;
    const pending = withdraw;
    try {
      timer = clock.setTimer(ms * 1e6, () => {
        timer = undefined;
        if (!settled && pending()) done(timeoutError(ms));
      });
    } catch (error) {
      // A clock that refuses the timer must not leave the waiter registered, where it would
      // take the stream's next failure for itself.
      pending();
      done(error);
    }
  });
}

/**
 * The timeout in ms, or `undefined` for none. As CANN's `*WithTimeout` calls: −1 waits forever,
 * other negative values are `INVALID_PARAM`. A timeout too long for the clock's nanoseconds
 * (beyond about 1.8e302 ms) is forever too.
 */
function timeoutOf(options: SynchronizeOptions | undefined): number | undefined {
  const opts = check.options(options, "synchronize options");
  if (opts.timeoutMs === undefined || opts.timeoutMs === Number.POSITIVE_INFINITY) return undefined;
  const ms = check.number(opts.timeoutMs, "timeoutMs");
  if (ms === -1) return undefined;
  if (!(ms >= 0)) {
    throw new NpuError("INVALID_PARAM", `timeoutMs must be -1 (forever) or not negative, got ${ms}`, {
      details: { timeoutMs: ms },
    });
  }
  return Number.isFinite(ms * 1e6) ? ms : undefined;
}

/** Removes `item` from `list` when present; returns whether it was. */
export function removeFrom<T>(list: T[] | undefined, item: T): boolean {
  const i = list === undefined ? -1 : list.indexOf(item);
  if (i < 0) return false;
  list!.splice(i, 1);
  return true;
}
