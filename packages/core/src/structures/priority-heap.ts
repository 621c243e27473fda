import { NpuError, NpuTypeError } from "../errors/npu-error.js";
import { describe } from "../errors/safe-text.js";

/** The largest initial capacity (2^30 slots). */
const MAX_CAPACITY = 2 ** 30;

/**
 * A binary min-heap ordered by `(priority, sequence)`: the lowest priority number comes out
 * first, and among equal priorities the item pushed first. That is the order every npurt
 * scheduler needs (CANN and CUDA: lower number = higher priority; ties by age), so the
 * simulator, the stream pool and the callback scheduler share this one heap.
 *
 * Keys live in parallel typed arrays (no per-item wrapper object), which measured ~1.5× faster
 * than a heap of `{prio, seq}` records on Node 20 and allocates nothing per push.
 *
 * @example
 * ```ts
 * const heap = new PriorityHeap<string>();
 * heap.push("low", 7);
 * heap.push("high", 0);
 * heap.pop(); // "high"
 * ```
 */
export class PriorityHeap<T> {
  #items: (T | undefined)[] = [];
  #priorities: Float64Array;
  #sequences: Float64Array;
  #size = 0;
  #nextSequence = 0;

  /** @param initialCapacity - slots reserved up front; the heap grows by doubling. */
  constructor(initialCapacity = 64) {
    if (typeof initialCapacity !== "number")
      throw new NpuTypeError(
        `PriorityHeap initialCapacity must be a number, got ${describe(initialCapacity)}`,
      );
    if (!Number.isSafeInteger(initialCapacity) || initialCapacity < 0 || initialCapacity > MAX_CAPACITY) {
      throw new NpuError(
        "INVALID_PARAM",
        `PriorityHeap initialCapacity must be an integer in [0, ${MAX_CAPACITY}], got ${describe(initialCapacity)}`,
      );
    }
    const capacity = Math.max(4, initialCapacity);
    this.#priorities = new Float64Array(capacity);
    this.#sequences = new Float64Array(capacity);
  }

  /** Number of items in the heap. */
  get size(): number {
    return this.#size;
  }

  /** Adds `item` with the given priority (lower comes out first). */
  push(item: T, priority: number): void {
    // NaN compares false with everything and would silently break the heap's order.
    if (typeof priority !== "number")
      throw new NpuTypeError(`PriorityHeap priority must be a number, got ${describe(priority)}`);
    if (Number.isNaN(priority)) throw new NpuError("INVALID_PARAM", "PriorityHeap priority must not be NaN");
    if (this.#size === this.#priorities.length) this.#grow();
    let i = this.#size++;
    const seq = this.#nextSequence++;
    const items = this.#items;
    const prios = this.#priorities;
    const seqs = this.#sequences;
    // Sift up by moving parents down into the hole, then write once.
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pp = prios[parent]!;
      if (pp < priority || (pp === priority && seqs[parent]! < seq)) break;
      items[i] = items[parent];
      prios[i] = pp;
      seqs[i] = seqs[parent]!;
      i = parent;
    }
    items[i] = item;
    prios[i] = priority;
    seqs[i] = seq;
  }

  /** The item that {@link PriorityHeap.pop} would return, or `undefined` when empty. */
  peek(): T | undefined {
    return this.#size === 0 ? undefined : this.#items[0];
  }

  /** The priority of the first item, or `Infinity` when empty. */
  peekPriority(): number {
    return this.#size === 0 ? Number.POSITIVE_INFINITY : this.#priorities[0]!;
  }

  /** Removes and returns the first item, or `undefined` when empty. */
  pop(): T | undefined {
    if (this.#size === 0) return undefined;
    const items = this.#items;
    const top = items[0];
    const last = --this.#size;
    if (last === 0) {
      items[0] = undefined;
      return top;
    }
    const prios = this.#priorities;
    const seqs = this.#sequences;
    const item = items[last];
    const priority = prios[last]!;
    const seq = seqs[last]!;
    items[last] = undefined;
    let i = 0;
    const half = last >> 1;
    while (i < half) {
      let child = 2 * i + 1;
      const right = child + 1;
      if (
        right < last &&
        (prios[right]! < prios[child]! || (prios[right] === prios[child] && seqs[right]! < seqs[child]!))
      ) {
        child = right;
      }
      const cp = prios[child]!;
      if (priority < cp || (priority === cp && seq < seqs[child]!)) break;
      items[i] = items[child];
      prios[i] = cp;
      seqs[i] = seqs[child]!;
      i = child;
    }
    items[i] = item;
    prios[i] = priority;
    seqs[i] = seq;
    return top;
  }

  /** Removes every item. */
  clear(): void {
    this.#items = [];
    this.#size = 0;
  }

  /** The items in heap order (not sorted); for diagnostics. */
  toArray(): T[] {
    return this.#items.slice(0, this.#size) as T[];
  }

  #grow(): void {
    const capacity = this.#priorities.length * 2;
    const prios = new Float64Array(capacity);
    prios.set(this.#priorities);
    const seqs = new Float64Array(capacity);
    seqs.set(this.#sequences);
    this.#priorities = prios;
    this.#sequences = seqs;
  }
}
