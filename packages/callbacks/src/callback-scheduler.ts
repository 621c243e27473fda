import {
  type Clock,
  type HostExecutor,
  type HostTask,
  type HostTaskOutcome,
  type Instrumentation,
  NpuError,
  NpuTypeError,
  type TimerId,
  wallClock,
} from "@npurt/core";
import { check } from "@npurt/core/internal";
import type { AdaptivePriorities } from "./adaptive-priorities.js";
import { isThenable, Pump } from "./internal/async.js";
import { LevelQueue } from "./internal/level-queue.js";
import {
  adaptiveOption,
  concurrencyOption,
  optionReadError,
  sliceOption,
  timeoutOption,
} from "./internal/options.js";
import { clockOption, instrumentationOption } from "./internal/port-options.js";
import { QueuedTask } from "./internal/queued-task.js";
import { messageOf, quoted } from "./internal/report-text.js";

/** Options of a {@link CallbackScheduler}. */
export interface CallbackSchedulerOptions {
  /** Tasks started per turn before yielding to the event loop. Default 16. */
  readonly batchSize?: number;
  /** Async tasks in flight at most; further tasks wait in the queue. Default 64. */
  readonly concurrency?: number;
  /**
   * Fails a task with `CALLBACK_TIMEOUT` if it has not finished in this many ms: in
   * (0, 9007199254] (2^53 ns), else `INVALID_PARAM`. Default none.
   */
  readonly timeoutMs?: number;
  /**
   * Measures durations, fires timeouts and times slices. Default: the device's clock once the
   * scheduler serves a device's streams (a `StreamManager` hands it over through
   * {@link CallbackScheduler.useClock}), core's `wallClock()` until then. Given here, it is
   * kept. Checked when the scheduler is made (`TypeError` for anything but a `Clock`).
   */
  readonly clock?: Clock;
  /**
   * Adaptive priority by task label (`true`: a private learner, or a shared
   * {@link AdaptivePriorities}). Default on.
   */
  readonly adaptive?: boolean | AdaptivePriorities;
  /**
   * Cancels the scheduler: queued and later-submitted tasks complete with `ABORTED` (running
   * ones finish first).
   */
  readonly signal?: AbortSignal;
  /**
   * Continuous draining after which a turn yields to the event loop, in ms of `clock` (default
   * 10). On a virtual clock the yield points depend only on the program, which keeps a simulated
   * device's timeline identical from run to run.
   */
  readonly sliceMs?: number;
  /** Receives `callback.*` events, and an `error` event per failed or timed-out task, when someone listens. */
  readonly instrumentation?: Instrumentation;
  /**
   * Receives an error thrown by a task's `done` (which the contract forbids). Default: logged
   * with `console.error`. Either way it never reaches the event loop.
   */
  readonly onDoneError?: (error: unknown, task: HostTask) => void;
}

/** Options of {@link CallbackScheduler.run}. */
export interface ScheduleOptions {
  /** Lower runs first. Default 0. */
  readonly priority?: number;
  /** Names the callback in errors and keys adaptive priority. */
  readonly label?: string;
  /** Expected duration in ms, for adaptive priority. */
  readonly expectedDurationMs?: number;
}

/** Counters of a {@link CallbackScheduler}. */
export interface SchedulerStats {
  readonly submitted: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly timedOut: number;
  readonly cancelled: number;
  readonly promoted: number;
  readonly demoted: number;
  /** Drain turns taken (each runs up to `batchSize` tasks). */
  readonly turns: number;
  readonly queued: number;
  readonly running: number;
}

// The outcome of every task that returned nothing: shared, so void callbacks allocate nothing.
const OK_UNDEFINED: HostTaskOutcome = Object.freeze({ ok: true, value: undefined });

/**
 * A prioritised, batched, adaptive executor of host callbacks, implementing core's
 * `HostExecutor`: hand it to a stream manager and stream host callbacks get priorities and
 * batching; use it alone as a host-side task queue.
 *
 * - The ready queue orders by priority, lower numbers first, ties in submission order (one
 *   `RingQueue` per level, so a queue of a million tasks costs O(1) per task).
 * - Up to `batchSize` ready tasks run per turn (one microtask hop per batch rather than one
 *   per task), then it yields; after `sliceMs` of continuous work it yields a macrotask.
 * - A task returning a promise is awaited; at most `concurrency` are in flight.
 * - Adaptive priority: a labelled task that ran more
 *   than 1.5× its expected time is promoted for its next runs, one under 0.5× demoted; the
 *   expectation is the task's `expectedDurationMs` or the learned average for its label.
 * - Every task runs exactly once, never inside `submit`, and its `done` is called exactly once
 *   with its outcome (`CALLBACK_TIMEOUT` and `ABORTED` included). Nothing escapes into the
 *   event loop.
 *
 * @example
 * ```ts
 * const scheduler = new CallbackScheduler({ batchSize: 16, concurrency: 4 });
 * const value = await scheduler.run(() => decode(frame), { priority: 0, label: "decode" });
 * const streams = new StreamManager(device, { executor: scheduler }); // @npurt/streams
 * ```
 */
export class CallbackScheduler implements HostExecutor {
  readonly #heap = new LevelQueue<QueuedTask>();
  // Instrumentation ids, only assigned while someone listens.
  readonly #ids = new WeakMap<QueuedTask, number>();
  readonly #pump: Pump;
  readonly #batchSize: number;
  readonly #concurrency: number;
  readonly #timeoutMs: number | undefined;
  #clock: Clock;
  /** Whether the clock was given as an option (then a device's clock does not replace it). */
  readonly #clockGiven: boolean;
  readonly #adaptive: AdaptivePriorities | undefined;
  readonly #bus: Instrumentation | undefined;
  readonly #onDoneError: (error: unknown, task: HostTask) => void;
  readonly #signal: AbortSignal | undefined;
  #running = 0;
  #nextId = 1;
  #idleWaiters: (() => void)[] = [];
  #submitted = 0;
  #succeeded = 0;
  #failed = 0;
  #timedOut = 0;
  #cancelled = 0;
  #promoted = 0;
  #demoted = 0;
  #turns = 0;

  constructor(options: CallbackSchedulerOptions = {}) {
    let sliceMs: number;
    try {
      const o = check.options(options, "scheduler options");
      this.#batchSize = check.integer(o.batchSize ?? 16, "batchSize", 1);
      this.#concurrency = concurrencyOption(o.concurrency);
      this.#timeoutMs = o.timeoutMs === undefined ? undefined : timeoutOption(o.timeoutMs);
      const clock = clockOption(o.clock);
      this.#clockGiven = clock !== undefined;
      this.#clock = clock ?? wallClock();
      this.#adaptive = adaptiveOption(o.adaptive, true);
      this.#bus = instrumentationOption(o.instrumentation);
      this.#onDoneError =
        o.onDoneError === undefined
          ? (error) => console.error("[npurt] a host task's done() threw", error)
          : check.func(o.onDoneError, "onDoneError");
      const signal = o.signal;
      if (signal !== undefined && !(signal instanceof AbortSignal)) {
        throw new NpuTypeError("signal must be an AbortSignal");
      }
      this.#signal = signal;
      sliceMs = sliceOption(o.sliceMs);
    } catch (error) {
      throw optionReadError(error, "scheduler options");
    }
    this.#pump = new Pump({ turn: () => this.#drain() }, sliceMs, this.#clock);
    this.#signal?.addEventListener("abort", () => this.#pump.wake(), { once: true });
  }

  /** The clock tasks are timed on (see {@link CallbackSchedulerOptions.clock}). */
  get clock(): Clock {
    return this.#clock;
  }

  /**
   * Core's `HostExecutor.useClock`: a `StreamManager` that runs its host callbacks here calls it
   * with its device's clock. A scheduler made without a `clock` option adopts it (timeouts,
   * measured durations and slices then run on the device's time, so a virtual-time program stays
   * deterministic); one given a clock keeps its own, and so does one with tasks running (their
   * timers were armed on the clock they started with).
   *
   * @throws TypeError when `clock` is not a `Clock`.
   */
  useClock(clock: Clock): void {
    const c = clockOption(clock);
    if (c === undefined) throw new NpuTypeError("useClock needs a Clock");
    // Timers of running tasks were armed on the current clock and must be cleared on it.
    if (this.#clockGiven || c === this.#clock || this.#running > 0) return;
    this.#clock = c;
    this.#pump.useClock(c);
  }

  /**
   * Queues `task` (core's `HostExecutor` contract). It runs on a later turn, by priority.
   *
   * @throws NpuTypeError when `task` is not a task (no `run` / `done` functions, a priority
   *   that is not a number).
   */
  submit(hostTask: HostTask): void {
    let task: QueuedTask;
    let base: number;
    try {
      const t = check.options(hostTask, "task");
      const run = check.func<QueuedTask["run"]>(t.run, "task.run");
      const done = check.func<QueuedTask["done"]>(t.done, "task.done");
      const priority = t.priority;
      base = priority === undefined ? 0 : check.number(priority, "task.priority");
      const expected = t.expectedDurationMs;
      if (expected !== undefined) check.number(expected, "task.expectedDurationMs");
      const label = t.label;
      if (label !== undefined) check.string(label, "task.label");
      task = new QueuedTask(hostTask, run, done, label, expected);
    } catch (error) {
      throw optionReadError(error, "task");
    }
    this.#submitted++;
    const priority = this.#adaptive === undefined ? base : this.#adaptive.priorityOf(task.label, base);
    this.#heap.push(task, priority);
    const bus = this.#bus;
    if (bus?.active) {
      const id = this.#nextId++;
      this.#ids.set(task, id);
      bus.emit({ type: "callback.enqueued", time: this.#clock.now(), callback: id, ...labelOf(task) });
    }
    this.#pump.wake();
  }

  /** Runs `fn` as a task and resolves (rejects) with its outcome. */
  run<T>(fn: () => T | PromiseLike<T>, options: ScheduleOptions = {}): Promise<Awaited<T>> {
    check.func(fn, "callback");
    const o = check.options(options, "schedule options");
    return new Promise<Awaited<T>>((resolve, reject) => {
      this.submit({
        run: fn,
        done: (outcome) => (outcome.ok ? resolve(outcome.value as Awaited<T>) : reject(outcome.error)),
        ...(o.priority === undefined ? {} : { priority: o.priority }),
        ...(o.label === undefined ? {} : { label: o.label }),
        ...(o.expectedDurationMs === undefined ? {} : { expectedDurationMs: o.expectedDurationMs }),
      });
    });
  }

  /** Resolves when no task is queued or running. */
  idle(): Promise<void> {
    if (this.#heap.size === 0 && this.#running === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idleWaiters.push(resolve));
  }

  /** Counters since creation. */
  stats(): SchedulerStats {
    return {
      submitted: this.#submitted,
      succeeded: this.#succeeded,
      failed: this.#failed,
      timedOut: this.#timedOut,
      cancelled: this.#cancelled,
      promoted: this.#promoted,
      demoted: this.#demoted,
      turns: this.#turns,
      queued: this.#heap.size,
      running: this.#running,
    };
  }

  #drain(): void {
    this.#turns++;
    const heap = this.#heap;
    if (this.#signal?.aborted === true) {
      while (heap.size > 0) this.#cancel(heap.pop()!);
    } else {
      let budget = this.#batchSize;
      while (budget > 0 && heap.size > 0 && this.#running < this.#concurrency) {
        budget--;
        this.#start(heap.pop()!);
      }
      if (heap.size > 0 && this.#running < this.#concurrency) {
        this.#pump.request();
        return;
      }
    }
    this.#checkIdle();
  }

  #checkIdle(): void {
    if (this.#heap.size !== 0 || this.#running !== 0 || this.#idleWaiters.length === 0) return;
    const waiters = this.#idleWaiters;
    this.#idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  #start(task: QueuedTask): void {
    const clock = this.#clock;
    const key = this.#adaptive === undefined ? undefined : task.label;
    const timeoutMs = this.#timeoutMs;
    const measure = key !== undefined || timeoutMs !== undefined;
    const bus = this.#bus;
    if (bus?.active) {
      bus.emit({ type: "callback.started", time: clock.now(), callback: this.#idOf(task), ...labelOf(task) });
    }
    const t0 = measure ? clock.now() : 0;
    let result: unknown;
    try {
      result = task.run.call(task.task);
    } catch (error) {
      if (key !== undefined) this.#learn(key, clock.now() - t0, task);
      this.#finish(task, { ok: false, error: failure(task, error) });
      return;
    }
    if (isThenable(result)) {
      this.#await(task, result, t0, key);
      return;
    }
    const elapsed = measure ? clock.now() - t0 : 0;
    if (key !== undefined) this.#learn(key, elapsed, task);
    if (timeoutMs !== undefined && elapsed > timeoutMs * 1e6) {
      this.#timedOut++;
      this.#finish(task, { ok: false, error: timeoutError(task, timeoutMs) });
      return;
    }
    this.#finish(task, result === undefined ? OK_UNDEFINED : { ok: true, value: result });
  }

  #await(task: QueuedTask, promise: PromiseLike<unknown>, t0: number, key: string | undefined): void {
    this.#running++;
    let settled = false;
    let timer: TimerId | undefined;
    const timeoutMs = this.#timeoutMs;
    const settle = (outcome: HostTaskOutcome, timedOut: boolean): void => {
      if (settled) return;
      settled = true;
      this.#running--;
      if (timer !== undefined && !timedOut) this.#clock.clearTimer(timer);
      if (timedOut) this.#timedOut++;
      else if (key !== undefined) this.#learn(key, this.#clock.now() - t0, task);
      this.#finish(task, outcome);
      // A slot is free again: keep draining (or report idle).
      if (this.#heap.size > 0) this.#pump.wake();
      else this.#checkIdle();
    };
    if (timeoutMs !== undefined) {
      try {
        timer = this.#clock.setTimer(timeoutMs * 1e6, () =>
          settle({ ok: false, error: timeoutError(task, timeoutMs) }, true),
        );
      } catch (error) {
        // A clock that refuses the timer: the task could then wait forever, so it fails now
        // (its promise is still consumed below, and settling twice does nothing).
        settle({ ok: false, error: failure(task, error) }, false);
      }
    }
    try {
      promise.then(
        (value) => settle({ ok: true, value }, false),
        (error) => settle({ ok: false, error: failure(task, error) }, false),
      );
    } catch (error) {
      settle({ ok: false, error: failure(task, error) }, false);
    }
  }

  #learn(key: string, elapsedNs: number, task: QueuedTask): void {
    const change = this.#adaptive!.record(key, elapsedNs / 1e6, task.expectedDurationMs);
    if (change === "promoted") this.#promoted++;
    else if (change === "demoted") this.#demoted++;
  }

  #cancel(task: QueuedTask): void {
    this.#cancelled++;
    const error = new NpuError("ABORTED", `${describeTask(task)} was cancelled before it ran`, {
      cause: this.#signal?.reason,
      details: { label: task.label },
    });
    this.#finish(task, { ok: false, error });
  }

  #idOf(task: QueuedTask): number {
    let id = this.#ids.get(task);
    if (id === undefined) {
      // Submitted before anyone listened.
      id = this.#nextId++;
      this.#ids.set(task, id);
    }
    return id;
  }

  #finish(task: QueuedTask, outcome: HostTaskOutcome): void {
    if (outcome.ok) this.#succeeded++;
    else if (!NpuError.isInstance(outcome.error, "ABORTED")) this.#failed++;
    const bus = this.#bus;
    if (bus?.active) {
      const status = outcome.ok ? "ok" : NpuError.isInstance(outcome.error, "ABORTED") ? "aborted" : "error";
      const time = this.#clock.now();
      const callback = this.#idOf(task);
      bus.emit({ type: "callback.finished", time, callback, status, ...labelOf(task) });
      if (!outcome.ok && status === "error") {
        const error = outcome.error as NpuError;
        bus.emit({
          type: "error",
          time,
          code: error.code,
          message: error.message,
          source: `callback:${callback}`,
        });
      }
    }
    try {
      task.done.call(task.task, outcome);
    } catch (error) {
      try {
        this.#onDoneError(error, task.task);
      } catch {
        // The reporter itself failed; there is nowhere left to send it without letting it
        // escape into the event loop, which the HostExecutor contract forbids.
      }
    }
  }
}

function labelOf(task: QueuedTask): { label?: string } {
  return task.label === undefined ? {} : { label: task.label };
}

function describeTask(task: QueuedTask): string {
  return task.label === undefined ? "a host task" : `host task ${quoted(task.label)}`;
}

function failure(task: QueuedTask, error: unknown): NpuError {
  return new NpuError("CALLBACK_FAILED", `${describeTask(task)} failed: ${messageOf(error)}`, {
    cause: error,
    details: { label: task.label },
  });
}

function timeoutError(task: QueuedTask, timeoutMs: number): NpuError {
  return new NpuError("CALLBACK_TIMEOUT", `${describeTask(task)} did not finish within ${timeoutMs} ms`, {
    details: { label: task.label, timeoutMs },
  });
}
