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
    return this.#manager.create();
  }

  /** Gives the stream back (destroyed: its queue returns to the pool) and wakes the next request. */
  async release(stream: Stream): Promise<void> {
    await stream.destroy();
    const next = this.#waiting.shift();
    // The slot passes straight to the next waiter, so nobody can overtake it.
    if (next !== undefined) next();
    else this.#inUse--;
  }
}
