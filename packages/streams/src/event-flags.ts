/**
 * CANN's event flags (`ACL_EVENT_*`), for {@link CreateEventOptions.flags} with
 * `api: 'with-flag'` (`aclrtCreateEventWithFlag`) or `api: 'ex'` (`aclrtCreateEventExWithFlag`)
 * in the `'cann'` event model (runtime-semantics §1.2 Create flags).
 *
 * @example
 * ```ts
 * import { CANN_EVENT_FLAGS } from "@npurt/streams";
 * const flags = CANN_EVENT_FLAGS.SYNC | CANN_EVENT_FLAGS.TIME_LINE;
 * ```
 */
export const CANN_EVENT_FLAGS = {
  /** `ACL_EVENT_SYNC`: the event can synchronize streams (`aclrtStreamWaitEvent`, `aclrtResetEvent`). */
  SYNC: 0x1,
  /** `ACL_EVENT_CAPTURE_STREAM_PROGRESS`: the event tracks a stream's progress (accepted; no further effect here). */
  CAPTURE_STREAM_PROGRESS: 0x2,
  /** `ACL_EVENT_TIME_LINE`: records carry timestamps (for `elapsedTime`). */
  TIME_LINE: 0x8,
  /** `ACL_EVENT_DEVICE_USE_ONLY` (with-flag only, not combinable): used only by device code; the host cannot query or synchronize it. */
  DEVICE_USE_ONLY: 0x10,
  /** `ACL_EVENT_EXTERNAL` (with-flag only, not combinable): usable in waits like `SYNC`; counted against the event limit. */
  EXTERNAL: 0x20,
  /** `ACL_EVENT_IPC` (Ex only, not combinable): accepted; there is no second process, and reset, wait status and timestamps are refused as in CANN. */
  IPC: 0x40,
} as const;

/**
 * CUDA's event flags (`cudaEvent*`), for {@link CreateEventOptions.flags} in the `'cuda'` event
 * model (runtime-semantics §1.2 Create flags).
 */
export const CUDA_EVENT_FLAGS = {
  /** `cudaEventDefault`. */
  DEFAULT: 0x0,
  /**
   * `cudaEventBlockingSync`: the host blocks instead of spinning in `cudaEventSynchronize`. A
   * JavaScript host never spins (every synchronize is a promise), so the flag is kept and
   * reported by {@link StreamEvent.blockingSync} with no further effect.
   */
  BLOCKING_SYNC: 0x1,
  /** `cudaEventDisableTiming`: records carry no timestamp; `elapsedTime` is refused. */
  DISABLE_TIMING: 0x2,
  /** `cudaEventInterprocess`: needs `DISABLE_TIMING`; accepted, there is no second process. */
  INTERPROCESS: 0x4,
} as const;

/**
 * Which CANN creation call made an event (runtime-semantics §1.2):
 * - `'plain'`: `aclrtCreateEvent`. Usable for timing and stream synchronization; its hardware
 *   resource is taken at the first record (counted against the device's event limit then);
 *   waiting on it before any record is `INVALID_PARAM`; reset is refused (CANN: undefined behaviour).
 * - `'with-flag'`: `aclrtCreateEventWithFlag(flags)`. Waits and reset need `SYNC` (or
 *   `EXTERNAL`), which also count the event against the device's event limit at creation;
 *   timestamps need `TIME_LINE`.
 * - `'ex'`: `aclrtCreateEventExWithFlag(flags)`. Not limited by the hardware; before its first
 *   record it stands for no work (waits pass, query says complete); waits need `SYNC`; reset and
 *   the wait-status query are refused.
 *
 * CUDA has one creation call (`cudaEventCreateWithFlags`), reported as `'cuda'`.
 */
export type EventCreationApi = "plain" | "with-flag" | "ex" | "cuda";
