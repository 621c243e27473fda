import type { Clock, TimeModel } from "../clock.js";
import type { NpuErrorCode } from "../errors/error-codes.js";
import type { OpStatus } from "../instrumentation/events.js";
import type { CopyDirection, DeviceOp, DeviceOpKind } from "./ops.js";

/** One device of a backend, as its capability manifest describes it. */
export interface DeviceDescriptor {
  /** Index of the device within the backend, from 0. */
  readonly index: number;
  /** A human-readable model name. */
  readonly name: string;
  /** Compute units (AI cores, SMs): the largest `blockDim` a kernel may ask for. */
  readonly computeUnits: number;
  /** Bytes of device memory. */
  readonly memoryBytes: number;
  /** Hardware queues the device can hold at once; `Infinity` when unbounded. */
  readonly maxQueues: number;
  /** Timeline counters the device can hold at once; `Infinity` when unbounded. */
  readonly maxCounters: number;
  /** Copy engines, which run copies alongside compute. 0 when copies share the compute units. */
  readonly copyEngines: number;
}

/**
 * What a backend can do. Tests and users read it; nothing checks a backend's name.
 * The conformance suite runs the areas a manifest claims.
 */
export interface DeviceCapabilities {
  /** The backend's devices (at least one). */
  readonly devices: readonly DeviceDescriptor[];
  /** Whether time is simulated or real. */
  readonly timeModel: TimeModel;
  /**
   * Queue priorities. Lower number = more urgent, as in CANN and CUDA, so
   * `greatest <= least`. When `supported` is true, among ready work the backend dispatches a more
   * urgent queue's first, then the oldest; running work is never preempted.
   */
  readonly priorities: { readonly supported: boolean; readonly greatest: number; readonly least: number };
  /** Op kinds the backend executes. */
  readonly ops: readonly DeviceOpKind[];
  /** Copy directions the backend executes. */
  readonly copyDirections: readonly CopyDirection[];
  /** Whether completions carry meaningful device-clock start and end times. */
  readonly timing: boolean;
  /** Whether work on different queues may overlap in time. */
  readonly concurrentQueues: boolean;
  /** Whether kernels compute their results (false: timing only, outputs untouched). */
  readonly computesKernels: boolean;
  /** Kernel names the backend knows, or `undefined` when it accepts any name. */
  readonly kernels: readonly string[] | undefined;
}

/** How an op failed, on a completion with status `'error'` or `'aborted'`. */
export interface OpFailure {
  readonly code: NpuErrorCode;
  readonly message: string;
}

/** The report of one op's completion. */
export interface OpCompletion {
  readonly queue: number;
  readonly opId: number;
  readonly status: OpStatus;
  /** Device-clock time the op started, in nanoseconds (equals `endNs` for an op that never ran). */
  readonly startNs: number;
  /** Device-clock time the op ended, in nanoseconds; `startNs <= endNs`. */
  readonly endNs: number;
  /** Present when `status` is not `'ok'`. */
  readonly failure?: OpFailure;
}

/**
 * Where a backend reports completions. `createDevice` provides it through
 * {@link DeviceBackend.connect}.
 */
export interface CompletionSink {
  /**
   * Reports one op's completion. Called exactly once per enqueued op, in queue order for the ops
   * of one queue. The sink may call back into the backend synchronously (enqueue, abort, signal,
   * destroy); backends must allow that.
   *
   * @returns `true` when the completion woke host code (resolved something the host awaits). A
   * virtual-time backend must then yield to the host (see {@link scheduleMacrotask}) before it
   * advances its clock past this completion, so the host can react at this instant.
   */
  complete(completion: OpCompletion): boolean;
}

/** Memory accounting of one device. */
export interface MemoryInfo {
  /** Live allocations. */
  readonly allocations: number;
  /** Bytes held by live allocations, as the backend reserves them (after rounding). */
  readonly bytesInUse: number;
  /** The largest `bytesInUse` since the backend was created. */
  readonly peakBytes: number;
  /** The device's memory size. */
  readonly capacityBytes: number;
  /** Bytes that can still be allocated in one piece at most (fragmentation lowers it). */
  readonly largestFreeBlock: number;
}

/** Options for {@link DeviceBackend.createQueue}. */
export interface QueueOptions {
  /** Within the manifest's priority range (lower = more urgent). */
  readonly priority: number;
}

/**
 * The plugin interface of an npurt device, version 1: the small set of primitives a device must
 * provide. Users never call a backend directly: {@link createDevice} wraps it, checks every
 * argument and handle first, and derives the rest. A backend may therefore assume valid input
 * (live ids, in-range memory, integer sizes), except where a method says otherwise.
 *
 * Every id (queue, counter, address) is a number chosen by the backend, unique within it while
 * live. Errors a backend raises are {@link NpuError}s with a code.
 *
 * @example A backend is a factory's product, never a global:
 * ```ts
 * const device = createDevice(simulatedNpu({ preset: "tiny" }));
 * ```
 */
export interface DeviceBackend {
  /** The interface version this backend implements. */
  readonly specificationVersion: "v1";
  /** For messages and profiles only. */
  readonly name: string;
  /** What the backend can do. Must not change after creation. */
  readonly capabilities: DeviceCapabilities;
  /** The clock of the backend's devices; timeouts are measured on it. */
  readonly clock: Clock;

  /** Gives the backend its completion sink. Called once, before any other method. */
  connect(sink: CompletionSink): void;

  /** Creates a hardware queue on `device`. Throws `NO_STREAM_RESOURCE` past the device's limit. */
  createQueue(device: number, options: QueueOptions): number;
  /** Destroys a queue. Only called when every op enqueued on it has completed. */
  destroyQueue(queue: number): void;
  /**
   * Appends an op to a queue. Ops of one queue execute one after another in enqueue order
   * (FIFO); ops of different queues are unordered unless a counter wait orders them. Must not
   * complete the op synchronously inside this call.
   */
  enqueue(queue: number, opId: number, op: DeviceOp): void;
  /**
   * Discards the queue's work: queued ops complete with status `'aborted'` and code
   * `STREAM_ABORT`; a running op is stopped and completes the same way (or, if it cannot be
   * stopped, with its own result). Every op still completes exactly once, in queue order, and
   * the completions are reported after this call returns, not inside it. Ops enqueued after
   * the abort run normally.
   */
  abortQueue(queue: number): void;

  /** Allocates `bytes` (a positive integer) on `device`; throws `MEMORY_ALLOCATION` when it can't. */
  allocate(device: number, bytes: number): number;
  /** Releases an allocation by its base address. */
  release(base: number): void;
  /** Memory accounting of `device`. */
  memoryInfo(device: number): MemoryInfo;

  /** Creates a timeline counter on `device`, starting at 0. */
  createCounter(device: number): number;
  /** Destroys a counter. Ops that wait on it must have completed. */
  destroyCounter(counter: number): void;
  /** The counter's value as signalled so far. */
  counterValue(counter: number): number;
  /** Raises a counter from the host (at the host's current time), waking queues that wait on it. */
  signalCounter(counter: number, value: number): void;

  /** Releases everything. After it, no completion is reported. */
  close(): void;
}
