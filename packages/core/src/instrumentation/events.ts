import type { NpuErrorCode } from "../errors/error-codes.js";
import type { DType } from "../memory/dtype.js";

/** How an op ended on the device. */
export type OpStatus = "ok" | "error" | "aborted";

/** The fields every instrumentation event has. */
export interface InstrumentationEventBase {
  /** The device clock's time when the event was emitted, in nanoseconds. */
  readonly time: number;
}

/** A hardware queue was created. */
export interface QueueCreatedEvent extends InstrumentationEventBase {
  readonly type: "queue.created";
  readonly device: number;
  readonly queue: number;
  readonly priority: number;
}

/** A hardware queue was destroyed. */
export interface QueueDestroyedEvent extends InstrumentationEventBase {
  readonly type: "queue.destroyed";
  readonly device: number;
  readonly queue: number;
}

/** An op was handed to the backend. */
export interface OpEnqueuedEvent extends InstrumentationEventBase {
  readonly type: "op.enqueued";
  readonly device: number;
  readonly queue: number;
  readonly opId: number;
  readonly kind: string;
  /** Kernel name, copy direction, or counter id, depending on `kind`. */
  readonly name: string;
  /**
   * Device ranges the op reads, as `[base, offset, bytes]` triples flattened. A `Device` always
   * sets it (an empty list when the op reads no device memory); other emitters may leave it out.
   */
  readonly reads?: readonly number[];
  /** Device ranges the op writes, in the same form as `reads`. */
  readonly writes?: readonly number[];
}

/** The backend reported an op's completion. */
export interface OpCompletedEvent extends InstrumentationEventBase {
  readonly type: "op.completed";
  readonly device: number;
  readonly queue: number;
  readonly opId: number;
  readonly kind: string;
  readonly name: string;
  readonly status: OpStatus;
  /** Device-clock start, in nanoseconds. */
  readonly startNs: number;
  /** Device-clock end, in nanoseconds. */
  readonly endNs: number;
  readonly code?: NpuErrorCode;
}

/** Device memory was allocated. */
export interface MemoryAllocatedEvent extends InstrumentationEventBase {
  readonly type: "memory.allocated";
  readonly device: number;
  readonly ptr: number;
  readonly bytes: number;
  readonly tag?: string;
  /** The buffer's element type, when not the default `float32`. */
  readonly dtype?: DType;
}

/**
 * How a stream-ordered allocation got its memory: fresh from the device (`"new"`), or a block
 * freed earlier into the pool, reused because it was freed on the same stream
 * (`"same-stream"`), on a stream this one waited on through an event recorded after the free
 * (`"event-dependency"`), after the free had already completed on the device
 * (`"opportunistic"`), or with a wait on the free that the runtime added to the stream
 * (`"internal-dependency"`). Runtime-semantics §1.4 Stream-ordered alloc.
 */
export type PoolReuseKind =
  | "new"
  | "same-stream"
  | "event-dependency"
  | "opportunistic"
  | "internal-dependency";

/**
 * A stream-ordered allocation from a memory pool (CUDA `cudaMallocAsync`, CANN
 * `aclrtMemPoolMallocAsync`): the memory is usable by later work on `stream`; another stream
 * must be ordered after this point (an event, a synchronize) before it touches the memory. A
 * race detector pairs it with the ops' `reads` and `writes` (same `ptr`) to report a use from
 * another stream without that ordering — the cross-stream reuse hazard of runtime-semantics §2
 * item 8.
 */
export interface PoolAllocatedEvent extends InstrumentationEventBase {
  readonly type: "pool.allocated";
  readonly device: number;
  /** The pool's id, unique within its manager. */
  readonly pool: number;
  /** The stream the allocation is ordered on (its id, as `stream.created` gave it). */
  readonly stream: number;
  /**
   * The hardware queue the stream's work runs on (as op events name it), when it has one: a
   * stream takes its queue at its first op, so a stream with no work yet has none. The
   * allocation sits on it after the ops already enqueued there and before the next.
   */
  readonly queue?: number;
  /** The buffer's base address, as op `reads` and `writes` name it. */
  readonly ptr: number;
  /** The size asked for. */
  readonly bytes: number;
  /** The tag given at `allocAsync`. */
  readonly tag?: string;
  /** Where the memory came from. */
  readonly reuse: PoolReuseKind;
  /** For a reused block: the stream that freed it. */
  readonly freedOn?: number;
}

/**
 * A stream-ordered free into a memory pool (CUDA `cudaFreeAsync`, CANN
 * `aclrtMemPoolFreeAsync`): the memory returns to the pool (not to the device) once the work
 * queued on `stream` before the free has run; no stream may touch it after that point.
 */
export interface PoolFreedEvent extends InstrumentationEventBase {
  readonly type: "pool.freed";
  readonly device: number;
  readonly pool: number;
  /** The stream the free is ordered on. */
  readonly stream: number;
  /** The stream's hardware queue, when it has one (as in {@link PoolAllocatedEvent.queue}). */
  readonly queue?: number;
  readonly ptr: number;
  readonly bytes: number;
}

/**
 * A pool gave idle memory back to the device: at a synchronize (idle memory above its release
 * threshold) or on an explicit trim.
 */
export interface PoolTrimmedEvent extends InstrumentationEventBase {
  readonly type: "pool.trimmed";
  readonly device: number;
  readonly pool: number;
  /** Bytes returned to the device. */
  readonly bytes: number;
  /** Bytes the pool still reserves. */
  readonly reservedBytes: number;
}

/** Device memory was released. */
export interface MemoryReleasedEvent extends InstrumentationEventBase {
  readonly type: "memory.released";
  readonly device: number;
  readonly ptr: number;
  readonly bytes: number;
  readonly tag?: string;
}

/** A stream (the runtime-level object over a hardware queue) was created. */
export interface StreamCreatedEvent extends InstrumentationEventBase {
  readonly type: "stream.created";
  readonly device: number;
  readonly stream: number;
  readonly priority: number;
}

/** A stream changed state. */
export interface StreamStateEvent extends InstrumentationEventBase {
  readonly type: "stream.state";
  readonly stream: number;
  readonly from: string;
  readonly to: string;
}

/** A stream was destroyed. */
export interface StreamDestroyedEvent extends InstrumentationEventBase {
  readonly type: "stream.destroyed";
  readonly stream: number;
}

/** An event object was created, recorded, waited on, reset, or destroyed. */
export interface EventLifecycleEvent extends InstrumentationEventBase {
  readonly type: "event.created" | "event.recorded" | "event.waited" | "event.reset" | "event.destroyed";
  readonly event: number;
  /** The stream that recorded or waits, when there is one. */
  readonly stream?: number;
  /** The record generation captured (timeline counter value). */
  readonly value?: number;
}

/** A host callback moved through its life. */
export interface CallbackEvent extends InstrumentationEventBase {
  readonly type: "callback.enqueued" | "callback.started" | "callback.finished";
  readonly callback: number;
  readonly stream?: number;
  readonly label?: string;
  readonly status?: OpStatus;
}

/** What a host wait waits for: a stream, a device (every stream on it) or an event's record. */
export type HostWaitTarget = "stream" | "device" | "event";

/** How a host wait settled: resolved, timed out (`*_SYNC_TIMEOUT`), or rejected with another error. */
export type HostWaitOutcome = "ok" | "timeout" | "error";

/**
 * The host waited for device work: a stream synchronize, a device synchronize or an event
 * synchronize, emitted by the streams layer when the call is made (`phase: "begin"`) and when its
 * promise settles (`phase: "end"`, with the outcome). The two share `wait`; waits may overlap (a
 * host awaiting several at once). A timeline draws the span between them on the host.
 */
export interface HostWaitEvent extends InstrumentationEventBase {
  readonly type: "host.wait";
  readonly phase: "begin" | "end";
  /** Pairs a begin with its end: unique on the bus (counted per device object, 1, 2, 3, …). */
  readonly wait: number;
  readonly target: HostWaitTarget;
  /**
   * The stream's or the event's id; for a device synchronize the device index, or `undefined`
   * when it synchronizes every device of the manager.
   */
  readonly id?: number;
  /** At the end: how the wait settled. */
  readonly outcome?: HostWaitOutcome;
  /** At the end of a wait that did not resolve: the error's code. */
  readonly code?: NpuErrorCode;
}

/** A managed resource was acquired or released. */
export interface ResourceEvent extends InstrumentationEventBase {
  readonly type: "resource.acquired" | "resource.released";
  readonly resource: string;
  readonly holders: number;
}

/** An error was raised or reported by a component. */
export interface ErrorEvent extends InstrumentationEventBase {
  readonly type: "error";
  readonly code: NpuErrorCode;
  readonly message: string;
  /** Which component reported it, e.g. `"device"`, `"stream:3"`. */
  readonly source: string;
}

/** Every event npurt's packages emit on an {@link Instrumentation} bus. */
export type InstrumentationEvent =
  | QueueCreatedEvent
  | QueueDestroyedEvent
  | OpEnqueuedEvent
  | OpCompletedEvent
  | MemoryAllocatedEvent
  | MemoryReleasedEvent
  | PoolAllocatedEvent
  | PoolFreedEvent
  | PoolTrimmedEvent
  | StreamCreatedEvent
  | StreamStateEvent
  | StreamDestroyedEvent
  | EventLifecycleEvent
  | CallbackEvent
  | HostWaitEvent
  | ResourceEvent
  | ErrorEvent;
