import { NpuError, NpuTypeError } from "@npurt/core";
import { check, errorMessage, quote } from "@npurt/core/internal";
import { Stream } from "../stream.js";
import { CANN_STREAM_FLAGS } from "../stream-flags.js";
import type { CreateStreamOptions, FailureMode } from "../stream-options.js";
import { assertNotInCallback } from "./callback-scope.js";
import { type DeviceIds, deviceIds } from "./device-ids.js";
import type { DrainWaits } from "./drain-waits.js";
import type { HostCallbacks } from "./host-callbacks.js";
import { backendPriority, type PriorityRange, userPriority } from "./priorities.js";
import { type StreamExtras, StreamRecord } from "./records.js";
import type { Runtime } from "./runtime.js";
import { resolveStreamFlags } from "./stream-config.js";
import type { StreamPort } from "./stream-port.js";
import { updateStreamState } from "./stream-status.js";

/** A stream-state listener: after a stream is created, before it is destroyed. */
export type StreamStateListener = (stream: Stream, state: "create-post" | "destroy-pre") => void;

/**
 * Streams from creation to release: the choice of device and priority, the pool of released
 * records with their hardware queues, abort and destroy, and the release of a destroyed stream
 * once its work has drained.
 */
export class StreamLifecycle {
  readonly #rt: Runtime;
  readonly #port: StreamPort;
  readonly #waits: DrainWaits;
  readonly #callbacks: HostCallbacks;
  readonly priorityRange: PriorityRange;
  /** Shared with every manager on the device: stream ids are unique on its bus. */
  readonly #ids: DeviceIds;
  #closing = false;
  /** `onStreamState` listeners by name (CANN `aclrtRegStreamStateCallback`). */
  readonly #stateListeners = new Map<string, StreamStateListener>();
  #created = 0;
  #peak = 0;

  constructor(
    rt: Runtime,
    port: StreamPort,
    waits: DrainWaits,
    callbacks: HostCallbacks,
    priorityRange: PriorityRange,
  ) {
    this.#rt = rt;
    this.#port = port;
    this.#waits = waits;
    this.#callbacks = callbacks;
    this.priorityRange = priorityRange;
    this.#ids = deviceIds(rt.device);
  }

  /** Streams created over the manager's life. */
  get created(): number {
    return this.#created;
  }

  /** The most streams live at once. */
  get peak(): number {
    return this.#peak;
  }

  /** Creates a stream; `defaultKind` marks the manager's default stream of a device. */
  create(options: CreateStreamOptions | undefined, defaultKind?: StreamRecord["defaultKind"]): Stream {
    const rt = this.#rt;
    rt.assertOpen();
    assertNotInCallback("StreamManager.create");
    const opts = check.options(options, "create options");
    const device = this.#pickDevice(opts.device);
    // CUDA: after a sticky error every call fails with it, stream creation included.
    const sticky = rt.stoppedError(device);
    if (sticky !== undefined && rt.behaviours.stickyErrors) throw sticky;
    const priority = userPriority(this.priorityRange, rt.behaviours, opts.priority);
    const failureMode: FailureMode =
      opts.failureMode === undefined
        ? "continue"
        : check.oneOf(opts.failureMode, ["continue", "stop"] as const, "failureMode");
    const nonBlockingOpt = opts.nonBlocking === undefined ? undefined : opts.nonBlocking;
    if (nonBlockingOpt !== undefined && typeof nonBlockingOpt !== "boolean")
      throw new NpuTypeError("nonBlocking must be a boolean");
    const { flags, mode, nonBlocking } = resolveStreamFlags(
      rt.behaviours.apiModel,
      opts.flags,
      nonBlockingOpt,
    );
    const bp = backendPriority(this.priorityRange, rt.device.capabilities, priority);
    rt.stats.streams.created++;
    const rec = this.#acquireRecord(device, bp);
    rec.id = ++this.#ids.stream;
    if (rec.state === "DESTROYED") updateStreamState(rt, rec, "reuse");
    rec.priority = priority;
    rec.failureMode = failureMode;
    rec.abortTarget = rec.enqueued;
    // A pooled record may carry another stream's extras; a new stream starts without (the sync
    // counter stays with the record, and its values only rise).
    if (rec.extras !== undefined) {
      rec.extras.defaultKind = undefined;
      rec.extras.nonBlocking = false;
      rec.extras.failureModeSet = false;
      rec.extras.flags = 0;
      rec.extras.mode = undefined;
      rec.extras.persistent = undefined;
    }
    if (defaultKind !== undefined || nonBlocking || flags !== 0 || opts.failureMode !== undefined) {
      const x = rec.withExtras();
      x.defaultKind = defaultKind;
      x.nonBlocking = nonBlocking;
      x.failureModeSet = opts.failureMode !== undefined;
      x.flags = flags;
      x.mode = mode;
    }
    // CANN's FAST_LAUNCH takes the stream's internal resources at creation, not at first use.
    if (
      (flags & CANN_STREAM_FLAGS.FAST_LAUNCH) !== 0 &&
      rt.behaviours.apiModel === "cann" &&
      rec.queue === undefined
    ) {
      try {
        rt.acquireQueue(rec);
      } catch (error) {
        this.freeRecord(rec);
        throw error;
      }
    }
    const handle = rt.streams.issue(rec, (o, s, g) => new Stream(o, s, g, this.#port, rec));
    rec.handle = handle;
    if (failureMode === "stop") rt.markStopMode(device);
    this.#created++;
    if (rt.streams.size > this.#peak) this.#peak = rt.streams.size;
    rt.stats.streams.succeeded++;
    const bus = rt.device.instrumentation;
    if (bus.active) {
      bus.emit({ type: "stream.created", time: rt.device.clock.now(), device, stream: rec.id, priority });
    }
    updateStreamState(rt, rec, "created");
    this.#notify(handle, "create-post");
    return handle;
  }

  /** Registers a stream-state listener under `name`; returns how to remove it. */
  onStreamState(name: unknown, listener: unknown): () => void {
    const n = check.string(name, "listener name");
    const fn = check.func<StreamStateListener>(listener, "stream state listener");
    if (this.#stateListeners.has(n)) {
      throw new NpuError(
        "INVALID_PARAM",
        `a stream state listener named ${quote(n)} is registered already (as aclrtRegStreamStateCallback, a name registers once)`,
        { details: { name: n } },
      );
    }
    this.#stateListeners.set(n, fn);
    return () => {
      if (this.#stateListeners.get(n) === fn) this.#stateListeners.delete(n);
    };
  }

  /** Streams the device can still create: its limit less the streams held (pooled ones can be freed). */
  available(device: unknown): number {
    const rt = this.#rt;
    const d = device === undefined ? 0 : check.integer(device, "device index", 0, rt.device.deviceCount - 1);
    const max = rt.device.info(d).maxQueues;
    return Math.max(0, max - rt.pool.held(d) + rt.pool.pooledOn(d));
  }

  /** Sets a stream's failure mode after creation: once per stream, as `aclrtSetStreamFailureMode`. */
  setFailureMode(rec: StreamRecord, mode: unknown): void {
    const rt = this.#rt;
    assertNotInCallback("Stream.setFailureMode");
    rt.assertOpen();
    const m = check.oneOf(mode, ["continue", "stop"] as const, "failureMode");
    const x = rec.withExtras();
    if (x.failureModeSet) {
      throw new NpuError(
        "ILLEGAL_STATE",
        `stream ${rec.id}: its failure mode was set already (at creation or by setFailureMode); CANN sets it once per stream`,
        { details: { stream: rec.id } },
      );
    }
    x.failureModeSet = true;
    rec.failureMode = m;
    if (m === "stop") rt.markStopMode(rec.device);
  }

  #notify(handle: Stream, state: "create-post" | "destroy-pre"): void {
    if (this.#stateListeners.size === 0) return;
    for (const [name, fn] of [...this.#stateListeners]) {
      try {
        fn(handle, state);
      } catch (error) {
        // A listener's bug must not undo the create or block the destroy: report it.
        const bus = this.#rt.device.instrumentation;
        if (bus.active) {
          bus.emit({
            type: "error",
            time: this.#rt.device.clock.now(),
            code: "CALLBACK_FAILED",
            message: `stream state listener ${quote(name)} threw: ${errorMessage(error)}`,
            source: "streams",
          });
        }
      }
    }
  }

  /** Destroys a default stream as the manager closes (its work still finishes). */
  destroyDefault(handle: Stream): Promise<void> {
    this.#closing = true;
    try {
      return this.destroy(handle, undefined);
    } finally {
      this.#closing = false;
    }
  }

  /** Prewarms the pool with `count` streams holding hardware queues; returns how many it added. */
  prewarm(count: number, device: number, priority: number): number {
    const rt = this.#rt;
    assertNotInCallback("StreamManager.prewarm");
    rt.assertOpen();
    const bp = backendPriority(
      this.priorityRange,
      rt.device.capabilities,
      userPriority(this.priorityRange, rt.behaviours, priority),
    );
    const d = check.integer(device, "device index", 0, rt.device.deviceCount - 1);
    let added = 0;
    for (let i = 0; i < count && rt.pool.hasRoom; i++) {
      if (rt.pool.held(d) >= rt.device.info(d).maxQueues) break;
      const rec = new StreamRecord(d, bp);
      rt.pool.reserve(d, Number.POSITIVE_INFINITY);
      rt.acquireQueue(rec);
      // A pooled record is a destroyed stream; never handed out, it has no id to report.
      updateStreamState(rt, rec, "destroy");
      rt.pool.put(rec);
      added++;
    }
    return added;
  }

  #acquireRecord(device: number, bp: number): StreamRecord {
    const rt = this.#rt;
    const pooled = rt.pool.take(device, bp);
    if (pooled !== undefined) return pooled;
    rt.pool.reserve(device, rt.device.info(device).maxQueues);
    return new StreamRecord(device, bp);
  }

  /** Gives a record's queue and callback counter back to the device (the pool's `free`). */
  freeRecord(rec: StreamRecord): void {
    const rt = this.#rt;
    rt.pool.release(rec);
    try {
      if (rec.queue !== undefined) rt.device.destroyQueue(rec.queue);
      if (rec.callbackCounter !== undefined) rt.device.destroyCounter(rec.callbackCounter);
      if (rec.extras?.syncCounter !== undefined) rt.device.destroyCounter(rec.extras.syncCounter);
    } catch {
      // The device may be closed already; its resources went with it.
    }
    rec.queue = undefined;
    rec.callbackCounter = undefined;
    rec.extras = undefined;
  }

  #pickDevice(device: unknown): number {
    const rt = this.#rt;
    if (device === undefined) return 0;
    if (device === "least-loaded") {
      let best = 0;
      for (let d = 1; d < rt.load.length; d++) {
        const a = rt.load[d]!;
        const b = rt.load[best]!;
        if (a < b || (a === b && rt.pool.held(d) < rt.pool.held(best))) best = d;
      }
      return best;
    }
    if (typeof device === "string") return check.oneOf(device, ["least-loaded"], "device") as never;
    return check.integer(device, "device index", 0, rt.device.deviceCount - 1);
  }

  abort(rec: StreamRecord): void {
    assertNotInCallback("Stream.abort");
    this.abortRecord(rec, `stream ${rec.id} was aborted`);
  }

  /** Discards the stream's work: queued ops, pending waits, callbacks not started. */
  abortRecord(rec: StreamRecord, why: string, error?: NpuError): void {
    const rt = this.#rt;
    if (rec.queue !== undefined && rec.completed < rec.enqueued && rt.deviceClosed === undefined)
      rt.device.abortQueue(rec.queue);
    rec.abortTarget = rec.enqueued;
    // Streams waiting on this one's work through the legacy default stream's implicit sync
    // must not wait for discarded work forever: the discarded work counts as finished.
    const x = rec.extras;
    if (x?.syncCounter !== undefined) {
      try {
        rt.device.signalCounter(x.syncCounter, x.syncValue);
      } catch {
        // A closed device has nobody waiting.
      }
    }
    if (rec.state !== "DESTROYED") updateStreamState(rt, rec, "abort");
    this.#waits.rejectAll(rec, error ?? new NpuError("STREAM_ABORT", why, { details: { stream: rec.id } }));
    // The stream reached these callbacks, but their host function has not started: like the
    // queued ops, they are discarded (they would otherwise run after the abort, or after a stop).
    this.#callbacks.discardQueued(rec);
    updateStreamState(rt, rec);
  }

  /**
   * Destroys a stream; `after` hears its id and extras (read before its record is released)
   * once the destroy took effect, for what other concepts keep of it.
   */
  destroy(
    handle: Stream,
    options: { force?: boolean } | undefined,
    after?: (id: number, extras: StreamExtras | undefined) => void,
  ): Promise<void> {
    const rt = this.#rt;
    // Counted at the call, as CANN's releaseTotal: a refused destroy shows in the difference.
    rt.stats.streams.released++;
    assertNotInCallback("Stream.destroy");
    const opts = check.options(options, "destroy options");
    const force = opts.force === undefined ? false : opts.force;
    if (typeof force !== "boolean") throw new NpuTypeError("force must be a boolean");
    const live = rt.streams.get(handle, "stream");
    if (live.defaultKind !== undefined && !this.#closing) {
      throw new NpuError(
        "INVALID_PARAM",
        `stream ${live.id} is the default stream of device ${live.device}: it cannot be destroyed; it goes with the manager`,
        { details: { stream: live.id, device: live.device } },
      );
    }
    this.#notify(handle, "destroy-pre");
    const rec = rt.streams.remove(handle, "stream");
    rec.handle = undefined;
    const stream = rec.id;
    const extras = rec.extras;
    if (force && (rec.completed < rec.enqueued || rec.callbacksPending > 0))
      this.abortRecord(rec, `stream ${stream} was force-destroyed`);
    updateStreamState(rt, rec, "destroy");
    rt.stats.streams.releasedOk++;
    const bus = rt.device.instrumentation;
    if (bus.active) bus.emit({ type: "stream.destroyed", time: rt.device.clock.now(), stream });
    if (rec.completed >= rec.enqueued && rec.callbacksPending === 0) {
      this.#release(rec);
      after?.(stream, extras);
      return Promise.resolve();
    }
    // Draining until released; released once only (a release from two completion paths, say a
    // failed callback stopping the device and its marker, would pool the record twice and hand
    // it to two new streams).
    rt.draining.add(rec);
    const done =
      !force && !rt.behaviours.destroyWaitsForWork
        ? Promise.resolve()
        : new Promise<void>((resolve) => {
            rec.withExtras().onReleased = resolve;
          });
    after?.(stream, extras);
    return done;
  }

  /** Releases a destroyed stream once its work is done (to the pool when it fits); returns whether it did. */
  releaseIfDrained(rec: StreamRecord): boolean {
    const rt = this.#rt;
    if (rec.state !== "DESTROYED" || rec.completed < rec.enqueued || rec.callbacksPending > 0) return false;
    if (!rt.draining.delete(rec)) return false; // released already
    this.#release(rec);
    return true;
  }

  /** Releases a destroyed, drained stream: to the pool when it fits, else back to the device. */
  #release(rec: StreamRecord): void {
    const rt = this.#rt;
    rec.pendingError = undefined;
    rec.futureWaits = undefined;
    rec.waiters = undefined;
    rec.specials = undefined;
    rec.callbacks = undefined;
    const released = rec.extras?.onReleased;
    if (released !== undefined) rec.extras!.onReleased = undefined;
    if (rec.queue === undefined || rt.closed || rt.deviceClosed !== undefined || !rt.pool.put(rec))
      this.freeRecord(rec);
    released?.();
  }
}
