import type { DeviceBackend, DeviceCapabilities } from "../backend/device-backend.js";
import type { DeviceOp, MemRef } from "../backend/ops.js";
import type { Clock } from "../clock.js";
import type { Instrumentation } from "../instrumentation/instrumentation.js";
import type { DType } from "../memory/dtype.js";
import type { RingQueue } from "../structures/ring-queue.js";
import type { QueueCompletionListener } from "./completion-listener.js";
import type { CounterHandle, DeviceBuffer, QueueHandle } from "./device-handles.js";

/**
 * What a {@link Device} knows about each live handle. Internal: these entries, not the handles'
 * public fields, are the truth every check reads (a handle's fields are frozen copies).
 */
export interface QueueState {
  readonly handle: QueueHandle;
  readonly backendId: number;
  readonly device: number;
  readonly listener: QueueCompletionListener | undefined;
  enqueued: number;
  completed: number;
  /**
   * Ids of the ops not completed yet, oldest first: a backend must report them in this order,
   * and `close()` reports them itself, since the backend no longer will.
   */
  readonly pendingIds: RingQueue<number>;
  /**
   * The pending ops that name buffers, oldest first, as pairs: the op's id, then how many
   * buffers it names; the buffers themselves are in `pendingBuffers`, flat and in op order. A
   * release while an op is pending is detected (and deferred) through them. Flat rings rather
   * than a list per op (no allocation per op), and nothing at all for ops that name no buffer
   * (signals, waits, operand-less kernels), which keeps their enqueue as cheap as before. Made
   * at a queue's first such op: two rings per queue made up front were a third of an unpooled
   * stream's create+launch+destroy garbage.
   */
  pendingBufferOps: RingQueue<number> | undefined;
  pendingBuffers: RingQueue<BufferState> | undefined;
  /** The signal and wait ops among them, oldest first, with the counter each one holds. */
  counterOps: RingQueue<{ readonly opId: number; readonly counter: CounterState }> | undefined;
  /**
   * Ops enqueued while someone listened on the bus, oldest first, in step with `observedIds`:
   * their completion events repeat the kind and name of their `op.enqueued`. Two rings per
   * queue rather than one device-wide map: a million ops in flight cost no hashing and no
   * allocation per op (the profiler's counting benchmark, issue 11).
   */
  observedIds: RingQueue<number> | undefined;
  observedOps: RingQueue<DeviceOp> | undefined;
  /** Drain waiters: resolve when `completed` reaches `target`. */
  waiters: RingQueue<{ target: number; resolve: () => void; reject: (e: unknown) => void }> | undefined;
}

/** A live or destroyed-but-still-used timeline counter. */
export interface CounterState {
  readonly handle: CounterHandle;
  readonly backendId: number;
  readonly device: number;
  /** Pending signal and wait ops on the counter. */
  users: number;
  /** The handle was destroyed; the backend's counter goes once `users` drops to 0. */
  destroyed: boolean;
}

/** A live or released-but-still-named allocation. */
export interface BufferState {
  readonly handle: DeviceBuffer;
  readonly address: number;
  readonly device: number;
  readonly bytes: number;
  readonly tag: string | undefined;
  readonly dtype: DType;
  /** The whole buffer as a backend range, frozen and shared by every op that names all of it. */
  readonly whole: MemRef;
  /** Pending ops that name the buffer. */
  users: number;
  /**
   * The user released it. The backend's memory is kept until `users` drops to 0, so the address
   * cannot be handed to a new allocation that a pending op would then write into; each of those
   * ops is reported failed (`INVALID_HANDLE`).
   */
  released: boolean;
}

/** What the device's parts (its buffer table, its completion delivery) read of it; a `Device` is one. */
export interface DeviceView {
  readonly backend: DeviceBackend;
  readonly capabilities: DeviceCapabilities;
  readonly instrumentation: Instrumentation;
  readonly clock: Clock;
  readonly closed: boolean;
}
