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
  /**
   * Whether the backend honours {@link KernelOp.timeoutNs} (stops a kernel that runs past it,
   * with `TASK_TIMEOUT`). Absent means no: core refuses a timeout it would ignore.
   */
  readonly opTimeouts?: boolean;
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
   * of one queue; reports of different queues may interleave in any order. Never called inside
   * {@link DeviceBackend.enqueue} or {@link DeviceBackend.abortQueue}.
   *
   * Re-entrancy: the sink may call back into the backend synchronously — `enqueue`,
   * `abortQueue`, `signalCounter`, `destroyQueue`, `destroyCounter`, `allocate`, `release`, even
   * `close`. Backends must allow every one of them and keep their own state consistent across
   * the call: an op enqueued from the sink runs after the queue's earlier ops like any other, an
   * abort from the sink follows {@link DeviceBackend.abortQueue}, and after a `close` from the
   * sink the backend reports nothing more (not even the rest of a batch it was delivering).
   * A report the device did not expect (a second one, or one out of queue order) is dropped and
   * published as an `error` instrumentation event (on the console when nobody listens).
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

  /**
   * Gives the backend its completion sink. Called once, before any other method: one backend
   * serves one device (`createDevice` refuses a backend it already wrapped).
   */
  connect(sink: CompletionSink): void;

  /** Creates a hardware queue on `device`. Throws `NO_STREAM_RESOURCE` past the device's limit. */
  createQueue(device: number, options: QueueOptions): number;
  /** Destroys a queue. Only called when every op enqueued on it has been reported complete. */
  destroyQueue(queue: number): void;
  /**
   * Appends an op to a queue. Ops of one queue execute one after another in enqueue order
   * (FIFO); ops of different queues are unordered unless a counter wait orders them, and a queue
   * held by a wait must not hold other queues. Must not report the op inside this call. May throw
   * an {@link NpuError} to refuse the op; a refused op is not counted and is never reported.
   *
   * The memory an op names was live when it was enqueued, but it may be released before the op
   * runs (`release` does not wait for the queue, as with `aclrtFree`): the backend must then
   * report the op as failed (`INVALID_HANDLE`) or run it on whatever now lives there, never crash.
   */
  enqueue(queue: number, opId: number, op: DeviceOp): void;
  /**
   * Discards the queue's work: queued ops complete with status `'aborted'` and code
   * `STREAM_ABORT`; a running op is stopped and completes the same way (or, if it cannot be
   * stopped, with its own result). Every op still completes exactly once, in queue order, and
   * the completions are reported after this call returns, not inside it. A discarded op that had
   * not started has no effect: an aborted `signal` does not raise its counter. Other
   * queues are not affected. Ops enqueued after the abort run normally, after the aborted ones
   * are reported. Aborting a queue with nothing pending does nothing.
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
  /**
   * Destroys a counter. Only called when no pending op signals or waits on it (`Device` holds
   * the counter until they have been reported, as CUDA and CANN let an event be destroyed early).
   */
  destroyCounter(counter: number): void;
  /** The counter's value as signalled so far. */
  counterValue(counter: number): number;
  /** Raises a counter from the host (at the host's current time), waking queues that wait on it. */
  signalCounter(counter: number, value: number): void;

  /**
   * Releases everything. Called once, possibly with ops pending and possibly from inside
   * {@link CompletionSink.complete}. After it the backend reports no completion; `Device` itself
   * reports every op still pending as `'aborted'` with `DEVICE_CLOSED`.
   */
  close(): void;
}
