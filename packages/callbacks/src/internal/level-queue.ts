import { PriorityHeap, RingQueue } from "@npurt/core/internal";

/**
 * A ready queue with the order of core's `PriorityHeap` (lowest priority number first, ties in
 * push order) built from one `RingQueue` per priority level plus a small heap of the levels
 * that hold items. Ready queues use a handful of levels, so push and pop are O(1) ring
 * operations with an O(log levels) heap step only when a level empties or refills, where one
 * big heap costs O(log n) per operation with n in the hundreds of thousands.
 */
export class LevelQueue<T> {
  readonly #levels = new Map<number, RingQueue<T>>();
  readonly #active = new PriorityHeap<RingQueue<T>>(16);
  #size = 0;

  /** Number of queued items. */
  get size(): number {
    return this.#size;
  }

  /** Queues `item` at `priority`. */
  push(item: T, priority: number): void {
    let level = this.#levels.get(priority);
    if (level === undefined) {
      level = new RingQueue<T>(16);
      // Priorities are free-form numbers; forget idle levels rather than keep one per value ever seen.
      if (this.#levels.size >= 256) this.#forgetIdleLevels();
      this.#levels.set(priority, level);
    }
    if (level.size === 0) this.#active.push(level, priority);
    level.push(item);
    this.#size++;
  }

  /** Removes and returns the most urgent item, or `undefined` when empty. */
  pop(): T | undefined {
    const level = this.#active.peek();
    if (level === undefined) return undefined;
    const item = level.shift();
    if (level.size === 0) this.#active.pop();
    this.#size--;
    return item;
  }

  #forgetIdleLevels(): void {
    for (const [priority, level] of this.#levels) if (level.size === 0) this.#levels.delete(priority);
  }
}
