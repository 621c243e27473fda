import type { HostExecutor, HostTask, HostTaskOutcome } from "@npurt/core";
import { check, RingQueue } from "@npurt/core/internal";

/** Options of {@link FifoHostExecutor}. */
export interface FifoHostExecutorOptions {
  /**
   * How many tasks may be in flight at once; default 1. With 1, an async task finishes before
   * the next one starts, like CANN's one callback thread per context and CUDA's possibly
   * serialized host functions: a callback that waits for a later callback never finishes.
   */
  readonly concurrency?: number;
}

/**
 * The plain host executor streams use by default: tasks run in submission order on microtasks,
 * at most `concurrency` at once. Each task runs exactly once and is reported through `done`,
 * whether it returns, throws or rejects; nothing escapes into the event loop.
 *
 * `@npurt/callbacks` offers a prioritised, batched `HostExecutor` to use instead.
 *
 * @example
 * ```ts
 * const executor = new FifoHostExecutor();
 * executor.submit({ run: () => 42, done: (o) => console.log(o) }); // { ok: true, value: 42 }
 * ```
 */
export class FifoHostExecutor implements HostExecutor {
  readonly #queue = new RingQueue<HostTask>();
  readonly #concurrency: number;
  #running = 0;
  #scheduled = false;
  #draining = false;

  constructor(options?: FifoHostExecutorOptions) {
    const opts = check.options(options, "FifoHostExecutor options");
    this.#concurrency =
      opts.concurrency === undefined ? 1 : check.integer(opts.concurrency, "concurrency", 1);
  }

  /** How many tasks may be in flight at once. */
  get concurrency(): number {
    return this.#concurrency;
  }

  /** Tasks waiting to start. */
  get queued(): number {
    return this.#queue.size;
  }

  /** Tasks started and not finished. */
  get running(): number {
    return this.#running;
  }

  /** Queues `task`; it starts on a later microtask, never inside this call. */
  submit(task: HostTask): void {
    this.#queue.push(task);
    this.#schedule();
  }

  #schedule(): void {
    if (this.#scheduled || this.#draining || this.#queue.size === 0 || this.#running >= this.#concurrency)
      return;
    this.#scheduled = true;
    queueMicrotask(() => this.#drain());
  }

  #drain(): void {
    this.#scheduled = false;
    this.#draining = true;
    // Synchronous tasks finish inside run(), so one microtask runs a whole batch of them.
    while (this.#running < this.#concurrency && this.#queue.size > 0) {
      const task = this.#queue.shift()!;
      this.#running++;
      let result: unknown;
      try {
        result = task.run();
      } catch (error) {
        this.#finish(task, { ok: false, error });
        continue;
      }
      if (isThenable(result)) {
        result.then(
          (value) => this.#finish(task, { ok: true, value }),
          (error: unknown) => this.#finish(task, { ok: false, error }),
        );
      } else {
        this.#finish(task, { ok: true, value: result });
      }
    }
    this.#draining = false;
  }

  #finish(task: HostTask, outcome: HostTaskOutcome): void {
    this.#running--;
    try {
      task.done(outcome);
    } catch (error) {
      // `done` must not throw; if it does, say so instead of losing the error or the queue.
      console.error("[npurt] a host task's done() threw", error);
    }
    this.#schedule();
  }
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === "object" && value !== null && typeof (value as { then?: unknown }).then === "function"
  );
}
