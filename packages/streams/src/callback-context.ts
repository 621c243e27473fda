import type { NpuError } from "@npurt/core";
import type { StreamEvent } from "./stream-event.js";
import type { SynchronizeOptions } from "./stream-options.js";

/**
 * What a host callback receives as its argument. Synchronizing APIs are refused inside a
 * callback (`NOT_PERMITTED_IN_CALLBACK`); a callback that really must wait for device work on
 * another stream uses {@link CallbackContext.waitFor}, a wait the runtime knows about: it is
 * checked for a cycle when issued and {@link StreamManager.findDeadlocks} sees it.
 *
 * @example
 * ```ts
 * stream.launchHostCallback(async (ctx) => {
 *   await ctx.waitFor(peerReady, { timeoutMs: 10 });
 *   publish();
 * });
 * ```
 */
export interface CallbackContext {
  /** Id of the stream the callback was launched on. */
  readonly stream: number;
  /** Id of the callback (as in instrumentation events). */
  readonly callback: number;
  /**
   * For a callback launched with `receivesStatus: true`: the device error that came before it
   * (`cudaStreamAddCallback`'s status), `undefined` when none did. Always `undefined` otherwise.
   */
  readonly error: NpuError | undefined;
  /**
   * Resolves when `event`'s latest record (as of this call) has completed, as
   * {@link StreamEvent.synchronize} does. Rejects with `CYCLE_DEPENDENCY` when the wait could
   * never end: the record sits behind this callback, directly or through other streams and the
   * callbacks queued behind this one in a serial executor. Rejects with `EVENT_SYNC_TIMEOUT`
   * after `timeoutMs` of the device clock.
   */
  waitFor(event: StreamEvent, options?: SynchronizeOptions): Promise<void>;
}
