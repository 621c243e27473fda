import type { Clock } from "./clock.js";

/** How a host task ended, passed to {@link HostTask.done}. */
export type HostTaskOutcome =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: unknown };

/**
 * One unit of host work handed to a {@link HostExecutor}: a stream's host callback, say.
 */
export interface HostTask {
  /** The work. May return a promise, which the executor awaits. */
  run(): unknown;
  /**
   * Called exactly once when `run` has finished (returned, resolved, threw or rejected), or was
   * cancelled. Must not throw; the executor ignores anything it returns.
   */
  done(outcome: HostTaskOutcome): void;
  /** Lower number = more urgent (the CANN and CUDA convention). Default 0. */
  readonly priority?: number;
  /** For diagnostics and profiles. */
  readonly label?: string;
  /** Expected duration in milliseconds, for executors that adapt priorities. */
  readonly expectedDurationMs?: number;
}

/**
 * The port through which the runtime runs host work (stream host callbacks). `@npurt/streams`
 * ships a plain FIFO executor; `@npurt/callbacks`' scheduler is a prioritised, batched one. An
 * executor must run every submitted task exactly once and report it through `done`, never
 * dropping one and never letting an error escape into the event loop.
 */
export interface HostExecutor {
  /** Queues `task` to run. Must not run it synchronously inside `submit`. */
  submit(task: HostTask): void;
  /**
   * Optional. Called by a runtime that hands this executor a device's host work (a
   * `StreamManager` does when it is made) with that device's clock: an executor given no clock
   * of its own should time its tasks (timeouts, durations, slices) with it from then on, so a
   * program on a virtual-time device stays deterministic. An executor with a clock of its own
   * keeps it.
   */
  useClock?(clock: Clock): void;
}
