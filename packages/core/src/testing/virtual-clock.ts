import { type Clock, checkTimer, type TimerId } from "../clock.js";
import { NpuError, NpuTypeError } from "../errors/npu-error.js";
import { describe } from "../errors/safe-text.js";
import { check } from "../errors/validate.js";
import { PriorityHeap } from "../structures/priority-heap.js";

interface Timer {
  readonly id: number;
  readonly at: number;
  readonly callback: () => void;
}

/**
 * A {@link Clock} in virtual nanoseconds that only moves when its owner moves it. Backends that
 * simulate time drive it: {@link VirtualClock.advanceTo} when work completes, and
 * {@link VirtualClock.fireDue} to run timers that are due. Timers due at the same instant fire in
 * the order they were set, so a program's timeline is the same on every run.
 *
 * @example
 * ```ts
 * const clock = new VirtualClock();
 * clock.setTimer(1_000, () => console.log("1 µs"));
 * clock.advanceTo(clock.nextTimerAt());
 * clock.fireDue(); // logs "1 µs"
 * ```
 */
export class VirtualClock implements Clock {
  /** Always `'virtual'`. */
  readonly mode = "virtual" as const;
  #now = 0;
  #nextId = 1;
  readonly #heap = new PriorityHeap<Timer>();
  readonly #live = new Set<number>();
  readonly #onTimerSet: (() => void) | undefined;

  /**
   * @param options.onTimerSet - called after each {@link VirtualClock.setTimer}, so the backend
   * that drives this clock can wake up and fire the timer even while it has no other work.
   */
  constructor(options: { onTimerSet?: () => void } = {}) {
    const onTimerSet = check.read(options, "VirtualClock options", ["onTimerSet"]).onTimerSet;
    if (onTimerSet !== undefined && typeof onTimerSet !== "function")
      throw new NpuTypeError(`VirtualClock onTimerSet must be a function, got ${describe(onTimerSet)}`);
    this.#onTimerSet = onTimerSet as (() => void) | undefined;
  }

  /** The current virtual time in nanoseconds. */
  now(): number {
    return this.#now;
  }

  /**
   * Schedules `callback` at `now() + delayNs` (negative delays count as 0). A timer due past
   * `Number.MAX_SAFE_INTEGER` ns never fires (see {@link Clock.setTimer}); it counts in
   * {@link VirtualClock.pendingTimers} until cleared, but not in {@link VirtualClock.nextTimerAt}.
   */
  setTimer(delayNs: number, callback: () => void): TimerId {
    const delay = checkTimer(delayNs, callback, this.#now);
    const id = this.#nextId++;
    this.#live.add(id);
    if (delay === undefined) return id;
    const at = this.#now + delay;
    this.#heap.push({ id, at, callback }, at);
    this.#onTimerSet?.();
    return id;
  }

  /** Cancels a pending timer. */
  clearTimer(id: TimerId): void {
    if (typeof id !== "number") throw new NpuTypeError(`timer id must be a number, got ${describe(id)}`);
    this.#live.delete(id);
  }

  /** Pending timers. */
  get pendingTimers(): number {
    return this.#live.size;
  }

  /** When the earliest pending timer is due, or `Infinity` when none is. */
  nextTimerAt(): number {
    this.#dropCancelled();
    return this.#heap.size === 0 ? Number.POSITIVE_INFINITY : this.#heap.peekPriority();
  }

  /**
   * Moves time forward to `time` (never backward). Does not fire timers. `time` must be a number
   * (`TypeError`) in `[0, Number.MAX_SAFE_INTEGER]` (`INVALID_PARAM`): past 2^53 ns the clock could
   * no longer count single nanoseconds, and durations would vanish.
   */
  advanceTo(time: number): void {
    if (typeof time !== "number")
      throw new NpuTypeError(`advanceTo time must be a number, got ${describe(time)}`);
    if (!(time >= 0 && time <= Number.MAX_SAFE_INTEGER)) {
      throw new NpuError(
        "INVALID_PARAM",
        `advanceTo time must be in [0, ${Number.MAX_SAFE_INTEGER}] ns, got ${time}`,
      );
    }
    if (time > this.#now) this.#now = time;
  }

  /**
   * Runs every timer due at or before `now()`, in due order. A callback that throws does not
   * stop the others; the first error is rethrown after all have run.
   *
   * @returns how many timers fired.
   */
  fireDue(): number {
    let fired = 0;
    let firstError: { error: unknown } | undefined;
    for (;;) {
      this.#dropCancelled();
      const next = this.#heap.peek();
      if (next === undefined || next.at > this.#now) break;
      this.#heap.pop();
      this.#live.delete(next.id);
      fired++;
      try {
        next.callback();
      } catch (error) {
        firstError ??= { error };
      }
    }
    if (firstError !== undefined) throw firstError.error;
    return fired;
  }

  #dropCancelled(): void {
    while (this.#heap.size > 0 && !this.#live.has(this.#heap.peek()!.id)) this.#heap.pop();
  }
}
