import type { DrainWaiter } from "./records.js";

/** Withdrawn entries tolerated before the queue is compacted (and at least as many as live ones). */
const COMPACT_AT = 32;

const WAITING = 1;
const WITHDRAWN = 2;
const TAKEN = 3;

/**
 * The drain waiters of one stream, oldest first. Their targets never decrease (a waiter's target
 * is the stream's op count when it registered), so the ones a stream has reached are always at
 * the head. A waiter that times out is withdrawn in O(1): it is only marked, skipped when it
 * reaches the head, and the list is compacted once withdrawn entries outnumber live ones, so
 * timing out 1e5 synchronizes costs O(1e5), not the O(n²) of removing each from an array. A
 * waiter's place is kept on the waiter itself ({@link DrainWaiter.phase}) rather than in sets
 * beside the list: a launch+synchronize round trip then costs no hashing.
 */
export class DrainWaiterQueue {
  #items: (DrainWaiter | undefined)[] = [];
  #head = 0;
  /** Waiters registered and neither taken nor withdrawn. */
  #live = 0;
  /** Withdrawn waiters still in `#items`. */
  #withdrawn = 0;

  /** Waiters registered and neither taken nor withdrawn. */
  get size(): number {
    return this.#live;
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
    waiter.phase = WAITING;
    waiter.owner = this;
    this.#items.push(waiter);
    this.#live++;
  }

  /** Withdraws `waiter` (a timeout); returns whether it was still waiting here. */
  withdraw(waiter: DrainWaiter): boolean {
    if (waiter.owner !== this || waiter.phase !== WAITING) return false;
    waiter.phase = WITHDRAWN;
    this.#live--;
    if (this.#items[this.#head] === waiter) {
      // The common case: the oldest waiter times out first.
      this.#items[this.#head++] = undefined;
      this.#skipWithdrawn();
      this.#trim();
    } else {
      this.#withdrawn++;
      if (this.#withdrawn >= COMPACT_AT && this.#withdrawn > this.#live) this.#compact();
    }
    return true;
  }

  /** Removes and returns the waiters whose target is at most `reached`, oldest first. */
  takeReached(reached: number): DrainWaiter[] {
    const out: DrainWaiter[] = [];
    const items = this.#items;
    while (this.#head < items.length) {
      const w = items[this.#head]!;
      if (w.phase === WITHDRAWN) {
        items[this.#head++] = undefined;
        this.#withdrawn--;
        continue;
      }
      if (w.target > reached) break;
      items[this.#head++] = undefined;
      w.phase = TAKEN;
      this.#live--;
      out.push(w);
    }
    this.#trim();
    return out;
  }

  /** Removes and returns every waiting waiter, oldest first. */
  takeAll(): DrainWaiter[] {
    const out: DrainWaiter[] = [];
    for (let i = this.#head; i < this.#items.length; i++) {
      const w = this.#items[i]!;
      if (w.phase !== WAITING) continue;
      w.phase = TAKEN;
      out.push(w);
    }
    this.#items = [];
    this.#head = 0;
    this.#live = 0;
    this.#withdrawn = 0;
    return out;
  }

  #skipWithdrawn(): void {
    const items = this.#items;
    while (this.#head < items.length && items[this.#head]!.phase === WITHDRAWN) {
      items[this.#head++] = undefined;
      this.#withdrawn--;
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
      if (w.phase === WAITING) kept.push(w);
    }
    this.#items = kept;
    this.#head = 0;
    this.#withdrawn = 0;
  }
}
