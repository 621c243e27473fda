import type { NpuErrorCode } from "../errors/error-codes.js";

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

/** An event object was created, recorded, waited on, or destroyed. */
export interface EventLifecycleEvent extends InstrumentationEventBase {
  readonly type: "event.created" | "event.recorded" | "event.waited" | "event.destroyed";
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
  | StreamCreatedEvent
  | StreamStateEvent
  | StreamDestroyedEvent
  | EventLifecycleEvent
  | CallbackEvent
  | ResourceEvent
  | ErrorEvent;
