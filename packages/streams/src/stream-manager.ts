import {
  type AllocateOptions,
  type Device,
  type DeviceBuffer,
  type DType,
  type HostExecutor,
  type MemcpySpec,
  type MemsetSpec,
  type NpuError,
  NpuTypeError,
} from "@npurt/core";
import { check } from "@npurt/core/internal";
import type { ExceptionInfo } from "./exception-info.js";
import { Engine } from "./internal/engine.js";
import { reportHostWait, syncedDevice } from "./internal/host-wait-events.js";
import type { MemPool, MemPoolOptions } from "./memory-pool.js";
import { type ProfileBehaviours, type RuntimeProfile, resolveBehaviours } from "./profile.js";
import type { DeadlockReport, LeakReport, ResourceStats, StreamPoolStats } from "./reports.js";
import type { Stream } from "./stream.js";
import type { StreamEvent } from "./stream-event.js";
import type { CreateEventOptions, CreateStreamOptions, SynchronizeOptions } from "./stream-options.js";

/** Options of the stream pool. */
export interface StreamPoolOptions {
  /** Streams (with their hardware queues) to create up front on device 0 at the default priority; default 0. */
  readonly prewarm?: number;
  /** The most released streams kept for reuse; default 1024. 0 turns pooling off. */
  readonly bound?: number;
}

/** Options of {@link StreamManager}. Every behaviour option overrides the profile's choice. */
export interface StreamManagerOptions extends Partial<ProfileBehaviours> {
  /** Which runtime's semantics to follow where CANN and CUDA differ; default `'cann'`. */
  readonly profile?: RuntimeProfile;
  /** What runs host callbacks; default a new {@link FifoHostExecutor}. */
  readonly executor?: HostExecutor;
  /** The stream pool. */
  readonly pool?: StreamPoolOptions;
}

/**
 * Creates and tracks the streams and events of one {@link Device}: a pool of released streams
 * for reuse, the device's stream limit, device choice, device-wide synchronize, and the leak and
 * deadlock checks. Streams acquire their hardware queue on first use, as CANN's plain streams
 * do, so idle streams are cheap.
 *
 * @example
 * ```ts
 * import { createDevice } from "@npurt/core";
 * import { MockDeviceBackend } from "@npurt/core/testing";
 * import { StreamManager } from "@npurt/streams";
 *
 * const manager = new StreamManager(createDevice(new MockDeviceBackend()), { profile: "cann" });
 * const s = manager.create();
 * s.launch({ name: "noop" });
 * await s.synchronize();
 * await s.destroy();
 * console.log(manager.close()); // leak report: nothing left
 * ```
 */
export class StreamManager {
  readonly #engine: Engine;
  /** The device the manager runs on. */
  readonly device: Device;
  /** The behaviours in force (the profile's, with any overrides). */
  readonly behaviours: ProfileBehaviours;

  constructor(device: Device, options?: StreamManagerOptions) {
    if (typeof device !== "object" || device === null || typeof device.createQueue !== "function") {
      throw new NpuTypeError("device must be a Device from createDevice()");
    }
    const opts = check.options(options, "StreamManager options");
    const pool = check.options(opts.pool, "pool options");
    const bound = pool.bound === undefined ? 1024 : check.integer(pool.bound, "pool.bound", 0);
    const prewarm = pool.prewarm === undefined ? 0 : check.integer(pool.prewarm, "pool.prewarm", 0);
    const executor = opts.executor;
    if (executor !== undefined) {
      check.func(executor?.submit, "executor.submit");
      if (executor.useClock !== undefined) check.func(executor.useClock, "executor.useClock");
    }
    this.device = device;
    this.behaviours = resolveBehaviours(opts.profile, opts);
    this.#engine = new Engine(device, { behaviours: this.behaviours, executor, poolBound: bound });
    // An executor without a clock of its own times the callbacks with the device's.
    executor?.useClock?.(device.clock);
    if (prewarm > 0) this.#engine.prewarm(prewarm, 0, this.#engine.priorityRange.default);
  }

  /**
   * The last error (CUDA `cudaPeekAtLastError`, CANN `aclrtPeekAtLastError`): the coded error of
   * the latest call of this manager, its streams or its events that failed — refused arguments
   * included — or of the latest task that failed, whichever came last; `undefined` if none.
   * Overwritten by every error, so in continue-on-failure mode it may not be the first one.
   */
  peekAtLastError(): NpuError | undefined {
    return this.#engine.peekAtLastError();
  }

  /**
   * {@link StreamManager.peekAtLastError}, then resets it to none (CUDA `cudaGetLastError`, CANN
   * `aclrtGetLastError`). A sticky error (`'cuda'`) comes back with the next call it fails.
   */
  getLastError(): NpuError | undefined {
    return this.#engine.getLastError();
  }

  /**
   * Calls `listener(info)` for every task that fails — a device op or a host callback — with
   * the stream, device, op or callback id, code and error (CANN
   * `aclrtExceptionInfoCallbackRegister`; CUDA has no such hook, so the `'cuda'` profile offers
   * it as an extension). It is called in a microtask after the failure is reported, so it may
   * call the runtime; a listener that throws is reported as an `error` instrumentation event.
   * The failure still reaches the stream's next synchronize. Returns how to remove the listener.
   */
  onException(listener: (info: ExceptionInfo) => void): () => void {
    return this.#engine.onException(listener);
  }

  /**
   * Calls `listener(stream, state)` after every stream is created (`'create-post'`) and before
   * every stream is destroyed (`'destroy-pre'`), default streams included (CANN
   * `aclrtRegStreamStateCallback`). A name registers once (`INVALID_PARAM` for a second
   * registration); the returned function removes the listener. A listener that throws is
   * reported as an `error` instrumentation event; the create or destroy goes on.
   */
  onStreamState(
    name: string,
    listener: (stream: Stream, state: "create-post" | "destroy-pre") => void,
  ): () => void {
    return this.#engine.onStreamState(name, listener);
  }

  /**
   * How many more streams `device` (default 0) can create: its stream limit less the streams it
   * holds — live, draining, default — with pooled ones counted as free, since a new stream may
   * evict one (CANN `aclrtGetStreamAvailableNum`).
   */
  availableStreams(device?: number): number {
    return this.#engine.availableStreams(device);
  }

  /**
   * How many more limited events `device` (default 0) can hold: CANN counts events of
   * `aclrtCreateEventWithFlag` with `SYNC` from their creation and events of `aclrtCreateEvent`
   * from their first record against the device's event limit (its `maxCounters`), until they are
   * destroyed and their last record or wait has run. Ex events and CUDA's events are not
   * limited. Beyond the limit, creation (or the first record) is `NO_EVENT_RESOURCE`.
   */
  availableEvents(device?: number): number {
    return this.#engine.availableEvents(device);
  }

  /**
   * The default stream of `device` (default 0), made on first use (runtime-semantics §1.8): CANN's
   * per-context default stream (no implicit synchronization), CUDA's legacy default stream (it
   * synchronizes with every blocking stream of its device), or with `defaultStream:
   * 'per-thread'` an ordinary blocking stream. It counts against the device's stream limit,
   * `destroy()` refuses it with `INVALID_PARAM`, and it goes with {@link StreamManager.close}
   * after its work, without appearing in the leak report.
   */
  defaultStream(device?: number): Stream {
    return this.#engine.defaultStream(device);
  }

  /** The profile's priority numbers: `greatest` (most urgent), `least`, and the `default`. */
  get priorityRange(): { readonly greatest: number; readonly least: number; readonly default: number } {
    return this.#engine.priorityRange;
  }

  /** The executor host callbacks run on. */
  get executor(): HostExecutor {
    return this.#engine.executor;
  }

  /**
   * Creates a stream, reusing a pooled one (same device and priority) when there is one.
   * Throws `NO_STREAM_RESOURCE` when the device's stream limit (its `maxQueues`) is reached and
   * no pooled stream can make room.
   */
  create(options?: CreateStreamOptions): Stream {
    return this.#engine.createStream(options);
  }

  /** Destroys `stream` (see {@link Stream.destroy}). */
  destroy(stream: Stream, options?: { readonly force?: boolean }): Promise<void> {
    return this.#engine.destroyStream(stream, options);
  }

  /**
   * Adds `count` streams with hardware queues to the pool (within the pool bound and the device's
   * stream limit); returns how many were added.
   */
  prewarm(count: number, options?: { readonly device?: number; readonly priority?: number }): number {
    const n = check.integer(count, "count", 0);
    const opts = check.options(options, "prewarm options");
    return this.#engine.prewarm(n, opts.device ?? 0, opts.priority ?? this.#engine.priorityRange.default);
  }

  /** Creates an event (see {@link StreamEvent}). */
  createEvent(options?: CreateEventOptions): StreamEvent {
    return this.#engine.createEvent(options);
  }

  /**
   * Resolves when every stream of the device (all devices when `device` is omitted) has finished
   * what was submitted so far (CANN `aclrtSynchronizeDevice`). Rejects with the first stream
   * failure, a stopped device's error, or `STREAM_SYNC_TIMEOUT`.
   */
  synchronize(options?: SynchronizeOptions & { readonly device?: number }): Promise<void> {
    try {
      const engine = this.#engine;
      const device = this.device;
      return device.instrumentation.active
        ? reportHostWait(device, "device", syncedDevice(options), () => engine.synchronizeDevice(options))
        : engine.synchronizeDevice(options);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * The op execution timeout for kernels launched from now on (CANN
   * `aclrtSetOpExecuteTimeOutWithMs`, runtime-semantics §1.7 Op execution timeout): a kernel
   * still running `ms` milliseconds of device time after it started is stopped and fails with
   * `TASK_TIMEOUT`, which its stream's next synchronize reports — a hung kernel included.
   * `undefined` turns it off (the default: no timeout). Per manager, where CANN's is per
   * process. CANN rounds the value up to a multiple of the hardware's check interval; npurt uses
   * it as given. `FEATURE_NOT_SUPPORTED` in the `'cuda'` API model (CUDA has no such call) and on
   * a backend whose manifest does not claim `opTimeouts`.
   */
  setOpExecuteTimeout(ms: number | undefined): void {
    this.#engine.setOpExecuteTimeout(ms);
  }

  /** Lets a device that stopped on a failure (or a sticky error) take work again. */
  resetDevice(device = 0): void {
    this.#engine.resetDevice(device);
  }

  /**
   * Allocates device memory (core's `Device.allocate`: no padding, no synchronization), counted
   * in {@link StreamManager.resourceStats} and the leak report. `dtype` defaults to `float32`.
   */
  allocate(
    bytes: number,
    options?: { readonly device?: number; readonly tag?: string; readonly dtype?: DType },
  ): DeviceBuffer {
    return this.#engine.allocate(bytes, options);
  }

  /** Releases memory from {@link StreamManager.allocate}. */
  release(buffer: DeviceBuffer): void {
    this.#engine.release(buffer);
  }

  /**
   * Synchronous allocation as the profile's runtime does it (runtime-semantics §1.4 Sync
   * malloc): `'cann'` reserves the size rounded up to 32 bytes plus 32 bytes of padding
   * (`aclrtMalloc`), with no synchronization; `'cuda'` first waits for the device to finish its
   * queued work (`cudaMalloc` synchronizes the device). The buffer reports the size asked for.
   * Release it with {@link StreamManager.free} (or {@link StreamManager.release}).
   */
  malloc(bytes: number, options?: Omit<AllocateOptions, "reserveBytes">): Promise<DeviceBuffer> {
    return this.#engine.malloc(bytes, options);
  }

  /**
   * Synchronous free as the profile's runtime does it (runtime-semantics §1.4 Free): `'cann'`
   * frees at once without waiting for work that still uses the memory (`aclrtFree`; those ops
   * fail with `INVALID_HANDLE` — the caller's hazard), and refuses `null` (`INVALID_PARAM`);
   * `'cuda'` waits for the device first (`cudaFree` synchronizes it), and `free(null)` does
   * nothing. Pool memory is refused: free it with {@link Stream.freeAsync}.
   */
  free(buffer: DeviceBuffer | null): Promise<void> {
    return this.#engine.free(buffer);
  }

  /**
   * Frees `buffer` after the device has finished all its queued work (CANN
   * `aclrtFreeWithDevSync`), in both profiles: the safe free of memory queued work may still use.
   */
  freeWithDeviceSync(buffer: DeviceBuffer): Promise<void> {
    return this.#engine.freeWithDeviceSync(buffer);
  }

  /**
   * A synchronous copy (CANN `aclrtMemcpy`, CUDA `cudaMemcpy`): resolves once the bytes moved,
   * rejects with the copy's coded error. With the `'cuda'` profile's legacy default stream it
   * runs there, so it waits for the work issued so far on every blocking stream (and they wait
   * for it); with `'cann'` (every stream non-blocking, §1.8) it is ordered after nothing.
   */
  memcpy(spec: MemcpySpec): Promise<void> {
    return this.#engine.memcpy(spec);
  }

  /** A synchronous fill (CANN `aclrtMemset`, CUDA `cudaMemset`), ordered like {@link StreamManager.memcpy}. */
  memset(spec: MemsetSpec): Promise<void> {
    return this.#engine.memset(spec);
  }

  /**
   * Creates a memory pool for stream-ordered allocation (CUDA `cudaMemPoolCreate`, CANN
   * `aclrtMemPoolCreate`); see {@link MemPool} for its attributes.
   */
  createMemPool(options?: MemPoolOptions): MemPool {
    return this.#engine.createMemPool(options);
  }

  /**
   * The default memory pool of `device` (default 0), which {@link Stream.allocAsync} uses when
   * no pool is given (CUDA `cudaDeviceGetDefaultMemPool`). It cannot be destroyed.
   */
  defaultMemPool(device?: number): MemPool {
    return this.#engine.defaultMemPool(device);
  }

  /** Pool and population figures. */
  stats(): StreamPoolStats {
    return this.#engine.stats();
  }

  /** Counts per resource type (created, succeeded, released), as CANN logs them at finalize. */
  resourceStats(): ResourceStats {
    return this.#engine.resourceStats();
  }

  /** Streams blocked forever and why (see {@link DeadlockReport}). */
  findDeadlocks(): DeadlockReport[] {
    return this.#engine.findDeadlocks();
  }

  /**
   * Closes the manager and reports what was left alive (streams and events with their ids,
   * allocations). Left-over streams are force-destroyed and events destroyed; pooled queues are
   * freed. Later calls that create or submit throw `DEVICE_CLOSED`. The device stays open.
   */
  close(): LeakReport {
    return this.#engine.close();
  }
}

/** Creates a {@link StreamManager} (the same as `new StreamManager(device, options)`). */
export function createStreamManager(device: Device, options?: StreamManagerOptions): StreamManager {
  return new StreamManager(device, options);
}
