import type { DrainWaiter } from "./records.js";

/** Withdrawn entries tolerated before the queue is compacted (and at least as many as live ones). */
const COMPACT_AT = 32;

/**
 * The drain waiters of one stream, oldest first. Their targets never decrease (a waiter's target
 * is the stream's op count when it registered), so the ones a stream has reached are always at
 * the head. A waiter that times out is withdrawn in O(1): it is only flagged, skipped when it
 * reaches the head, and the list is compacted once withdrawn entries outnumber live ones, so
 * timing out 1e5 synchronizes costs O(1e5), not the O(n²) of removing each from an array.
 */
export class DrainWaiterQueue {
  #items: (DrainWaiter | undefined)[] = [];
  #head = 0;
  /** Waiters registered and neither settled nor withdrawn. */
  readonly #live = new Set<DrainWaiter>();
  /** Withdrawn waiters still in `#items`. */
  readonly #withdrawn = new Set<DrainWaiter>();

  /** Waiters registered and neither settled nor withdrawn. */
  get size(): number {
    return this.#live.size;
  }

  /**
   * The target of the oldest waiting waiter, or `Infinity`. The completion path asks this on
   * every op of a stream being synchronized, so it reads one slot and allocates nothing: the
   * head slot never holds a withdrawn waiter (every path that moves the head skips them).
   */
  headTarget(): number {
    return this.#head < this.#items.length ? this.#items[this.#head]!.target : Number.POSITIVE_INFINITY;
  }

  push(waiter: DrainWaiter): void {
    this.#items.push(waiter);
    this.#live.add(waiter);
  }

  /** Withdraws `waiter` (a timeout); returns whether it was still waiting here. */
  withdraw(waiter: DrainWaiter): boolean {
    if (!this.#live.delete(waiter)) return false;
    if (this.#items[this.#head] === waiter) {
      // The common case: the oldest waiter times out first.
      this.#items[this.#head++] = undefined;
      this.#skipWithdrawn();
      this.#trim();
    } else {
      this.#withdrawn.add(waiter);
      if (this.#withdrawn.size >= COMPACT_AT && this.#withdrawn.size > this.#live.size) this.#compact();
    }
    return true;
  }

  /** Removes and returns the waiters whose target is at most `reached`, oldest first. */
  takeReached(reached: number): DrainWaiter[] {
    const out: DrainWaiter[] = [];
    const items = this.#items;
    while (this.#head < items.length) {
      const w = items[this.#head]!;
      if (this.#withdrawn.delete(w)) {
        items[this.#head++] = undefined;
        continue;
      }
      if (w.target > reached) break;
      items[this.#head++] = undefined;
      this.#live.delete(w);
      out.push(w);
    }
    this.#skipWithdrawn();
    this.#trim();
    return out;
  }

  /** Removes and returns every waiting waiter, oldest first. */
  takeAll(): DrainWaiter[] {
    const out: DrainWaiter[] = [];
    for (let i = this.#head; i < this.#items.length; i++) {
      const w = this.#items[i]!;
      if (!this.#withdrawn.has(w)) out.push(w);
    }
    this.#items = [];
    this.#head = 0;
    this.#live.clear();
    this.#withdrawn.clear();
    return out;
  }

  #skipWithdrawn(): void {
    const items = this.#items;
    while (this.#head < items.length && this.#withdrawn.delete(items[this.#head]!)) {
      items[this.#head++] = undefined;
    }
  }

  /** Drops the consumed head once it is most of the array (amortised O(1) per waiter). */
  #trim(): void {
    if (this.#head === this.#items.length) {
      this.#items = [];
      this.#head = 0;
    } else if (this.#head >= COMPACT_AT && this.#head * 2 >= this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
  }

  #compact(): void {
    const kept: (DrainWaiter | undefined)[] = [];
    for (let i = this.#head; i < this.#items.length; i++) {
      const w = this.#items[i]!;
      if (!this.#withdrawn.has(w)) kept.push(w);
    }
    this.#items = kept;
    this.#head = 0;
    this.#withdrawn.clear();
  }
}
