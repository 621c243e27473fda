import { NpuError, NpuTypeError } from "../errors/npu-error.js";
import { describe } from "../errors/safe-text.js";

/** The largest initial capacity (2^30 slots): beyond it the array would not be allocatable. */
const MAX_CAPACITY = 2 ** 30;

/**
 * A first-in first-out queue on a growable ring buffer: O(1) push and shift, where
 * `Array.prototype.shift` is O(n) once an array is large. Stream op queues, ready queues and
 * the simulator's per-queue work lists use it.
 *
 * @example
 * ```ts
 * const q = new RingQueue<number>();
 * q.push(1); q.push(2);
 * q.shift(); // 1
 * ```
 */
export class RingQueue<T> {
  #buffer: (T | undefined)[];
  #head = 0;
  #size = 0;
  #mask: number;

  /** @param initialCapacity - rounded up to a power of two (at least 4). */
  constructor(initialCapacity = 4) {
    if (typeof initialCapacity !== "number")
      throw new NpuTypeError(`RingQueue initialCapacity must be a number, got ${describe(initialCapacity)}`);
    if (!Number.isSafeInteger(initialCapacity) || initialCapacity < 0 || initialCapacity > MAX_CAPACITY) {
      throw new NpuError(
        "INVALID_PARAM",
        `RingQueue initialCapacity must be an integer in [0, ${MAX_CAPACITY}], got ${describe(initialCapacity)}`,
      );
    }
    let capacity = 4;
    while (capacity < initialCapacity) capacity *= 2;
    this.#buffer = new Array(capacity);
    this.#mask = capacity - 1;
  }

  /** Number of items queued. */
  get size(): number {
    return this.#size;
  }

  /** Appends `item` at the tail. */
  push(item: T): void {
    if (this.#size > this.#mask) this.#grow();
    this.#buffer[(this.#head + this.#size) & this.#mask] = item;
    this.#size++;
  }

  /** Removes and returns the head, or `undefined` when empty. */
  shift(): T | undefined {
    if (this.#size === 0) return undefined;
    const item = this.#buffer[this.#head];
    this.#buffer[this.#head] = undefined;
    this.#head = (this.#head + 1) & this.#mask;
    this.#size--;
    return item;
  }

  /** The head without removing it, or `undefined` when empty. */
  peek(): T | undefined {
    return this.#size === 0 ? undefined : this.#buffer[this.#head];
  }

  /** The item at position `index` from the head (0 = head), or `undefined` when out of range. */
  at(index: number): T | undefined {
    // Also refuses fractions, NaN and non-numbers, which would index outside the ring.
    if (!Number.isInteger(index) || index < 0 || index >= this.#size) return undefined;
    return this.#buffer[(this.#head + index) & this.#mask];
  }

  /** Removes every item and returns them in order. */
  drain(): T[] {
    const out: T[] = [];
    while (this.#size > 0) out.push(this.shift() as T);
    return out;
  }

  /** Iterates from head to tail without removing. */
  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.#size; i++) yield this.#buffer[(this.#head + i) & this.#mask] as T;
  }

  #grow(): void {
    const old = this.#buffer;
    const capacity = old.length * 2;
    const next: (T | undefined)[] = new Array(capacity);
    for (let i = 0; i < this.#size; i++) next[i] = old[(this.#head + i) & this.#mask];
    this.#buffer = next;
    this.#head = 0;
    this.#mask = capacity - 1;
  }
}
