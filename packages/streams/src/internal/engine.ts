import {
  type AllocateOptions,
  type Device,
  type DeviceBuffer,
  type HostExecutor,
  type MemcpySpec,
  type MemsetSpec,
  NpuError,
  type OpCompletion,
  type OpSpec,
} from "@npurt/core";
import { check } from "@npurt/core/internal";
import type { CallbackContext } from "../callback-context.js";
import type { ExceptionInfo } from "../exception-info.js";
import { FifoHostExecutor } from "../fifo-host-executor.js";
import type { AllocAsyncOptions, MemPool, MemPoolOptions } from "../memory-pool.js";
import type { OpHandle } from "../op-handle.js";
import type { ProfileBehaviours } from "../profile.js";
import type { DeadlockReport, LeakReport, ResourceStats, StreamPoolStats } from "../reports.js";
import type { Stream } from "../stream.js";
import type { StreamEvent } from "../stream-event.js";
import type {
  CreateEventOptions,
  CreateStreamOptions,
  HostCallbackOptions,
  SynchronizeOptions,
  WaitEventOptions,
} from "../stream-options.js";
import { assertNotInCallback } from "./callback-scope.js";
import { findDeadlocks } from "./deadlocks.js";
import { DefaultStreams } from "./default-streams.js";
import { DrainWaits } from "./drain-waits.js";
import type { EventPort } from "./event-port.js";
import { EventTimeline } from "./event-timeline.js";
import { HostCallbacks } from "./host-callbacks.js";
import { MemoryPools } from "./memory-pools.js";
import { PersistentStreams } from "./persistent-streams.js";
import { type PriorityRange, priorityRangeOf } from "./priorities.js";
import type { EventRecord, SpecialOp, StreamExtras, StreamRecord } from "./records.js";
import { Runtime } from "./runtime.js";
import { StreamLifecycle } from "./stream-lifecycle.js";
import type { StreamPort } from "./stream-port.js";
import { updateStreamState } from "./stream-status.js";
import { SyncMemory } from "./sync-memory.js";

export type { PriorityRange } from "./priorities.js";

/** The resolved options the engine runs with. */
export interface EngineOptions {
  readonly behaviours: ProfileBehaviours;
  readonly executor: HostExecutor | undefined;
  readonly poolBound: number;
}

const NOOP = (): void => {};

/**
 * The stream runtime behind {@link StreamManager}, {@link Stream} and {@link StreamEvent}: the
 * composition root that builds the runtime core and the concept modules, wires the core's hooks
 * to them, and serves the handles' ports. It holds no state of its own beyond its parts.
 */
export class Engine implements StreamPort, EventPort {
  readonly #rt: Runtime;
  readonly #lifecycle: StreamLifecycle;
  readonly #waits: DrainWaits;
  readonly #events: EventTimeline;
  readonly #callbacks: HostCallbacks;
  readonly #defaults: DefaultStreams;
  readonly #persistent: PersistentStreams;
  readonly #pools: MemoryPools;
  /** What a synchronize does with its outcome, per device (index + 1; 0 for all devices). */
  readonly #observers: ((error: unknown) => void)[] = [];
  readonly #syncMemory: SyncMemory;
  readonly #offClose: () => void;

  constructor(device: Device, options: EngineOptions) {
    const executor = options.executor ?? new FifoHostExecutor();
    const rt = new Runtime(device, options.behaviours, executor, options.poolBound, (rec) =>
      this.#lifecycle.freeRecord(rec),
    );
    this.#rt = rt;
    this.#waits = new DrainWaits(rt);
    this.#events = new EventTimeline(rt, this);
    this.#callbacks = new HostCallbacks(rt, this.#waits, this.#events);
    this.#lifecycle = new StreamLifecycle(
      rt,
      this,
      this.#waits,
      this.#callbacks,
      priorityRangeOf(options.behaviours, device.capabilities),
    );
    this.#defaults = new DefaultStreams(rt, this.#lifecycle);
    this.#persistent = new PersistentStreams(rt, (rec, spec, api) => this.submit(rec, spec, api));
    this.#pools = new MemoryPools(rt);
    this.#syncMemory = new SyncMemory(rt, (d) => this.#defaults.get(d));
    rt.hooks = {
      onSpecialDone: (rec, op, c) => this.#onSpecialDone(rec, op, c),
      settleDrains: (rec) => this.#waits.settle(rec),
      releaseIfDrained: (rec) => this.#lifecycle.releaseIfDrained(rec),
      abortStream: (rec, why, error) => this.#lifecycle.abortRecord(rec, why, error),
      failEvents: (d, error) => this.#events.failEvents(d, error),
      implicitSync: (rec, legacy, queue) => this.#defaults.implicitSync(rec, legacy, queue),
    };
    // Last, since a device closed already calls back at once.
    this.#offClose = device.onClose(() => rt.onDeviceClosed());
  }

  #onSpecialDone(rec: StreamRecord, op: SpecialOp, c: OpCompletion): boolean {
    switch (op.kind) {
      case "record":
        return this.#events.onRecordDone(rec, op, c);
      case "wait":
        this.#events.onWaitDone(rec, op);
        return false;
      case "callback":
        return this.#callbacks.onMarkerDone(op.callback, c.status === "ok");
      case "release":
        return false; // the callback's own finish already released the stream
      case "reset":
        this.#events.onResetDone(op);
        return false;
      case "barrier":
        // A timed event wait (its event's wait status counts it), or the legacy default
        // stream's implicit sync (nothing to release).
        if (op.event !== undefined) op.event.pendingWaits--;
        return false;
    }
  }

  get device(): Device {
    return this.#rt.device;
  }

  get executor(): HostExecutor {
    return this.#rt.executor;
  }

  get priorityRange(): PriorityRange {
    return this.#lifecycle.priorityRange;
  }

  get closed(): boolean {
    return this.#rt.closed;
  }

  // ---- streams ------------------------------------------------------------------------------

  createStream(options: CreateStreamOptions | undefined): Stream {
    // Not through #guard: a closure per create is a tenth of a pooled create+destroy.
    try {
      return this.#lifecycle.create(options);
    } catch (error) {
      this.#rt.noteError(error);
      throw error;
    }
  }

  defaultStream(device: unknown): Stream {
    return this.#guard(() => {
      this.#rt.assertOpen();
      return this.#defaults.get(device);
    });
  }

  /** The last error of any call (CUDA `cudaPeekAtLastError`, CANN `aclrtPeekAtLastError`). */
  peekAtLastError(): NpuError | undefined {
    return this.#rt.lastError;
  }

  /** The last error, reset to none (CUDA `cudaGetLastError`, CANN `aclrtGetLastError`). */
  getLastError(): NpuError | undefined {
    const error = this.#rt.lastError;
    this.#rt.lastError = undefined;
    return error;
  }

  /** Runs a runtime call, remembering the coded error it throws as the last error. */
  #guard<T>(call: () => T): T {
    try {
      return call();
    } catch (error) {
      this.#rt.noteError(error);
      throw error;
    }
  }

  /**
   * What a synchronize does with its outcome before its promise settles: on success the pools
   * give idle memory above their threshold back; on failure the error becomes the last error.
   * Heard inside the wait rather than through `.then` layers: a launch+synchronize round trip is
   * a few microseconds, and each promise layer adds a microtask to it.
   */
  #afterSynchronize(device: number | undefined): (error: unknown) => void {
    // One per device (and one for all devices), made at first use: not a closure per call. A
    // device index the synchronize will refuse gets one of its own (and is never a cache key).
    const valid =
      device === undefined ||
      (Number.isInteger(device) && device >= 0 && device < this.#rt.device.deviceCount);
    const key = device === undefined ? 0 : device + 1;
    let observe = valid ? this.#observers[key] : undefined;
    if (observe === undefined) {
      observe = (error) => {
        if (error === undefined) this.#pools.afterSynchronize(device);
        else this.#rt.noteError(error);
      };
      if (valid) this.#observers[key] = observe;
    }
    return observe;
  }

  /** Remembers the coded error a promise rejects with as the last error; settles as it does. */
  #watch(p: Promise<void>): Promise<void> {
    return p.catch((error: unknown) => {
      this.#rt.noteError(error);
      throw error;
    });
  }

  onException(listener: unknown): () => void {
    const fn = check.func<(info: ExceptionInfo) => void>(listener, "exception listener");
    const set = this.#rt.exceptionListeners;
    set.add(fn);
    return () => {
      set.delete(fn);
    };
  }

  onStreamState(name: unknown, listener: unknown): () => void {
    return this.#lifecycle.onStreamState(name, listener);
  }

  availableStreams(device: unknown): number {
    return this.#lifecycle.available(device);
  }

  availableEvents(device: unknown): number {
    return this.#guard(() => {
      const rt = this.#rt;
      const d =
        device === undefined ? 0 : check.integer(device, "device index", 0, rt.device.deviceCount - 1);
      return this.#events.availableEvents(d);
    });
  }

  setFailureMode(rec: StreamRecord, mode: unknown): void {
    this.#guard(() => this.#lifecycle.setFailureMode(rec, mode));
  }

  prewarm(count: number, device: number, priority: number): number {
    return this.#lifecycle.prewarm(count, device, priority);
  }

  streamOf(handle: unknown): StreamRecord {
    return this.#guard(() => this.#rt.streams.get(handle, "stream"));
  }

  setOpExecuteTimeout(ms: unknown): void {
    this.#guard(() => {
      const rt = this.#rt;
      rt.assertOpen();
      if (rt.behaviours.apiModel === "cuda") {
        throw new NpuError(
          "FEATURE_NOT_SUPPORTED",
          "CUDA has no op execution timeout (aclrtSetOpExecuteTimeOut is CANN's)",
        );
      }
      if (ms === undefined) {
        rt.opTimeoutNs = undefined;
        return;
      }
      const n = check.number(ms, "op execute timeout ms");
      const ns = Math.ceil(n * 1e6);
      if (!(n > 0) || !Number.isSafeInteger(ns)) {
        throw new NpuError("INVALID_PARAM", `op execute timeout must be a positive number of ms, got ${n}`);
      }
      if (rt.device.capabilities.opTimeouts !== true) {
        throw new NpuError(
          "FEATURE_NOT_SUPPORTED",
          `backend ${rt.device.backend.name} does not stop kernels at a timeout`,
        );
      }
      rt.opTimeoutNs = ns;
    });
  }

  submit(rec: StreamRecord, spec: OpSpec & { kind: "kernel" | "copy" | "fill" }, api: string): OpHandle {
    const rt = this.#rt;
    try {
      if (rec.extras?.mode !== undefined) return this.#persistent.keep(rec, spec, api);
      // The manager's op execution timeout applies to kernels that do not state their own.
      if (rt.opTimeoutNs !== undefined && spec.kind === "kernel" && spec.timeoutNs === undefined)
        spec = { ...spec, timeoutNs: rt.opTimeoutNs };
      const queue = rt.queueForWork(rec, api);
      const seq = rt.enqueue(rec, queue, spec);
      updateStreamState(rt, rec);
      return rt.opHandle(rec, seq, spec.kind);
    } catch (error) {
      rt.noteError(error);
      throw error;
    }
  }

  opSpec<K extends "kernel" | "copy" | "fill">(spec: unknown, kind: K): Extract<OpSpec, { kind: K }> {
    const s = check.options(spec as object, kind) as Record<string, unknown>;
    return (s.kind === kind ? s : { ...s, kind }) as unknown as Extract<OpSpec, { kind: K }>;
  }

  query(rec: StreamRecord): "complete" | "not-ready" {
    return this.#guard(() => this.#waits.query(rec));
  }

  synchronizeStream(rec: StreamRecord, options: SynchronizeOptions | undefined): Promise<void> {
    const device = rec.device;
    // A stream synchronize is where pools give idle memory above their release threshold back.
    return this.#waits.synchronizeStream(rec, options, this.#afterSynchronize(device));
  }

  synchronizeDevice(options: (SynchronizeOptions & { readonly device?: number }) | undefined): Promise<void> {
    const device = typeof options?.device === "number" ? options.device : undefined;
    return this.#waits.synchronizeDevice(options, this.#afterSynchronize(device));
  }

  abort(rec: StreamRecord): void {
    this.#guard(() => this.#lifecycle.abort(rec));
  }

  persistentTaskCount(rec: StreamRecord): number {
    return this.#persistent.count(rec);
  }

  cleanPersistentTasks(rec: StreamRecord): void {
    this.#guard(() => this.#persistent.clean(rec));
  }

  executeOn(rec: StreamRecord, target: unknown): OpHandle[] {
    return this.#guard(() => this.#persistent.executeOn(rec, this.#rt.streams.get(target, "stream")));
  }

  destroyStream(handle: unknown, options: { force?: boolean } | undefined): Promise<void> {
    try {
      return this.#lifecycle.destroy(handle as Stream, options, this.#afterDestroy);
    } catch (error) {
      this.#rt.noteError(error);
      throw error;
    }
  }

  /** What the other concepts forget of a destroyed stream (one function, not a closure per destroy). */
  readonly #afterDestroy = (id: number, extras: StreamExtras | undefined): void => {
    // CANN frees a persistent stream's tasks when the stream is destroyed.
    const kept = extras?.persistent;
    if (kept !== undefined) this.#persistent.drop(id, kept, "the persistent stream was destroyed");
    this.#pools.forgetStream(id);
  };

  resetDevice(device: unknown): void {
    try {
      assertNotInCallback("StreamManager.resetDevice");
      const rt = this.#rt;
      if (rt.deviceClosed !== undefined) throw rt.deviceClosed;
      rt.resetDevice(check.integer(device ?? 0, "device index", 0, rt.device.deviceCount - 1));
    } catch (error) {
      this.#rt.noteError(error);
      throw error;
    }
  }

  launchCallback(
    rec: StreamRecord,
    fn: (ctx: CallbackContext) => unknown,
    options: HostCallbackOptions | undefined,
  ): OpHandle {
    return this.#guard(() => this.#callbacks.launch(rec, fn, options));
  }

  // ---- events -------------------------------------------------------------------------------

  createEvent(options: CreateEventOptions | undefined): StreamEvent {
    return this.#guard(() => this.#events.createEvent(options));
  }

  eventOf(handle: unknown): EventRecord {
    return this.#guard(() => this.#events.eventOf(handle));
  }

  record(rec: StreamRecord, event: unknown): OpHandle {
    return this.#guard(() => {
      const op = this.#events.record(rec, event);
      this.#pools.noteRecord(rec, this.#events.eventOf(event));
      return op;
    });
  }

  waitEvent(rec: StreamRecord, event: unknown, options: WaitEventOptions | undefined): OpHandle {
    return this.#guard(() => {
      const op = this.#events.waitEvent(rec, event, options);
      // A wait for a future record orders nothing yet; a plain one follows the latest record.
      if (options?.future !== true) this.#pools.noteWait(rec, this.#events.eventOf(event));
      return op;
    });
  }

  eventWaitStatus(ev: EventRecord): "complete" | "not-ready" {
    return this.#guard(() => this.#events.eventWaitStatus(ev));
  }

  eventQuery(ev: EventRecord): "complete" | "not-ready" {
    return this.#guard(() => this.#events.eventQuery(ev));
  }

  eventSynchronize(ev: EventRecord, options: SynchronizeOptions | undefined): Promise<void> {
    return this.#watch(this.#events.eventSynchronize(ev, options));
  }

  elapsedTime(start: EventRecord, end: EventRecord): number {
    return this.#guard(() => this.#events.elapsedTime(start, end));
  }

  resetEvent(rec: StreamRecord, event: unknown): OpHandle {
    return this.#guard(() => this.#events.resetEvent(rec, event));
  }

  destroyEvent(handle: unknown): void {
    this.#guard(() => this.#events.destroyEvent(handle));
  }

  // ---- memory -------------------------------------------------------------------------------

  allocate(bytes: number, options: AllocateOptions | undefined): DeviceBuffer {
    try {
      assertNotInCallback("StreamManager.allocate");
      const rt = this.#rt;
      rt.assertOpen();
      rt.stats.allocations.created++;
      // CUDA: a sticky error is returned by every later call, cudaMalloc included.
      if (rt.behaviours.stickyErrors) {
        const d = options?.device;
        const sticky = rt.stoppedError(typeof d === "number" && Number.isInteger(d) ? d : 0);
        if (sticky !== undefined) throw sticky;
      }
      const buffer = rt.device.allocate(bytes, options);
      rt.stats.allocations.succeeded++;
      return buffer;
    } catch (error) {
      this.#rt.noteError(error);
      throw error;
    }
  }

  release(buffer: DeviceBuffer): void {
    try {
      assertNotInCallback("StreamManager.release");
      const rt = this.#rt;
      rt.stats.allocations.released++;
      if (this.#pools.owns(buffer)) {
        throw new NpuError(
          "INVALID_PARAM",
          `${String(buffer)} belongs to a memory pool: free it with Stream.freeAsync`,
        );
      }
      rt.device.release(buffer);
      rt.stats.allocations.releasedOk++;
    } catch (error) {
      this.#rt.noteError(error);
      throw error;
    }
  }

  // ---- memory pools and memory outside streams ------------------------------------------------

  createMemPool(options: MemPoolOptions | undefined): MemPool {
    return this.#guard(() => this.#pools.create(options));
  }

  defaultMemPool(device: unknown): MemPool {
    return this.#guard(() => this.#pools.defaultPool(device));
  }

  allocAsync(rec: StreamRecord, bytes: unknown, options: AllocAsyncOptions | undefined): DeviceBuffer {
    return this.#guard(() => {
      this.#assertTakesWork(rec);
      return this.#pools.allocAsync(rec, bytes, options);
    });
  }

  freeAsync(rec: StreamRecord, buffer: unknown): void {
    this.#guard(() => {
      this.#assertTakesWork(rec);
      this.#pools.freeAsync(rec, buffer);
    });
  }

  /** Stream-ordered calls are stream work: refused where a launch would be. */
  #assertTakesWork(rec: StreamRecord): void {
    const stopped = this.#rt.stoppedError(rec.device);
    if (stopped !== undefined || rec.state === "ABORTED") this.#rt.queueForWork(rec, "Stream.allocAsync");
  }

  malloc(bytes: unknown, options: AllocateOptions | undefined): Promise<DeviceBuffer> {
    return this.#watchValue(this.#syncMemory.malloc(bytes, options));
  }

  free(buffer: DeviceBuffer | null): Promise<void> {
    if (buffer !== null && buffer !== undefined && this.#pools.owns(buffer)) {
      const error = new NpuError(
        "INVALID_PARAM",
        `${String(buffer)} belongs to a memory pool: free it with Stream.freeAsync`,
      );
      this.#rt.noteError(error);
      return Promise.reject(error);
    }
    return this.#watch(this.#syncMemory.free(buffer));
  }

  freeWithDeviceSync(buffer: DeviceBuffer): Promise<void> {
    return this.#watch(this.#syncMemory.freeWithDeviceSync(buffer));
  }

  memcpy(spec: MemcpySpec): Promise<void> {
    return this.#watch(this.#syncMemory.memcpy(spec));
  }

  memset(spec: MemsetSpec): Promise<void> {
    return this.#watch(this.#syncMemory.memset(spec));
  }

  #watchValue<T>(p: Promise<T>): Promise<T> {
    return p.catch((error: unknown) => {
      this.#rt.noteError(error);
      throw error;
    });
  }

  // ---- reports ------------------------------------------------------------------------------

  stats(): StreamPoolStats {
    const rt = this.#rt;
    let queues = rt.pool.size;
    for (const rec of rt.allStreams()) if (rec.queue !== undefined) queues++;
    return {
      created: this.#lifecycle.created,
      active: rt.streams.size,
      pooled: rt.pool.size,
      peak: this.#lifecycle.peak,
      reused: rt.pool.reused,
      draining: rt.draining.size,
      queues,
    };
  }

  resourceStats(): ResourceStats {
    const s = this.#rt.stats;
    return {
      streams: s.streams.snapshot(),
      events: s.events.snapshot(),
      eventRecords: s.eventRecords.snapshot(),
      callbacks: s.callbacks.snapshot(),
      allocations: s.allocations.snapshot(),
    };
  }

  findDeadlocks(): DeadlockReport[] {
    return findDeadlocks(this.#rt);
  }

  close(): LeakReport {
    const rt = this.#rt;
    if (rt.closed) throw new NpuError("DEVICE_CLOSED", "the stream manager is already closed");
    assertNotInCallback("StreamManager.close");
    // The default streams are the manager's own: not leaks; they go after their work.
    // Idle pool memory is the pool's, not a leak; blocks still allocated are reported.
    this.#pools.close();
    const defaults = new Set<unknown>(this.#defaults.all());
    for (const h of defaults) this.#lifecycle.destroyDefault(h as Stream).catch(NOOP);
    const streams = [...rt.streams.entries()].map(([, r]) => r.id);
    const events = [...rt.events.entries()].map(([, e]) => e.id);
    // The device tracks every live buffer, so memory allocated through `device.allocate`
    // directly shows up here as well as memory allocated through the manager.
    const allocations = rt.device.closed ? [] : rt.device.liveBuffers().map(String);
    const report: LeakReport = { streams, events, allocations, stats: this.resourceStats() };
    const live = [...rt.streams.entries()].map(([h]) => h);
    for (const h of live) this.destroyStream(h, { force: true }).catch(NOOP);
    for (const [h] of [...rt.events.entries()]) this.destroyEvent(h);
    rt.closed = true;
    rt.pool.clear();
    this.#offClose();
    return report;
  }
}
