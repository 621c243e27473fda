import type { Clock, TimerId } from "../clock.js";
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
    this.#onTimerSet = options.onTimerSet;
  }

  /** The current virtual time in nanoseconds. */
  now(): number {
    return this.#now;
  }

  /** Schedules `callback` at `now() + delayNs` (negative delays count as 0). */
  setTimer(delayNs: number, callback: () => void): TimerId {
    check.number(delayNs, "timer delay");
    check.func(callback, "timer callback");
    const id = this.#nextId++;
    const at = this.#now + Math.max(0, Math.ceil(delayNs));
    this.#heap.push({ id, at, callback }, at);
    this.#live.add(id);
    this.#onTimerSet?.();
    return id;
  }

  /** Cancels a pending timer. */
  clearTimer(id: TimerId): void {
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

  /** Moves time forward to `time` (never backward). Does not fire timers. */
  advanceTo(time: number): void {
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
