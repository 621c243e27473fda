import type { Stream, StreamManager } from "@npurt/streams";

/**
 * At most `size` streams in use at once, handed out first come first served: a request takes a
 * stream from the manager (which serves it from its pool of idle hardware queues), and gives it
 * back when done, which returns the queue to the pool for the next request.
 */
export class StreamLease {
  readonly #manager: StreamManager;
  readonly #size: number;
  readonly #waiting: (() => void)[] = [];
  #inUse = 0;

  constructor(manager: StreamManager, size: number) {
    this.#manager = manager;
    this.#size = size;
  }

  /** A stream for one request; waits while all `size` are in use. */
  async acquire(): Promise<Stream> {
    if (this.#inUse >= this.#size) await new Promise<void>((resolve) => this.#waiting.push(resolve));
    else this.#inUse++;
    try {
      return this.#manager.create();
    } catch (error) {
      this.#handOn(); // the slot was taken: give it to the next request rather than lose it
      throw error;
    }
  }

  /** Gives the stream back (destroyed: its queue returns to the pool) and wakes the next request. */
  async release(stream: Stream): Promise<void> {
    try {
      await stream.destroy();
    } finally {
      this.#handOn();
    }
  }

  /** Frees one slot: straight to the next waiter (so nobody can overtake it), or back to the count. */
  #handOn(): void {
    const next = this.#waiting.shift();
    if (next !== undefined) next();
    else this.#inUse--;
  }
}
