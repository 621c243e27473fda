import type {
  DeviceCapabilities,
  HostWaitOutcome,
  HostWaitTarget,
  NpuErrorCode,
  OpStatus,
  TimeModel,
} from "@npurt/core";

/**
 * The ops of a {@link Recording} in columns, one row per op (index `0 … length - 1`). Columns
 * are typed arrays, possibly longer than `length`; read only the first `length` entries.
 */
export interface OpColumns {
  /** Rows in use. */
  readonly length: number;
  /** Host time the op was handed to the backend, in ns. */
  readonly enqueueNs: Float64Array;
  /**
   * Host time of the instrumentation event just before the enqueue: the host spent at most
   * `enqueueNs - hostStartNs` in the call (exactly that in a tight submit loop).
   */
  readonly hostStartNs: Float64Array;
  /** Device-clock start in ns (`NaN` while the op has not completed). */
  readonly startNs: Float64Array;
  /** Device-clock end in ns (`NaN` while the op has not completed). */
  readonly endNs: Float64Array;
  /** The op id core assigned. */
  readonly opId: Int32Array;
  /** The backend's queue id. */
  readonly queue: Int32Array;
  /** Index into {@link Recording.names}; -1 for signal and wait ops, named by their counter. */
  readonly name: Int32Array;
  /** Timeline counter of a signal or wait op, else -1. */
  readonly counter: Int32Array;
  /** Counter value a signal sets or a wait waits for, else 0. */
  readonly value: Int32Array;
  /** Device index. */
  readonly device: Uint8Array;
  /** Index into `OP_KIND_NAMES`: kernel, copy, fill, signal, wait, other. */
  readonly kind: Uint8Array;
  /** Index into `OP_STATUS_NAMES`: pending, ok, error, aborted. */
  readonly status: Uint8Array;
}

/** A hardware queue seen by the recorder. */
export interface QueueInfo {
  readonly queue: number;
  readonly device: number;
  readonly priority: number;
  readonly createdNs: number;
  readonly destroyedNs: number | undefined;
  /** The streams that used this queue, in order (a pooled queue serves several in turn). */
  readonly streams: readonly number[];
}

/** A stream seen by the recorder. */
export interface StreamInfo {
  readonly stream: number;
  readonly device: number;
  readonly priority: number;
  readonly createdNs: number;
  readonly destroyedNs: number | undefined;
  /** The hardware queue it ran on, once it submitted work. */
  readonly queue: number | undefined;
}

/** A host callback's life. */
export interface CallbackInfo {
  readonly callback: number;
  readonly stream: number | undefined;
  readonly label: string | undefined;
  readonly enqueuedNs: number;
  readonly startedNs: number | undefined;
  readonly finishedNs: number | undefined;
  readonly status: OpStatus | undefined;
}

/**
 * A synchronize the host awaited (a stream's, a device's or an event's), from the call to when it
 * settled, on the device clock.
 */
export interface HostWaitInfo {
  /** The id pairing its begin and end events. */
  readonly wait: number;
  readonly target: HostWaitTarget;
  /** The stream's or event's id, the device index, or `undefined` for every device. */
  readonly id: number | undefined;
  readonly beginNs: number;
  /** `undefined` while the wait has not settled. */
  readonly endNs: number | undefined;
  /** `undefined` while the wait has not settled. */
  readonly outcome: HostWaitOutcome | undefined;
  /** The error's code when it did not resolve. */
  readonly code: NpuErrorCode | undefined;
}

/** Device memory in use after an allocation or release. */
export interface MemorySample {
  readonly timeNs: number;
  readonly device: number;
  /** Bytes in use on the device after this change. */
  readonly bytes: number;
  /** The change: positive for an allocation, negative for a release. */
  readonly delta: number;
  readonly tag: string | undefined;
}

/** A record or wait on an event object, as the streams layer reported it. */
export interface EventUse {
  readonly type: "recorded" | "waited";
  readonly timeNs: number;
  readonly event: number;
  readonly stream: number | undefined;
  readonly value: number | undefined;
}

/** An `error` instrumentation event. */
export interface ErrorInfo {
  readonly timeNs: number;
  readonly code: string;
  readonly message: string;
  readonly source: string;
}

/** Everything a trace recorder saw: the input of the trace, timeline and summary writers. */
export interface Recording {
  /** `'virtual'` when the target's clock is simulated; `undefined` when not known. */
  readonly timeModel: TimeModel | undefined;
  /** The target's capability manifest, when it had one. */
  readonly capabilities: DeviceCapabilities | undefined;
  readonly ops: OpColumns;
  /** Kernel names and copy directions, indexed by {@link OpColumns.name}. */
  readonly names: readonly string[];
  readonly queues: readonly QueueInfo[];
  readonly streams: readonly StreamInfo[];
  readonly callbacks: readonly CallbackInfo[];
  /** Host synchronizes, in the order they were called. */
  readonly hostWaits: readonly HostWaitInfo[];
  readonly memory: readonly MemorySample[];
  readonly eventUses: readonly EventUse[];
  readonly errors: readonly ErrorInfo[];
}
