import type {
  CompletionSink,
  DeviceBackend,
  DeviceCapabilities,
  DeviceDescriptor,
  MemoryInfo,
  OpCompletion,
} from "../backend/device-backend.js";
import type { DeviceOp } from "../backend/ops.js";
import type { Clock } from "../clock.js";
import { NpuError, NpuTypeError } from "../errors/npu-error.js";
import { describe, errorMessage, quote } from "../errors/safe-text.js";
import { check } from "../errors/validate.js";
import { Instrumentation } from "../instrumentation/instrumentation.js";
import { checkDType, DTYPES, type DType, type HostArrayOf } from "../memory/dtype.js";
import { RingQueue } from "../structures/ring-queue.js";
import type { QueueCompletionListener } from "./completion-listener.js";
import { CounterHandle, DeviceBuffer, QueueHandle } from "./device-handles.js";
import type { BufferState, CounterState, QueueState } from "./device-state.js";
import { HandleTable } from "./handles.js";
import { completedEvent, enqueuedEvent } from "./op-description.js";
import type { CopySpec, FillSpec, OpSpec } from "./op-spec.js";
import { type TranslationContext, translateOp } from "./op-translation.js";
import { PinnedHostMemory } from "./pinned-host-memory.js";
import { SyncCopies } from "./sync-copies.js";
import { validateBackend } from "./validate-backend.js";

export type { QueueCompletionListener } from "./completion-listener.js";

/** Options of {@link Device.createQueue}. */
export interface CreateQueueOptions {
  /** Device index; default 0. */
  readonly device?: number;
  /** Priority within the manifest's range (lower = more urgent); default the least urgent. */
  readonly priority?: number;
  /** Called for each completion of the queue's ops, in queue order. */
  readonly onComplete?: QueueCompletionListener;
}

/** Options of {@link Device.allocate}. */
export interface AllocateOptions {
  /** Device index; default 0. */
  readonly device?: number;
  /** A label for memory profiles and leak reports. */
  readonly tag?: string;
  /**
   * The element type (default `float32`). A stated dtype needs a whole number of elements
   * (`INVALID_PARAM` otherwise); kernels read and write the buffer as this type.
   */
  readonly dtype?: DType;
  /**
   * Bytes to reserve from the backend, at least `bytes` (default `bytes`): how a runtime layered
   * on core models its own rounding and padding (CANN's `aclrtMalloc` rounds up to 32 bytes and
   * adds 32) while the buffer still reports the size asked for.
   */
  readonly reserveBytes?: number;
}

/** Options of {@link Device.allocateHost}. */
export interface AllocateHostOptions<D extends DType = "uint8"> {
  /** The element type of the returned array (default `uint8`: a `Uint8Array`). */
  readonly dtype?: D;
}

/** A device's free and total memory, as `cudaMemGetInfo` and `aclrtGetMemInfo` report them. */
export interface MemGetInfo {
  /** Bytes not held by any allocation. */
  readonly freeBytes: number;
  /** The device's memory size. */
  readonly totalBytes: number;
}

/** A copy outside any queue ({@link Device.memcpy}): core's {@link CopySpec} without `kind`. */
export type MemcpySpec = Omit<CopySpec, "kind"> & { readonly kind?: "copy" };
/** A fill outside any queue ({@link Device.memset}): core's {@link FillSpec} without `kind`. */
export type MemsetSpec = Omit<FillSpec, "kind"> & { readonly kind?: "fill" };

/** Options of {@link createDevice}. */
export interface CreateDeviceOptions {
  /** The bus to emit on; by default the device creates its own. */
  readonly instrumentation?: Instrumentation;
}

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
  #nextOpId = 1;
  #closed = false;
  #closeListeners: (() => void)[] | undefined;
  /** A completion is being delivered: another one reported now waits in `#backlog`. */
  #delivering = false;
  #backlog: RingQueue<OpCompletion> | undefined;
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
    this.#buffers = new HandleTable(owner, "buffer");
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
    const sink: CompletionSink = { complete: (c) => this.#onComplete(c) };
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
    const opts = check.read(options, "allocate options", ["device", "tag", "dtype", "reserveBytes"]);
    const device = this.#deviceIndex(opts.device ?? 0);
    const size = check.integer(bytes, "bytes", 1);
    const tag = opts.tag === undefined ? undefined : check.string(opts.tag, "tag");
    const dtype = opts.dtype === undefined ? "float32" : checkDType(opts.dtype, "dtype");
    if (opts.dtype !== undefined && size % DTYPES[dtype].bytes !== 0) {
      throw new NpuError(
        "INVALID_PARAM",
        `${size} bytes is not a whole number of ${dtype} elements (${DTYPES[dtype].bytes} bytes each)`,
        { details: { bytes: size, dtype } },
      );
    }
    const reserve =
      opts.reserveBytes === undefined ? size : check.integer(opts.reserveBytes, "reserveBytes", size);
    const capacity = this.capabilities.devices[device]!.memoryBytes;
    if (reserve > capacity) {
      throw new NpuError(
        "MEMORY_ALLOCATION",
        `cannot allocate ${reserve} bytes on device ${device}: larger than its ${capacity} bytes of memory`,
        { details: { requested: reserve, capacity } },
      );
    }
    const address = this.backend.allocate(device, reserve);
    const state: BufferState = {
      handle: undefined as unknown as DeviceBuffer,
      address,
      device,
      bytes: size,
      tag,
      dtype,
      whole: Object.freeze(
        dtype === "float32"
          ? { base: address, offset: 0, bytes: size }
          : { base: address, offset: 0, bytes: size, dtype },
      ),
      users: 0,
      released: false,
    };
    const buffer = this.#buffers.issue(
      state,
      (o, s, g) => new DeviceBuffer(o, s, g, device, address, size, tag, dtype),
    );
    (state as { handle: DeviceBuffer }).handle = buffer;
    const bus = this.instrumentation;
    if (bus.active) {
      bus.emit({
        type: "memory.allocated",
        time: this.clock.now(),
        device,
        ptr: address,
        bytes: size,
        ...(tag === undefined ? {} : { tag }),
        ...(dtype === "float32" ? {} : { dtype }),
      });
    }
    return buffer;
  }

  /**
   * Releases a buffer at once, as CANN's `aclrtFree` does: it does not wait for queued ops that
   * use it. Those ops are reported failed (`INVALID_HANDLE`), and the backend's memory is given
   * back only once they have completed, so its address cannot be reused under them. Releasing
   * twice is `INVALID_HANDLE`. After {@link Device.close} it only retires the handle.
   */
  release(buffer: DeviceBuffer): void {
    const state = this.#buffers.remove(buffer, "buffer");
    state.released = true;
    if (this.#closed) return;
    if (state.users === 0) this.backend.release(state.address);
    const bus = this.instrumentation;
    if (bus.active) {
      bus.emit({
        type: "memory.released",
        time: this.clock.now(),
        device: state.device,
        ptr: state.address,
        bytes: state.bytes,
        ...(state.tag === undefined ? {} : { tag: state.tag }),
      });
    }
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
    return [...this.#buffers.entries()].map(([h]) => h);
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
        this.#onComplete({
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
   * The sink's entry. Deliveries never nest: a completion reported while another is being
   * delivered (by `close()` from a listener, or a backend reporting from a call a listener
   * made) waits in `#backlog` and is delivered right after, so every listener sees each queue's
   * completions in order and one at a time.
   */
  #onComplete(c: OpCompletion): boolean {
    if (this.#delivering) {
      if (this.#backlog === undefined) this.#backlog = new RingQueue();
      this.#backlog.push(c);
      return false;
    }
    this.#delivering = true;
    try {
      let woke = this.#deliver(c);
      const backlog = this.#backlog;
      if (backlog !== undefined) while (backlog.size > 0) woke = this.#deliver(backlog.shift()!) || woke;
      return woke;
    } finally {
      this.#delivering = false;
    }
  }

  #deliver(reported: OpCompletion): boolean {
    let c = reported;
    const state = this.#queuesById.get(c.queue);
    const bus = this.instrumentation;
    if (state === undefined || state.pendingIds.peek() !== c.opId) {
      // A backend bug (a second report, or one out of queue order): dropping it keeps "exactly
      // once, in queue order" true for listeners; the report says what the backend did.
      const expected = state?.pendingIds.peek();
      const message =
        expected === undefined
          ? `backend ${quote(this.backend.name)} reported a completion for op ${c.opId} on queue ${c.queue}, which has none pending`
          : `backend ${quote(this.backend.name)} reported op ${c.opId} on queue ${c.queue} out of queue order (op ${expected} is next); ignored`;
      this.#reportError(message, undefined);
      return false;
    }
    state.pendingIds.shift();
    state.completed++;
    const bufferOps = state.pendingBufferOps;
    if (bufferOps !== undefined && bufferOps.size > 0 && bufferOps.peek() === c.opId) {
      bufferOps.shift();
      const named = bufferOps.shift()!;
      const buffers = state.pendingBuffers!;
      let released: BufferState | undefined;
      for (let i = 0; i < named; i++) released = this.#dropUser(buffers.shift()!) ?? released;
      if (released !== undefined && c.status === "ok") {
        c = {
          ...c,
          status: "error",
          failure: {
            code: "INVALID_HANDLE",
            message: `${released.handle} was released before the op completed`,
          },
        };
      }
    }
    const counterOps = state.counterOps;
    if (counterOps !== undefined && counterOps.size > 0 && counterOps.peek()!.opId === c.opId) {
      const counter = counterOps.shift()!.counter;
      if (--counter.users === 0 && counter.destroyed && !this.#closed) {
        // Inside a delivery: a throw here would strand the completions queued behind this one.
        try {
          this.backend.destroyCounter(counter.backendId);
        } catch (error) {
          this.#reportError(
            `backend ${quote(this.backend.name)} failed to destroy a counter: ${errorMessage(error)}`,
            error,
          );
        }
      }
    }
    // Ops complete in queue order, so an observed op, if this is one, is at the ring's head.
    let observed: DeviceOp | undefined;
    const observedIds = state.observedIds;
    if (observedIds !== undefined && observedIds.peek() === c.opId) {
      observedIds.shift();
      observed = state.observedOps!.shift();
      // Rings never shrink: drop them once empty, so a million ops observed in flight do not
      // stay allocated on an idle queue (the profiler's bytes-per-record benchmark).
      if (observedIds.size === 0) {
        state.observedIds = undefined;
        state.observedOps = undefined;
      }
    }
    if (bus.active) {
      bus.emit(
        completedEvent(
          this.clock.now(),
          state.device,
          c.queue,
          c.opId,
          observed,
          c.status,
          c.startNs,
          c.endNs,
          c.failure?.code,
        ),
      );
    }
    let woke = false;
    if (state.listener !== undefined) {
      try {
        woke = state.listener(c) === true;
      } catch (error) {
        // A listener's bug must not break the backend's loop; report it on the bus and console.
        this.#reportError(
          `completion listener of queue ${state.handle} threw: ${errorMessage(error)}`,
          error,
        );
      }
    }
    const waiters = state.waiters;
    if (waiters !== undefined) {
      while (waiters.size > 0 && waiters.peek()!.target <= state.completed) {
        waiters.shift()!.resolve();
        woke = true;
      }
    }
    return woke;
  }

  /** Drops one pending user of a buffer; returns it when it had been released. */
  #dropUser(b: BufferState): BufferState | undefined {
    if (--b.users === 0 && b.released && !this.#closed) this.#releaseDeferred(b);
    return b.released ? b : undefined;
  }

  /** Gives a released buffer's memory back once the last op naming it has completed. */
  #releaseDeferred(b: BufferState): void {
    try {
      this.backend.release(b.address);
    } catch (error) {
      this.#reportError(
        `backend ${quote(this.backend.name)} failed to release ${b.handle}: ${errorMessage(error)}`,
        error,
      );
    }
  }

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

/**
 * Wraps a {@link DeviceBackend} in a checked {@link Device}. Refuses anything that is not a v1
 * backend with a coherent capability manifest.
 *
 * @example
 * ```ts
 * import { createDevice } from "@npurt/core";
 * import { MockDeviceBackend } from "@npurt/core/testing";
 *
 * const device = createDevice(new MockDeviceBackend());
 * const queue = device.createQueue();
 * const buf = device.allocate(1024);
 * device.enqueue(queue, { kind: "fill", dst: buf, value: 7 });
 * await device.drain(queue);
 * ```
 */
export function createDevice(backend: DeviceBackend, options?: CreateDeviceOptions): Device {
  validateBackend(backend);
  const bus = check.read(options, "createDevice options", ["instrumentation"]).instrumentation;
  if (bus !== undefined && !isInstrumentation(bus)) {
    throw new NpuTypeError(
      `createDevice options.instrumentation must be an Instrumentation, got ${describe(bus)}`,
    );
  }
  // A backend has one completion sink: a second device would take the first one's completions,
  // leaving its drains and listeners waiting forever.
  if (connected.has(backend)) {
    throw new NpuError(
      "ILLEGAL_STATE",
      `backend ${quote(backend.name)} already belongs to a device; create a new backend for each device`,
    );
  }
  connected.add(backend);
  return new Device(backend, bus === undefined ? {} : { instrumentation: bus });
}

const connected = new WeakSet<DeviceBackend>();

/** An {@link Instrumentation}, also one from a second installed copy of core (same shape). */
function isInstrumentation(value: unknown): value is Instrumentation {
  if (value instanceof Instrumentation) return true;
  if (typeof value !== "object" || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.emit === "function" && typeof v.subscribe === "function" && typeof v.active === "boolean";
}
