import { RingQueue } from "@npurt/core/internal";
import type { SimQueue } from "./sim-queue.js";

/**
 * The queues whose head op waits for one resource, in dispatch order. For the AI cores: more
 * urgent priority first, then the queue whose head became ready first. For copy engines the
 * priority is ignored, first come first served: stream priority steers compute only, "no
 * effect on H2D/D2H copies" (runtime-semantics §1.6; CUDA `cudaStreamCreateWithPriority`;
 * CANN's scheduler text in the stream dev guide speaks of compute tasks).
 *
 * Priorities are at most 32 levels, so one FIFO per level with a bit mask of the non-empty ones
 * gives O(1) push and pop (a binary heap on (priority, sequence) gives the same order at
 * O(log n) and measured ~2× slower here).
 */
export class ReadyQueues {
  readonly #levels: RingQueue<SimQueue>[];
  readonly #byPriority: boolean;
  #nonEmpty = 0;
  #size = 0;

  /** @param byPriority - false: one FIFO, whatever the queues' priorities (copy engines). */
  constructor(levels: number, byPriority: boolean) {
    this.#byPriority = byPriority;
    this.#levels = Array.from({ length: byPriority ? levels : 1 }, () => new RingQueue<SimQueue>(16));
  }

  get size(): number {
    return this.#size;
  }

  push(q: SimQueue): void {
    const level = this.#byPriority ? q.priority : 0;
    this.#levels[level]!.push(q);
    this.#nonEmpty |= 1 << level;
    this.#size++;
  }

  /** The next queue to serve, or `undefined`. */
  peek(): SimQueue | undefined {
    if (this.#size === 0) return undefined;
    return this.#levels[31 - Math.clz32(this.#nonEmpty & -this.#nonEmpty)]!.peek();
  }

  pop(): void {
    const level = 31 - Math.clz32(this.#nonEmpty & -this.#nonEmpty);
    const fifo = this.#levels[level]!;
    fifo.shift();
    if (fifo.size === 0) this.#nonEmpty &= ~(1 << level);
    this.#size--;
  }

  /**
   * Takes `q` out wherever it stands (its queue was aborted while waiting). O(n) in its level,
   * which only aborts pay: a stale entry left behind instead could be mistaken for the queue's
   * next op when that op waits for another resource.
   */
  remove(q: SimQueue): void {
    const level = this.#byPriority ? q.priority : 0;
    const fifo = this.#levels[level]!;
    const n = fifo.size;
    let found = false;
    for (let i = 0; i < n; i++) {
      const item = fifo.shift()!;
      if (item === q && !found) found = true;
      else fifo.push(item);
    }
    if (!found) return;
    this.#size--;
    if (fifo.size === 0) this.#nonEmpty &= ~(1 << level);
  }
}
