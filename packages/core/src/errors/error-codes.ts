/**
 * One row of the error-code table: what the code means and the status the real runtimes
 * return for the same condition (`null` where a runtime has no counterpart).
 */
export interface ErrorCodeInfo {
  /** What went wrong, in one sentence. */
  readonly description: string;
  /** The CANN (`aclError`) value for the same condition, or `null`. */
  readonly cann: number | null;
  /** The CUDA (`cudaError_t`) value for the same condition, or `null`. */
  readonly cuda: number | null;
}

/**
 * Every error code npurt uses, with its meaning and the matching CANN and CUDA status.
 * Codes are public API: they do not change between minor versions (messages may).
 * Values are the ones CANN's `aclError` reference and CUDA's runtime API document for the same
 * condition.
 */
export const ERROR_CODES = {
  INVALID_PARAM: { description: "An argument is out of range or malformed.", cann: 107000, cuda: 1 },
  INVALID_HANDLE: {
    description: "A handle was destroyed, belongs to another device, or was never issued.",
    cann: 107017,
    cuda: 400,
  },
  MEMORY_ALLOCATION: { description: "The device is out of memory.", cann: 207001, cuda: 2 },
  MEMORY_FREE: {
    description: "Memory could not be released (unknown or already released).",
    cann: 207002,
    cuda: 1,
  },
  NO_STREAM_RESOURCE: {
    description: "The device's stream (hardware queue) limit is reached.",
    cann: 207008,
    cuda: null,
  },
  NO_EVENT_RESOURCE: { description: "The device's event limit is reached.", cann: 207007, cuda: null },
  NOT_READY: { description: "The work is not complete yet.", cann: 507004, cuda: 600 },
  STREAM_SYNC_TIMEOUT: { description: "A stream or device synchronize timed out.", cann: 507046, cuda: null },
  EVENT_SYNC_TIMEOUT: { description: "An event synchronize timed out.", cann: 507047, cuda: null },
  EVENT_NOT_RECORDED: { description: "The event has never been recorded.", cann: 507000, cuda: 400 },
  EVENT_NOT_COMPLETE: {
    description: "The event's recorded work has not completed.",
    cann: 507006,
    cuda: 600,
  },
  EVENT_TIMESTAMP_INVALID: {
    description: "The event carries no timestamp (timing disabled or not yet executed).",
    cann: 107006,
    cuda: 400,
  },
  STREAM_ABORT: {
    description: "The stream was aborted; its queued work was discarded.",
    cann: 107023,
    cuda: null,
  },
  STOPPED_ON_FAILURE: {
    description: "A stop-on-failure stream failed; the device refuses and skips work until reset.",
    cann: 507011,
    cuda: 719,
  },
  KERNEL_FAILED: { description: "A kernel failed on the device.", cann: 507015, cuda: 719 },
  TASK_TIMEOUT: { description: "A device task exceeded its execution timeout.", cann: 107020, cuda: 702 },
  DEVICE_LOST: { description: "The device was lost; no further work runs on it.", cann: 507899, cuda: 46 },
  DEVICE_CLOSED: { description: "The device (or manager) was closed.", cann: null, cuda: 4 },
  NOT_PERMITTED_IN_CALLBACK: {
    description: "A host callback called a runtime API that may block or launch work.",
    cann: null,
    cuda: 800,
  },
  CALLBACK_FAILED: { description: "A host callback threw or rejected.", cann: null, cuda: null },
  CALLBACK_TIMEOUT: {
    description: "A host callback did not finish within its timeout.",
    cann: 507012,
    cuda: null,
  },
  CYCLE_DEPENDENCY: { description: "Adding the dependency would create a cycle.", cann: null, cuda: null },
  DEADLOCK: { description: "Work is blocked forever.", cann: null, cuda: null },
  ILLEGAL_STATE: {
    description:
      "The object is not in a state that allows the call (e.g. a graph that is running or finished).",
    cann: null,
    cuda: 401,
  },
  ABORTED: {
    description: "The operation was cancelled (AbortSignal or an abort policy).",
    cann: null,
    cuda: null,
  },
  FEATURE_NOT_SUPPORTED: {
    description: "The backend does not support this feature.",
    cann: 207000,
    cuda: 801,
  },
  INTERNAL_ERROR: {
    description: "An invariant of npurt or a backend was violated.",
    cann: 507000,
    cuda: 999,
  },
} as const satisfies Record<string, ErrorCodeInfo>;

/** A stable npurt error code. */
export type NpuErrorCode = keyof typeof ERROR_CODES;

/** Whether `value` is one of npurt's error codes. */
export function isNpuErrorCode(value: unknown): value is NpuErrorCode {
  return typeof value === "string" && Object.hasOwn(ERROR_CODES, value);
}
