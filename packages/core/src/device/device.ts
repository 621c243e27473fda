import type {
  CompletionSink,
  DeviceBackend,
  DeviceCapabilities,
  DeviceDescriptor,
  MemoryInfo,
} from "../backend/device-backend.js";
import type { Clock } from "../clock.js";
import { NpuError } from "../errors/npu-error.js";
import { errorMessage } from "../errors/safe-text.js";
import { check } from "../errors/validate.js";
import { Instrumentation } from "../instrumentation/instrumentation.js";
import type { DType, HostArrayOf } from "../memory/dtype.js";
import { RingQueue } from "../structures/ring-queue.js";
import { CompletionDelivery } from "./completion-delivery.js";
import type { QueueCompletionListener } from "./completion-listener.js";
import { CounterHandle, type DeviceBuffer, QueueHandle } from "./device-handles.js";
import { DeviceMemory } from "./device-memory.js";
import type {
  AllocateHostOptions,
  AllocateOptions,
  CreateDeviceOptions,
  CreateQueueOptions,
  MemcpySpec,
  MemGetInfo,
  MemsetSpec,
} from "./device-options.js";
import type { BufferState, CounterState, QueueState } from "./device-state.js";
import { HandleTable } from "./handles.js";
import { enqueuedEvent } from "./op-description.js";
import type { CopySpec, FillSpec, OpSpec } from "./op-spec.js";
import { type TranslationContext, translateOp } from "./op-translation.js";
import { PinnedHostMemory } from "./pinned-host-memory.js";
import { SyncCopies } from "./sync-copies.js";

export type { QueueCompletionListener } from "./completion-listener.js";

/**
 * A device backend behind npurt's checks: every user-facing call goes through a `Device`. It
 * validates arguments, holds handle tables (a destroyed, foreign or forged handle is refused with
 * `INVALID_HANDLE`, never undefined behaviour), applies the capability manifest, emits
 * instrumentation, and derives what backends need not implement (draining a queue, say).
 *
 * Create one with {@link createDevice}.
 */
export class Device {
  /** The wrapped backend. */
  readonly backend: DeviceBackend;
  /** The backend's capability manifest. */
  readonly capabilities: DeviceCapabilities;
  /** The clock timeouts are measured on. */
  readonly clock: Clock;
  /** The bus every npurt package emits this device's events on. */
  readonly instrumentation: Instrumentation;

  readonly #queues: HandleTable<QueueHandle, QueueState>;
  readonly #queuesById = new Map<number, QueueState>();
  readonly #counters: HandleTable<CounterHandle, CounterState>;
  readonly #buffers: HandleTable<DeviceBuffer, BufferState>;
  readonly #memory: DeviceMemory;
  #nextOpId = 1;
  #closed = false;
  #closeListeners: (() => void)[] | undefined;
  readonly #delivery: CompletionDelivery;
  readonly #translation: TranslationContext;
  /** Page-locked host memory (copies read the flag from its set). */
  readonly #pinned = new PinnedHostMemory();
  /** The queues {@link Device.memcpy} and {@link Device.memset} run on. */
  readonly #syncCopies: SyncCopies;

  /** @internal Use {@link createDevice}. */
  constructor(backend: DeviceBackend, options: CreateDeviceOptions) {
    this.backend = backend;
    this.capabilities = backend.capabilities;
    this.clock = backend.clock;
    this.instrumentation = options.instrumentation ?? new Instrumentation();
    const owner = {};
    this.#queues = new HandleTable(owner, "queue");
    this.#counters = new HandleTable(owner, "counter");
    this.#memory = new DeviceMemory(this, owner, (message, error) => this.#reportError(message, error));
    this.#buffers = this.#memory.buffers;
    this.#translation = {
      capabilities: this.capabilities,
      kernelNames: this.capabilities.kernels === undefined ? undefined : new Set(this.capabilities.kernels),
      plainKernels: new Map(),
      backendName: backend.name,
      buffers: this.#buffers,
      counters: this.#counters,
      touched: [],
      touchedCount: 0,
      counter: undefined,
      pinned: this.#pinned.buffers,
    };
    this.#syncCopies = new SyncCopies(
      (options) => this.createQueue(options),
      (queue, op) => this.enqueue(queue, op),
      (ref) => this.#buffers.find(ref)?.device ?? 0,
    );
    const delivery = new CompletionDelivery(this, this.#queuesById, this.#memory, (message, error) =>
      this.#reportError(message, error),
    );
    this.#delivery = delivery;
    const sink: CompletionSink = { complete: (c) => delivery.complete(c) };
    backend.connect(sink);
  }

  /** Number of devices the backend has. */
  get deviceCount(): number {
    return this.capabilities.devices.length;
  }

  /** Whether {@link Device.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** The descriptor of device `index` (default 0). */
  info(index = 0): DeviceDescriptor {
    return this.capabilities.devices[this.#deviceIndex(index)]!;
  }

  // ---- queues -------------------------------------------------------------------------------

  /** Creates a hardware queue. Throws `NO_STREAM_RESOURCE` past the device's queue limit. */
  createQueue(options?: CreateQueueOptions): QueueHandle {
    this.#assertOpen();
    const opts = check.read(options, "createQueue options", ["device", "priority", "onComplete"]);
    const device = this.#deviceIndex(opts.device ?? 0);
    const { greatest, least } = this.capabilities.priorities;
    const priority =
      opts.priority === undefined ? least : check.integer(opts.priority, "priority", greatest, least);
    const listener =
      opts.onComplete === undefined
        ? undefined
        : check.func<QueueCompletionListener>(opts.onComplete, "onComplete");
    const backendId = this.backend.createQueue(device, { priority });
    const state: QueueState = {
      handle: undefined as unknown as QueueHandle,
      backendId,
      device,
      listener,
      enqueued: 0,
      completed: 0,
      pendingIds: new RingQueue(),
      pendingBufferOps: undefined,
      pendingBuffers: undefined,
      counterOps: undefined,
      observedIds: undefined,
      observedOps: undefined,
      waiters: undefined,
    };
    const handle = this.#queues.issue(state, (o, s, g) => new QueueHandle(o, s, g, device, priority));
    (state as { handle: QueueHandle }).handle = handle;
    this.#queuesById.set(backendId, state);
    const bus = this.instrumentation;
    if (bus.active)
      bus.emit({ type: "queue.created", time: this.clock.now(), device, queue: backendId, priority });
    return handle;
  }

  /**
   * Destroys an idle queue. Throws `NOT_READY` while it has pending ops (drain or abort first).
   * After {@link Device.close} it only retires the handle (the backend was released already).
   */
  destroyQueue(queue: QueueHandle): void {
    const state = this.#queues.get(queue, "queue");
    const pending = state.enqueued - state.completed;
    if (pending > 0) {
      throw new NpuError(
        "NOT_READY",
        `queue ${state.handle} has ${pending} pending op(s); drain or abort it first`,
        {
          details: { pending },
        },
      );
    }
    this.#queues.remove(queue);
    this.#queuesById.delete(state.backendId);
    if (this.#closed) return;
    this.backend.destroyQueue(state.backendId);
    const bus = this.instrumentation;
    if (bus.active) {
      bus.emit({
        type: "queue.destroyed",
        time: this.clock.now(),
        device: state.device,
        queue: state.backendId,
      });
    }
  }

  /** Ops enqueued on `queue` that have not completed yet. */
  pending(queue: QueueHandle): number {
    const state = this.#queues.get(queue, "queue");
    return state.enqueued - state.completed;
  }

  /** The backend's id of a live queue (the id completions and instrumentation carry). */
  queueId(queue: QueueHandle): number {
    return this.#queues.get(queue, "queue").backendId;
  }

  /** Whether `queue` is a live queue of this device. */
  isLive(handle: QueueHandle | CounterHandle | DeviceBuffer): boolean {
    return this.#queues.has(handle) || this.#counters.has(handle) || this.#buffers.has(handle);
  }

  /**
   * Checks `spec` and appends it to `queue`. Returns the op's id, which its completion carries.
   * The op runs after every op enqueued before it on the same queue. A buffer it names may be
   * released before it completes; it is then reported failed (`INVALID_HANDLE`), and the memory
   * is not reused while the op is pending.
   */
  enqueue(queue: QueueHandle, spec: OpSpec): number {
    this.#assertOpen();
    const state = this.#queues.get(queue, "queue");
    const device = state.device;
    const t = this.#translation;
    const op = translateOp(spec, device, t);
    const opId = this.#nextOpId++;
    // Count the op only once the backend took it: a backend that throws here must not leave a
    // phantom pending op that drain() would wait for forever (nor an op.enqueued event for it).
    this.backend.enqueue(state.backendId, opId, op);
    state.enqueued++;
    state.pendingIds.push(opId);
    const touched = t.touched;
    const named = t.touchedCount;
    const counter = t.counter;
    if (named > 0) {
      state.pendingBufferOps ??= new RingQueue();
      state.pendingBuffers ??= new RingQueue();
      const bufferOps = state.pendingBufferOps;
      const buffers = state.pendingBuffers;
      bufferOps.push(opId);
      bufferOps.push(named);
      for (let i = 0; i < named; i++) {
        const b = touched[i]!;
        b.users++;
        buffers.push(b);
      }
    }
    if (counter !== undefined) {
      counter.users++;
      if (state.counterOps === undefined) state.counterOps = new RingQueue();
      state.counterOps.push({ opId, counter });
    }
    const bus = this.instrumentation;
    if (bus.active) {
      // Kept so that the completion event can name the op as its enqueue event did.
      if (state.observedIds === undefined) {
        state.observedIds = new RingQueue();
        state.observedOps = new RingQueue();
      }
      state.observedIds.push(opId);
      state.observedOps!.push(op);
      bus.emit(enqueuedEvent(this.clock.now(), device, state.backendId, opId, op));
    }
    return opId;
  }

  /**
   * Discards the queue's pending work: each op completes with status `'aborted'` (`STREAM_ABORT`).
   * After {@link Device.close} there is nothing left to discard and it does nothing.
   */
  abortQueue(queue: QueueHandle): void {
    const state = this.#queues.get(queue, "queue");
    if (this.#closed) return;
    this.backend.abortQueue(state.backendId);
  }

  /** Resolves when every op enqueued on `queue` so far has completed (whatever its status). */
  drain(queue: QueueHandle): Promise<void> {
    const state = this.#queues.get(queue, "queue");
    if (state.completed >= state.enqueued) return Promise.resolve();
    if (this.#closed) return Promise.reject(closedError());
    return new Promise<void>((resolve, reject) => {
      state.waiters ??= new RingQueue();
      state.waiters.push({ target: state.enqueued, resolve, reject });
    });
  }

  /** Resolves when every op enqueued on every queue so far has completed. */
  async idle(): Promise<void> {
    const drains: Promise<void>[] = [];
    for (const [handle] of this.#queues.entries()) drains.push(this.drain(handle));
    await Promise.all(drains);
  }

  // ---- memory -------------------------------------------------------------------------------

  /**
   * Allocates `bytes` of device memory. `bytes` must be a positive integer (`INVALID_PARAM`);
   * more than the device can give is `MEMORY_ALLOCATION`, and later allocations still work.
   */
  allocate(bytes: number, options?: AllocateOptions): DeviceBuffer {
    this.#assertOpen();
    return this.#memory.allocate(bytes, options);
  }

  /**
   * Releases a buffer at once, as CANN's `aclrtFree` does: it does not wait for queued ops that
   * use it. Those ops are reported failed (`INVALID_HANDLE`), and the backend's memory is given
   * back only once they have completed, so its address cannot be reused under them. Releasing
   * twice is `INVALID_HANDLE`. After {@link Device.close} it only retires the handle.
   */
  release(buffer: DeviceBuffer): void {
    this.#memory.release(buffer);
  }

  /** Memory accounting of device `index` (default 0). */
  memoryInfo(index = 0): MemoryInfo {
    return this.backend.memoryInfo(this.#deviceIndex(index));
  }

  /**
   * Free and total memory of device `index` (default 0), as `cudaMemGetInfo` and
   * `aclrtGetMemInfo` report them (runtime-semantics §1.4 Memory info). Free counts what live
   * allocations do not hold, as the backend reserves it (after rounding); fragmentation may
   * keep one allocation of that size from fitting (see {@link MemoryInfo.largestFreeBlock}).
   */
  memGetInfo(index = 0): MemGetInfo {
    const info = this.memoryInfo(index);
    return { freeBytes: info.capacityBytes - info.bytesInUse, totalBytes: info.capacityBytes };
  }

  // ---- host memory --------------------------------------------------------------------------

  /**
   * Allocates page-locked ("pinned") host memory (CUDA `cudaMallocHost`, CANN `aclrtMallocHost`):
   * a zeroed typed array of `bytes` bytes whose copies to and from the device run at the
   * device's pinned bandwidth. Copies from ordinary (pageable) arrays work too, and are slower on
   * backends that model the difference. Release it with {@link Device.releaseHost}.
   *
   * @example
   * ```ts
   * const staging = device.allocateHost(4096, { dtype: "float32" }); // a Float32Array
   * staging.fill(1);
   * device.enqueue(queue, { kind: "copy", src: staging, dst: buffer });
   * ```
   */
  allocateHost<D extends DType = "uint8">(bytes: number, options?: AllocateHostOptions<D>): HostArrayOf<D> {
    this.#assertOpen();
    return this.#pinned.allocate(bytes, options);
  }

  /** Releases host memory from {@link Device.allocateHost}; anything else is `INVALID_PARAM`. */
  releaseHost(array: ArrayBufferView): void {
    this.#pinned.release(array);
  }

  /** Whether `view` lies in page-locked host memory from {@link Device.allocateHost}. */
  isPinned(view: ArrayBufferView): boolean {
    return this.#pinned.has(view);
  }

  /** Bytes of page-locked host memory held (allocated by {@link Device.allocateHost}, not released). */
  get pinnedHostBytes(): number {
    return this.#pinned.bytes;
  }

  // ---- synchronous copies -------------------------------------------------------------------

  /**
   * A copy outside any queue (CANN `aclrtMemcpy`, CUDA `cudaMemcpy`): the promise resolves once
   * the bytes have moved, and rejects with the copy's own coded error if it failed (unlike
   * {@link Device.drain}, which only says the queue finished). It runs on a queue of its own on
   * the device of its device operand, so it is not ordered after work on other queues: a
   * runtime that adds the implicit synchronization of its profile (streams' `StreamManager.memcpy`)
   * builds on it.
   */
  memcpy(spec: MemcpySpec): Promise<void> {
    try {
      const s = check.options(spec as object, "memcpy spec") as Record<string, unknown>;
      const copy = { kind: "copy", src: s.src, dst: s.dst, bytes: s.bytes } as CopySpec;
      return this.#runSync(copy, ArrayBuffer.isView(copy.src) ? copy.dst : copy.src);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * A fill outside any queue (CANN `aclrtMemset`, CUDA `cudaMemset`): resolves once the bytes
   * are set, rejects with the fill's coded error. See {@link Device.memcpy} for ordering.
   */
  memset(spec: MemsetSpec): Promise<void> {
    try {
      const s = check.options(spec as object, "memset spec") as Record<string, unknown>;
      const fill = { kind: "fill", dst: s.dst, value: s.value } as FillSpec;
      return this.#runSync(fill, fill.dst);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #runSync(op: OpSpec, operand: unknown): Promise<void> {
    this.#assertOpen();
    return this.#syncCopies.run(op, operand);
  }

  /** Live buffers, for leak reports. */
  liveBuffers(): DeviceBuffer[] {
    return this.#memory.live();
  }

  // ---- counters -----------------------------------------------------------------------------

  /** Creates a timeline counter (starting at 0) on a device (default 0). */
  createCounter(options?: { readonly device?: number }): CounterHandle {
    this.#assertOpen();
    const opts = check.read(options, "createCounter options", ["device"]);
    const device = this.#deviceIndex(opts.device ?? 0);
    const backendId = this.backend.createCounter(device);
    const state: CounterState = {
      handle: undefined as unknown as CounterHandle,
      backendId,
      device,
      users: 0,
      destroyed: false,
    };
    const handle = this.#counters.issue(state, (o, s, g) => new CounterHandle(o, s, g, device));
    (state as { handle: CounterHandle }).handle = handle;
    return handle;
  }

  /**
   * Destroys a counter. The handle is refused from now on; as with `cudaEventDestroy` and
   * `aclrtDestroyEvent`, ops already enqueued that signal or wait on it still run, and the
   * backend's counter is released once they have completed.
   */
  destroyCounter(counter: CounterHandle): void {
    const state = this.#counters.remove(counter, "counter");
    state.destroyed = true;
    if (state.users === 0 && !this.#closed) this.backend.destroyCounter(state.backendId);
  }

  /** A counter's current value. */
  counterValue(counter: CounterHandle): number {
    return this.backend.counterValue(this.#counters.get(counter, "counter").backendId);
  }

  /** Raises a counter from the host; queues waiting for the value resume. */
  signalCounter(counter: CounterHandle, value: number): void {
    this.#assertOpen();
    const state = this.#counters.get(counter, "counter");
    this.backend.signalCounter(state.backendId, check.integer(value, "counter value", 0));
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  /**
   * Closes the device: the backend is closed, pending `drain()` promises reject with
   * `DEVICE_CLOSED` (those already satisfied resolve), and every later call that would start
   * work throws it. Ops that had not completed are reported to their queue's listener (in queue
   * order) as `'aborted'` with code `DEVICE_CLOSED`, so code waiting on a completion is never
   * left hanging. Idempotent. Safe to call from a completion or instrumentation listener: the
   * completion being delivered is finished first, so listeners still see queue order.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.backend.close();
    const states = [...this.#queuesById.values()];
    for (const state of states) {
      const waiters = state.waiters;
      if (waiters === undefined) continue;
      for (const w of waiters.drain()) {
        // Closed from a listener of the op a drain was waiting for: that drain is satisfied.
        if (w.target <= state.completed) w.resolve();
        else w.reject(closedError());
      }
    }
    // Close listeners first: a layered runtime must learn that the device closed before the
    // lost ops are reported, so it settles its waits with DEVICE_CLOSED rather than treating the
    // reports as ordinary aborts.
    const listeners = this.#closeListeners;
    this.#closeListeners = undefined;
    for (const listener of listeners ?? []) {
      try {
        listener();
      } catch (error) {
        // One listener's bug must not keep the others from learning that the device closed.
        this.#reportError(`a device close listener threw: ${errorMessage(error)}`, error);
      }
    }
    const now = this.clock.now();
    const failure = {
      code: "DEVICE_CLOSED",
      message: "the device was closed before the op completed",
    } as const;
    for (const state of states) {
      // A snapshot: when close() runs inside a delivery, these reports are queued behind it.
      for (const opId of [...state.pendingIds]) {
        this.#delivery.complete({
          queue: state.backendId,
          opId,
          status: "aborted",
          startNs: now,
          endNs: now,
          failure,
        });
      }
    }
  }

  /**
   * Calls `listener` once when the device closes (at once, synchronously, if it is closed
   * already), after pending `drain()` promises were rejected and before the ops still pending
   * are reported as `'aborted'` (`DEVICE_CLOSED`). Runtimes layered on the device use it to settle
   * their own pending waits with `DEVICE_CLOSED` before those reports arrive.
   *
   * @returns a function that removes the listener.
   */
  onClose(listener: () => void): () => void {
    const fn = check.func<() => void>(listener, "close listener");
    if (this.#closed) {
      fn();
      return () => {};
    }
    if (this.#closeListeners === undefined) this.#closeListeners = [];
    const listeners = this.#closeListeners;
    listeners.push(fn);
    return () => {
      const i = listeners.indexOf(fn);
      if (i >= 0) listeners.splice(i, 1);
    };
  }

  /** Closes the device (for `using device = createDevice(...)`). */
  [Symbol.dispose](): void {
    this.close();
  }

  // ---- internals ----------------------------------------------------------------------------

  /**
   * Reports a bug nobody can catch (it happened inside the backend's loop): on the bus, else the
   * console. Never throws, whatever `error` is.
   */
  #reportError(message: string, error: unknown): void {
    const bus = this.instrumentation;
    try {
      if (bus.active) {
        bus.emit({
          type: "error",
          time: this.clock.now(),
          code: "INTERNAL_ERROR",
          message,
          source: "device",
        });
      } else if (error === undefined) console.error(`[npurt] ${message}`);
      else console.error(`[npurt] ${message}`, error);
    } catch {
      // The console itself failed on the value (a hostile Proxy): the message alone still goes out.
      console.error(`[npurt] ${message}`);
    }
  }

  #assertOpen(): void {
    if (this.#closed) throw closedError();
  }

  #deviceIndex(index: unknown): number {
    return check.integer(index, "device index", 0, this.capabilities.devices.length - 1);
  }
}

function closedError(): NpuError {
  return new NpuError("DEVICE_CLOSED", "the device is closed");
}
