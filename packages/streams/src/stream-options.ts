import type { CANN_EVENT_FLAGS, CUDA_EVENT_FLAGS, EventCreationApi } from "./event-flags.js";
import type { CANN_STREAM_FLAGS, CUDA_STREAM_FLAGS } from "./stream-flags.js";

/**
 * What a stream does when one of its ops fails (CANN's `aclrtSetStreamFailureMode`).
 * `'continue'` (the default): later ops still run and the error is reported by the next
 * synchronize. `'stop'`: the device stops: queued work on every stream of the device is
 * discarded, new work is refused, and synchronize reports the stored error. As in CANN, one
 * stop-on-failure stream makes every stream of its device stop on failure.
 */
export type FailureMode = "continue" | "stop";

/** Options of {@link StreamManager.create}. */
export interface CreateStreamOptions {
  /**
   * The priority in the profile's numbers (see {@link StreamManager.priorityRange}); out of range
   * is clamped or refused per the `priorityOutOfRange` behaviour. Default: the profile's default.
   */
  readonly priority?: number;
  /** Default `'continue'`. */
  readonly failureMode?: FailureMode;
  /** A device index, or `'least-loaded'`: the device with the fewest pending ops (then fewest streams). Default 0. */
  readonly device?: number | "least-loaded";
  /**
   * CUDA's `cudaStreamNonBlocking`: the stream does not synchronize with the legacy default
   * stream (profile behaviour `defaultStream: 'legacy'`). Without a legacy default stream every
   * stream is non-blocking already (CANN: "Runtime中的Stream均为非阻塞式Stream"). Default `false`.
   */
  readonly nonBlocking?: boolean;
  /**
   * The creation flags (runtime-semantics §1.1 Create): {@link CANN_STREAM_FLAGS} bits in the
   * `'cann'` API model (`aclrtCreateStreamWithConfig`; unknown bits are dropped, giving a plain
   * stream), {@link CUDA_STREAM_FLAGS} in the `'cuda'` one (`cudaStreamCreateWithFlags`; other
   * bits are `INVALID_PARAM`). {@link Stream.flags} reports them. Default 0.
   */
  readonly flags?: number;
}

/** Options of {@link Stream.synchronize}, {@link StreamManager.synchronize} and {@link StreamEvent.synchronize}. */
export interface SynchronizeOptions {
  /**
   * Give up after this many milliseconds of the device's clock (virtual time on a simulated
   * device, so the timeout fires at the same simulated instant on every run). Default: wait forever.
   */
  readonly timeoutMs?: number;
}

/** Options of {@link Stream.launchHostCallback}. */
export interface HostCallbackOptions {
  /**
   * Whether later work on the stream waits for the callback to finish (CANN `ACL_CALLBACK_BLOCK`,
   * CUDA `cudaLaunchHostFunc`); default `true`. A non-blocking callback runs when the stream
   * reaches it but does not hold the stream; synchronize still waits for it.
   */
  readonly blocking?: boolean;
  /**
   * CUDA's `cudaStreamAddCallback` rather than `cudaLaunchHostFunc`: the callback runs exactly
   * once, also after a device error — it then gets that error as `ctx.error` (the error that
   * stopped the device, or the stream's failure not yet reported by a synchronize). A plain host
   * function (the default, `false`) is not called after its device stopped. Either kind is
   * discarded by `abort()` and `destroy({ force: true })`.
   */
  readonly receivesStatus?: boolean;
  /** For instrumentation and error messages. */
  readonly label?: string;
}

/** Options of {@link Stream.destroy}. */
export interface DestroyStreamOptions {
  /**
   * Discard pending work instead of letting it finish (CANN `aclrtDestroyStreamForce`): queued
   * ops complete as aborted and host callbacks not started never run. Default `false`.
   */
  readonly force?: boolean;
}

/** Options of {@link Stream.waitEvent}. */
export interface WaitEventOptions {
  /**
   * Wait for the event's next record instead of its latest one: the wait holds the stream until
   * some stream records the event again. Adds an edge to the dependency graph, which is checked
   * for cycles (`CYCLE_DEPENDENCY`) when a record would close one.
   */
  readonly future?: boolean;
  /**
   * Give up the wait after this many ms of the device clock, counted from the call (CANN
   * `aclrtStreamWaitEventWithTimeout`): the stream then goes on, and its next synchronize
   * reports `TASK_TIMEOUT`. Not with `future`. Default: wait as long as it takes.
   */
  readonly timeoutMs?: number;
}

/** Options of {@link StreamManager.createEvent} (runtime-semantics §1.2 Create flags). */
export interface CreateEventOptions {
  /**
   * In the `'cann'` event model, which creation call to copy (see {@link EventCreationApi}):
   * `'plain'` (`aclrtCreateEvent`, the default without `flags`), `'with-flag'`
   * (`aclrtCreateEventWithFlag`, the default with `flags`) or `'ex'`
   * (`aclrtCreateEventExWithFlag`). Not accepted in the `'cuda'` model.
   */
  readonly api?: "plain" | "with-flag" | "ex";
  /**
   * The creation call's flags: {@link CANN_EVENT_FLAGS} bits for `'with-flag'` and `'ex'`
   * (required there, as in CANN), {@link CUDA_EVENT_FLAGS} bits in the `'cuda'` model. Invalid
   * bits or combinations are `INVALID_PARAM`, as the real runtimes refuse them.
   */
  readonly flags?: number;
  /**
   * Whether records carry timestamps for {@link StreamEvent.elapsedTime}. A shorthand: in the
   * `'cuda'` model `false` sets `DISABLE_TIMING`; for CANN's plain events it turns timestamps
   * off; with flags it must agree with them (`TIME_LINE`, `DISABLE_TIMING`). Default: what the
   * creation call gives (CUDA and plain CANN events time, flagged CANN events need `TIME_LINE`).
   */
  readonly timing?: boolean;
  /** Device index of the event's counter; default 0. */
  readonly device?: number;
}
