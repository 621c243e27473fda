import type {
  CompletionSink,
  DeviceBackend,
  DeviceCapabilities,
  DeviceDescriptor,
  MemoryInfo,
  OpCompletion,
} from "../backend/device-backend.js";
import {
  DEVICE_OP_KINDS,
  type DeviceOp,
  type KernelCost,
  type KernelParams,
  type MemRef,
} from "../backend/ops.js";
import type { Clock } from "../clock.js";
import { NpuError, NpuTypeError } from "../errors/npu-error.js";
import { check, describe } from "../errors/validate.js";
import { Instrumentation } from "../instrumentation/instrumentation.js";
import { RingQueue } from "../structures/ring-queue.js";
import { CounterHandle, DeviceBuffer, QueueHandle } from "./device-handles.js";
import { HandleTable } from "./handles.js";
import type { OpSpec } from "./op-spec.js";

/** Receives the completions of one queue's ops; return `true` when it woke host code. */
// biome-ignore lint/suspicious/noConfusingVoidType: most listeners return nothing; `void` lets them.
export type QueueCompletionListener = (completion: OpCompletion) => boolean | undefined | void;

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
}

/** Options of {@link createDevice}. */
export interface CreateDeviceOptions {
  /** The bus to emit on; by default the device creates its own. */
  readonly instrumentation?: Instrumentation;
}

interface QueueState {
  readonly handle: QueueHandle;
  readonly backendId: number;
  readonly listener: QueueCompletionListener | undefined;
  enqueued: number;
  completed: number;
  /**
   * Ids of the ops not completed yet, oldest first: a backend must report them in this order,
   * and `close()` reports them itself, since the backend no longer will.
   */
  readonly pendingIds: RingQueue<number>;
  /** The signal and wait ops among them, oldest first, with the counter each one holds. */
  counterOps: RingQueue<{ readonly opId: number; readonly counter: CounterState }> | undefined;
  /** Drain waiters: resolve when `completed` reaches `target`. */
  waiters: RingQueue<{ target: number; resolve: () => void; reject: (e: unknown) => void }> | undefined;
}

interface CounterState {
  readonly backendId: number;
  /** Pending signal and wait ops on the counter. */
  users: number;
  /** The handle was destroyed; the backend's counter goes once `users` drops to 0. */
  destroyed: boolean;
}

interface BufferState {
  readonly address: number;
}

interface OpMeta {
  readonly kind: string;
  readonly name: string;
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
  readonly #opMeta = new Map<number, OpMeta>();
  #nextOpId = 1;
  #closed = false;
  #closeListeners: (() => void)[] | undefined;

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
    const opts = check.options(options, "createQueue options");
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
      listener,
      enqueued: 0,
      completed: 0,
      pendingIds: new RingQueue(),
      counterOps: undefined,
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

  /** Destroys an idle queue. Throws `NOT_READY` while it has pending ops (drain or abort first). */
  destroyQueue(queue: QueueHandle): void {
    const state = this.#queues.get(queue, "queue");
    const pending = state.enqueued - state.completed;
    if (pending > 0) {
      throw new NpuError(
        "NOT_READY",
        `queue ${queue} has ${pending} pending op(s); drain or abort it first`,
        {
          details: { pending },
        },
      );
    }
    this.#queues.remove(queue);
    this.#queuesById.delete(state.backendId);
    this.backend.destroyQueue(state.backendId);
    const bus = this.instrumentation;
    if (bus.active) {
      bus.emit({
        type: "queue.destroyed",
        time: this.clock.now(),
        device: queue.device,
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
   * The op runs after every op enqueued before it on the same queue.
   */
  enqueue(queue: QueueHandle, spec: OpSpec): number {
    this.#assertOpen();
    const state = this.#queues.get(queue, "queue");
    const op = this.#toBackendOp(spec, queue.device);
    const opId = this.#nextOpId++;
    // Count the op only once the backend took it: a backend that throws here must not leave a
    // phantom pending op that drain() would wait for forever (nor an op.enqueued event for it).
    this.backend.enqueue(state.backendId, opId, op);
    state.enqueued++;
    state.pendingIds.push(opId);
    if (op.kind === "signal" || op.kind === "wait") {
      const counter = this.#counters.get((spec as { counter: unknown }).counter, "counter");
      counter.users++;
      if (state.counterOps === undefined) state.counterOps = new RingQueue();
      state.counterOps.push({ opId, counter });
    }
    const bus = this.instrumentation;
    if (bus.active) {
      const name = opName(op);
      this.#opMeta.set(opId, { kind: op.kind, name });
      bus.emit({
        type: "op.enqueued",
        time: this.clock.now(),
        device: queue.device,
        queue: state.backendId,
        opId,
        kind: op.kind,
        name,
        ...memoryAccesses(op),
      });
    }
    return opId;
  }

  /** Discards the queue's pending work: each op completes with status `'aborted'` (`STREAM_ABORT`). */
  abortQueue(queue: QueueHandle): void {
    const state = this.#queues.get(queue, "queue");
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
    const opts = check.options(options, "allocate options");
    const device = this.#deviceIndex(opts.device ?? 0);
    const size = check.integer(bytes, "bytes", 1);
    const tag = opts.tag === undefined ? undefined : check.string(opts.tag, "tag");
    const capacity = this.capabilities.devices[device]!.memoryBytes;
    if (size > capacity) {
      throw new NpuError(
        "MEMORY_ALLOCATION",
        `cannot allocate ${size} bytes on device ${device}: larger than its ${capacity} bytes of memory`,
        { details: { requested: size, capacity } },
      );
    }
    const address = this.backend.allocate(device, size);
    const buffer = this.#buffers.issue(
      { address },
      (o, s, g) => new DeviceBuffer(o, s, g, device, address, size, tag),
    );
    const bus = this.instrumentation;
    if (bus.active) {
      bus.emit({
        type: "memory.allocated",
        time: this.clock.now(),
        device,
        ptr: address,
        bytes: size,
        ...(tag === undefined ? {} : { tag }),
      });
    }
    return buffer;
  }

  /**
   * Releases a buffer at once, as CANN's `aclrtFree` does: it does not wait for queued ops that
   * use it. Releasing twice is `INVALID_HANDLE`.
   */
  release(buffer: DeviceBuffer): void {
    const state = this.#buffers.remove(buffer, "buffer");
    this.backend.release(state.address);
    const bus = this.instrumentation;
    if (bus.active) {
      bus.emit({
        type: "memory.released",
        time: this.clock.now(),
        device: buffer.device,
        ptr: state.address,
        bytes: buffer.bytes,
        ...(buffer.tag === undefined ? {} : { tag: buffer.tag }),
      });
    }
  }

  /** Memory accounting of device `index` (default 0). */
  memoryInfo(index = 0): MemoryInfo {
    return this.backend.memoryInfo(this.#deviceIndex(index));
  }

  /** Live buffers, for leak reports. */
  liveBuffers(): DeviceBuffer[] {
    return [...this.#buffers.entries()].map(([h]) => h);
  }

  // ---- counters -----------------------------------------------------------------------------

  /** Creates a timeline counter (starting at 0) on a device (default 0). */
  createCounter(options?: { readonly device?: number }): CounterHandle {
    this.#assertOpen();
    const opts = check.options(options, "createCounter options");
    const device = this.#deviceIndex(opts.device ?? 0);
    const backendId = this.backend.createCounter(device);
    return this.#counters.issue(
      { backendId, users: 0, destroyed: false },
      (o, s, g) => new CounterHandle(o, s, g, device),
    );
  }

  /**
   * Destroys a counter. The handle is refused from now on; as with `cudaEventDestroy` and
   * `aclrtDestroyEvent`, ops already enqueued that signal or wait on it still run, and the
   * backend's counter is released once they have completed.
   */
  destroyCounter(counter: CounterHandle): void {
    const state = this.#counters.remove(counter, "counter");
    state.destroyed = true;
    if (state.users === 0) this.backend.destroyCounter(state.backendId);
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
   * `DEVICE_CLOSED`, and every later call that would start work throws it. Ops that had not
   * completed are reported to their queue's listener (in queue order) as `'aborted'` with code
   * `DEVICE_CLOSED`, so code waiting on a completion is never left hanging. Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.backend.close();
    const states = [...this.#queuesById.values()];
    for (const state of states) {
      const waiters = state.waiters;
      if (waiters !== undefined) for (const w of waiters.drain()) w.reject(closedError());
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
        console.error("[npurt] a device close listener threw", error);
      }
    }
    const now = this.clock.now();
    const failure = {
      code: "DEVICE_CLOSED",
      message: "the device was closed before the op completed",
    } as const;
    for (const state of states) {
      while (state.pendingIds.size > 0) {
        const opId = state.pendingIds.peek()!;
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

  #onComplete(c: OpCompletion): boolean {
    const state = this.#queuesById.get(c.queue);
    const bus = this.instrumentation;
    if (state === undefined || state.pendingIds.peek() !== c.opId) {
      // A backend bug (a second report, or one out of queue order): dropping it keeps "exactly
      // once, in queue order" true for listeners; the report says what the backend did.
      const expected = state?.pendingIds.peek();
      const message =
        expected === undefined
          ? `backend ${this.backend.name} reported a completion for op ${c.opId} on queue ${c.queue}, which has none pending`
          : `backend ${this.backend.name} reported op ${c.opId} on queue ${c.queue} out of queue order (op ${expected} is next); ignored`;
      this.#reportError(message, undefined);
      return false;
    }
    state.pendingIds.shift();
    state.completed++;
    const counterOps = state.counterOps;
    if (counterOps !== undefined && counterOps.size > 0 && counterOps.peek()!.opId === c.opId) {
      const counter = counterOps.shift()!.counter;
      if (--counter.users === 0 && counter.destroyed && !this.#closed)
        this.backend.destroyCounter(counter.backendId);
    }
    if (bus.active) {
      const meta = this.#opMeta.get(c.opId);
      this.#opMeta.delete(c.opId);
      bus.emit({
        type: "op.completed",
        time: this.clock.now(),
        device: state.handle.device,
        queue: c.queue,
        opId: c.opId,
        kind: meta?.kind ?? "unknown",
        name: meta?.name ?? "",
        status: c.status,
        startNs: c.startNs,
        endNs: c.endNs,
        ...(c.failure === undefined ? {} : { code: c.failure.code }),
      });
    } else if (this.#opMeta.size > 0) {
      this.#opMeta.delete(c.opId);
    }
    let woke = false;
    if (state.listener !== undefined) {
      try {
        woke = state.listener(c) === true;
      } catch (error) {
        // A listener's bug must not break the backend's loop; report it on the bus and console.
        this.#reportError(`completion listener of queue ${state.handle} threw: ${String(error)}`, error);
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

  /** Reports a bug nobody can catch (it happened inside the backend's loop): on the bus, else the console. */
  #reportError(message: string, error: unknown): void {
    const bus = this.instrumentation;
    if (bus.active) {
      bus.emit({ type: "error", time: this.clock.now(), code: "INTERNAL_ERROR", message, source: "device" });
    } else if (error === undefined) console.error(`[npurt] ${message}`);
    else console.error(`[npurt] ${message}`, error);
  }

  #assertOpen(): void {
    if (this.#closed) throw closedError();
  }

  #deviceIndex(index: unknown): number {
    return check.integer(index, "device index", 0, this.capabilities.devices.length - 1);
  }

  #memRef(ref: unknown, what: string): MemRef {
    let buffer: unknown = ref;
    let offset = 0;
    let bytes: number | undefined;
    if (!this.#buffers.has(ref) && typeof ref === "object" && ref !== null && "buffer" in ref) {
      const slice = ref as { buffer: unknown; offset?: unknown; bytes?: unknown };
      buffer = slice.buffer;
      if (slice.offset !== undefined) offset = check.integer(slice.offset, `${what}.offset`, 0);
      if (slice.bytes !== undefined) bytes = check.integer(slice.bytes, `${what}.bytes`, 0);
    }
    const state = this.#buffers.get(buffer, what);
    const size = (buffer as DeviceBuffer).bytes;
    const length = bytes ?? size - offset;
    if (offset + length > size || length < 0) {
      throw new NpuError(
        "INVALID_PARAM",
        `${what}: range [${offset}, ${offset + length}) is outside the ${size}-byte buffer`,
        { details: { offset, bytes: length, size } },
      );
    }
    return { base: state.address, offset, bytes: length };
  }

  #memRefs(list: unknown, what: string): readonly MemRef[] {
    if (list === undefined) return NO_REFS;
    if (!Array.isArray(list))
      throw new NpuTypeError(`${what} must be an array of buffers, got ${describe(list)}`);
    return list.map((ref, i) => this.#memRef(ref, `${what}[${i}]`));
  }

  #toBackendOp(spec: unknown, device: number): DeviceOp {
    if (typeof spec !== "object" || spec === null)
      throw new NpuTypeError(`op must be an object, got ${describe(spec)}`);
    const s = spec as Record<string, unknown>;
    const kind = s.kind;
    if (!DEVICE_OP_KINDS.includes(kind as DeviceOp["kind"])) {
      throw new NpuError(
        "INVALID_PARAM",
        `unknown op kind ${describe(kind)}; expected one of ${DEVICE_OP_KINDS.join(", ")}`,
      );
    }
    if (!this.capabilities.ops.includes(kind as DeviceOp["kind"])) {
      throw new NpuError(
        "FEATURE_NOT_SUPPORTED",
        `backend ${this.backend.name} does not execute "${String(kind)}" ops`,
      );
    }
    switch (kind) {
      case "kernel": {
        const name = check.string(s.name, "kernel name");
        const known = this.capabilities.kernels;
        if (known !== undefined && !known.includes(name)) {
          throw new NpuError(
            "INVALID_PARAM",
            `unknown kernel "${name}"; backend ${this.backend.name} knows ${known.join(", ")}`,
          );
        }
        const units = this.capabilities.devices[device]!.computeUnits;
        const blockDim = s.blockDim === undefined ? 1 : check.integer(s.blockDim, "blockDim", 1);
        if (blockDim > units) {
          throw new NpuError(
            "INVALID_PARAM",
            `blockDim ${blockDim} exceeds the ${units} compute units of device ${device}`,
            {
              details: { blockDim, computeUnits: units },
            },
          );
        }
        if (s.params !== undefined) check.options(s.params as object, "kernel params");
        if (s.cost !== undefined) checkCost(s.cost);
        return {
          kind: "kernel",
          name,
          blockDim,
          inputs: this.#memRefs(s.inputs, "inputs"),
          outputs: this.#memRefs(s.outputs, "outputs"),
          params: s.params as KernelParams | undefined,
          cost: s.cost as KernelCost | undefined,
        };
      }
      case "copy":
        return this.#copyOp(s);
      case "fill": {
        const value = check.integer(s.value, "fill value", 0, 255);
        return { kind: "fill", dst: this.#memRef(s.dst, "dst"), value };
      }
      case "signal":
      case "wait": {
        const counter = this.#counters.get(s.counter, "counter");
        const value = check.integer(s.value, `${kind} value`, 0);
        return { kind, counter: counter.backendId, value };
      }
    }
    throw new NpuError("INTERNAL_ERROR", "unreachable");
  }

  #copyOp(s: Record<string, unknown>): DeviceOp {
    const srcHost = ArrayBuffer.isView(s.src);
    const dstHost = ArrayBuffer.isView(s.dst);
    if (srcHost && dstHost) {
      throw new NpuError(
        "INVALID_PARAM",
        "copy needs a device buffer on at least one side (host-to-host is not a device op)",
      );
    }
    const bytes = s.bytes === undefined ? undefined : check.integer(s.bytes, "copy bytes", 0);
    const direction = srcHost ? "h2d" : dstHost ? "d2h" : "d2d";
    if (!this.capabilities.copyDirections.includes(direction)) {
      throw new NpuError("FEATURE_NOT_SUPPORTED", `backend ${this.backend.name} does not copy ${direction}`);
    }
    const srcRef = srcHost ? undefined : this.#memRef(s.src, "src");
    const dstRef = dstHost ? undefined : this.#memRef(s.dst, "dst");
    const srcLength = srcRef?.bytes ?? (s.src as ArrayBufferView).byteLength;
    const length = bytes ?? srcLength;
    const dstLength = dstRef?.bytes ?? (s.dst as ArrayBufferView).byteLength;
    if (length > srcLength || length > dstLength) {
      throw new NpuError(
        "INVALID_PARAM",
        `copy of ${length} bytes does not fit: source has ${srcLength}, destination ${dstLength}`,
        { details: { bytes: length, srcBytes: srcLength, dstBytes: dstLength } },
      );
    }
    const hostView = (v: ArrayBufferView) => new Uint8Array(v.buffer, v.byteOffset, length);
    const clip = (r: MemRef): MemRef =>
      r.bytes === length ? r : { base: r.base, offset: r.offset, bytes: length };
    if (direction === "h2d")
      return { kind: "copy", direction, src: hostView(s.src as ArrayBufferView), dst: clip(dstRef!) };
    if (direction === "d2h")
      return { kind: "copy", direction, src: clip(srcRef!), dst: hostView(s.dst as ArrayBufferView) };
    return { kind: "copy", direction, src: clip(srcRef!), dst: clip(dstRef!) };
  }
}

// Kernels without declared inputs or outputs share one frozen empty list: two fewer allocations
// per launch, which is most of a queued op's memory on a fast backend.
const NO_REFS: readonly MemRef[] = Object.freeze([]);

function checkCost(cost: unknown): void {
  const c = check.options(cost as object, "kernel cost") as Record<string, unknown>;
  for (const key of ["flops", "bytes", "durationNs"] as const) {
    if (c[key] !== undefined && check.number(c[key], `cost.${key}`) < 0) {
      throw new NpuError("INVALID_PARAM", `cost.${key} must not be negative, got ${String(c[key])}`);
    }
  }
}

function closedError(): NpuError {
  return new NpuError("DEVICE_CLOSED", "the device is closed");
}

function opName(op: DeviceOp): string {
  switch (op.kind) {
    case "kernel":
      return op.name;
    case "copy":
      return op.direction;
    case "fill":
      return "fill";
    default:
      return `counter:${op.counter}=${op.value}`;
  }
}

function flatten(refs: readonly MemRef[]): number[] {
  const out: number[] = [];
  for (const r of refs) out.push(r.base, r.offset, r.bytes);
  return out;
}

function memoryAccesses(op: DeviceOp): { reads?: number[]; writes?: number[] } {
  switch (op.kind) {
    case "kernel":
      return { reads: flatten(op.inputs), writes: flatten(op.outputs) };
    case "copy":
      return {
        ...(op.direction === "h2d" ? {} : { reads: flatten([op.src]) }),
        ...(op.direction === "d2h" ? {} : { writes: flatten([op.dst]) }),
      };
    case "fill":
      return { writes: flatten([op.dst]) };
    default:
      return {};
  }
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
  if (typeof backend !== "object" || backend === null) {
    throw new NpuTypeError(`backend must be a DeviceBackend object, got ${describe(backend)}`);
  }
  const version = (backend as { specificationVersion?: unknown }).specificationVersion;
  if (version !== "v1") {
    throw new NpuError(
      "FEATURE_NOT_SUPPORTED",
      `backend specificationVersion ${describe(version)} is not supported; this core implements "v1"`,
    );
  }
  for (const method of [
    "connect",
    "createQueue",
    "destroyQueue",
    "enqueue",
    "abortQueue",
    "allocate",
    "release",
    "memoryInfo",
    "createCounter",
    "destroyCounter",
    "counterValue",
    "signalCounter",
    "close",
  ] as const) {
    check.func(backend[method], `backend.${method}`);
  }
  validateCapabilities(backend.capabilities);
  const opts = check.options(options, "createDevice options");
  // A backend has one completion sink: a second device would take the first one's completions,
  // leaving its drains and listeners waiting forever.
  if (connected.has(backend)) {
    throw new NpuError(
      "ILLEGAL_STATE",
      `backend ${String(backend.name)} already belongs to a device; create a new backend for each device`,
    );
  }
  connected.add(backend);
  return new Device(
    backend,
    opts.instrumentation === undefined ? {} : { instrumentation: opts.instrumentation },
  );
}

const connected = new WeakSet<DeviceBackend>();

function validateCapabilities(caps: DeviceCapabilities): void {
  if (typeof caps !== "object" || caps === null)
    throw new NpuTypeError("backend.capabilities must be an object");
  if (!Array.isArray(caps.devices) || caps.devices.length === 0) {
    throw new NpuError("INVALID_PARAM", "backend.capabilities.devices must list at least one device");
  }
  caps.devices.forEach((d, i) => {
    if (d.index !== i) throw new NpuError("INVALID_PARAM", `capabilities.devices[${i}].index must be ${i}`);
    check.integer(d.computeUnits, `devices[${i}].computeUnits`, 1);
    check.number(d.memoryBytes, `devices[${i}].memoryBytes`);
  });
  const p = caps.priorities;
  if (typeof p !== "object" || p === null)
    throw new NpuTypeError("capabilities.priorities must be an object");
  check.integer(p.greatest, "priorities.greatest");
  check.integer(p.least, "priorities.least", p.greatest);
  // Read on every enqueue: a malformed list would surface later as a bare TypeError.
  checkList(caps.ops, "capabilities.ops", DEVICE_OP_KINDS);
  checkList(caps.copyDirections, "capabilities.copyDirections", ["h2d", "d2h", "d2d"]);
  if (caps.kernels !== undefined) {
    if (!Array.isArray(caps.kernels))
      throw new NpuTypeError("capabilities.kernels must be an array or undefined");
    for (const [i, k] of caps.kernels.entries()) check.string(k, `capabilities.kernels[${i}]`);
  }
}

function checkList(list: unknown, what: string, allowed: readonly string[]): void {
  if (!Array.isArray(list)) throw new NpuTypeError(`${what} must be an array, got ${describe(list)}`);
  for (const [i, v] of list.entries()) check.oneOf(v, allowed, `${what}[${i}]`);
}
