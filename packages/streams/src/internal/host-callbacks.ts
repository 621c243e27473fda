import { type HostTaskOutcome, NpuError, NpuTypeError, type OpStatus, runWithDeviceClock } from "@npurt/core";
import { check, errorMessage, RingQueue } from "@npurt/core/internal";
import type { CallbackContext } from "../callback-context.js";
import type { OpHandle } from "../op-handle.js";
import type { HostCallbackOptions } from "../stream-options.js";
import { runAsCallback } from "./callback-scope.js";
import { type DeviceIds, deviceIds } from "./device-ids.js";
import type { DrainWaits } from "./drain-waits.js";
import type { EventTimeline } from "./event-timeline.js";
import { OpRecord } from "./op-record.js";
import type { CallbackRecord, RuntimeCallbackContext, StreamRecord } from "./records.js";
import type { Runtime } from "./runtime.js";
import { updateStreamState } from "./stream-status.js";

/**
 * Host callbacks on streams. A callback is a marker op (its completion tells the host the stream
 * reached it; the host then hands the function to the executor) and, when blocking, a wait on
 * the stream's callback counter that the host signals once the function has finished.
 */
export class HostCallbacks {
  readonly #rt: Runtime;
  readonly #waits: DrainWaits;
  readonly #events: EventTimeline;
  /** Shared with every manager on the device: callback ids are unique on its bus. */
  readonly #ids: DeviceIds;

  constructor(rt: Runtime, waits: DrainWaits, events: EventTimeline) {
    this.#rt = rt;
    this.#waits = waits;
    this.#events = events;
    this.#ids = deviceIds(rt.device);
  }

  launch(rec: StreamRecord, fn: unknown, options: HostCallbackOptions | undefined): OpHandle {
    const rt = this.#rt;
    const f = check.func<(ctx: CallbackContext) => unknown>(fn, "host callback");
    const opts = check.options(options, "host callback options");
    const blocking = opts.blocking === undefined ? true : opts.blocking;
    if (typeof blocking !== "boolean") throw new NpuTypeError("blocking must be a boolean");
    const receivesStatus = opts.receivesStatus === undefined ? false : opts.receivesStatus;
    if (typeof receivesStatus !== "boolean") throw new NpuTypeError("receivesStatus must be a boolean");
    const label = opts.label === undefined ? undefined : check.string(opts.label, "label");
    const queue = rt.queueForWork(rec, "Stream.launchHostCallback");
    rt.stats.callbacks.created++;
    const counter = rec.callbackCounter ?? rt.device.createCounter({ device: rec.device });
    rec.callbackCounter = counter;
    const cb: CallbackRecord = {
      id: ++this.#ids.callback,
      fn: f,
      blocking,
      receivesStatus,
      status: undefined,
      label,
      stream: rec,
      streamId: rec.id,
      seq: rec.enqueued, // its marker op is the next one
      releaseValue: 0,
      phase: "launched",
      serialAhead: rt.serialExecutor ? rt.runningCallbacks : undefined,
      waits: undefined,
      op: new OpRecord("callback", rec.id),
      startNs: 0,
    };
    // The marker signal carries no information (value 0 never raises the counter): its
    // completion tells the host that the stream reached the callback.
    // The handle is settled by the callback's end, not by the marker's or release's completion.
    const seq = rt.enqueue(rec, queue, { kind: "signal", counter, value: 0 });
    rt.addSpecial(rec, { kind: "callback", seq, callback: cb });
    if (blocking) {
      cb.releaseValue = ++rec.withExtras().callbackSeq;
      const waitSeq = rt.enqueue(rec, queue, { kind: "wait", counter, value: cb.releaseValue });
      rt.addSpecial(rec, { kind: "release", seq: waitSeq, callback: cb, value: cb.releaseValue });
    }
    rec.callbacksPending++;
    if (rec.callbacks === undefined) rec.callbacks = new RingQueue();
    rec.callbacks.push(cb);
    this.#emit("callback.enqueued", cb, undefined);
    updateStreamState(rt, rec);
    return cb.op;
  }

  /** The stream reached the callback's marker: hand it to the executor, or discard it after a failure. */
  onMarkerDone(cb: CallbackRecord, ok: boolean): boolean {
    // A marker reported after an abort that covered it is discarded even if the backend let it
    // finish (it ended at the abort's instant, say, because device time ran ahead of the host):
    // the abort took effect at its call, before the host could start the callback.
    const aborted = cb.seq < cb.stream.abortTarget;
    const stopped = this.#rt.stoppedError(cb.stream.device);
    if (cb.receivesStatus) {
      // cudaStreamAddCallback: runs exactly once, after a device error with that error; only an
      // abort by the user (no stopped device) discards it.
      if (stopped === undefined && (aborted || !ok)) {
        this.#finish(cb, { ok: false, error: undefined }, true, true);
        return false;
      }
      cb.status = stopped ?? cb.stream.pendingError;
      this.#start(cb);
      return true;
    }
    if (!ok || aborted || stopped !== undefined) {
      this.#finish(cb, { ok: false, error: undefined }, true, true);
      return false;
    }
    this.#start(cb);
    return true;
  }

  /** Discards the callbacks of `rec` handed to the executor and not started (an abort, a stop). */
  discardQueued(rec: StreamRecord): void {
    // A status-receiving callback already handed to the executor still runs when its device
    // stops (it runs exactly once); a user's abort discards it like any other.
    const keepStatus = this.#rt.stoppedError(rec.device) !== undefined;
    for (const cb of this.#rt.queuedCallbacks) {
      if (cb.stream === rec && !(keepStatus && cb.receivesStatus)) {
        this.#finish(cb, { ok: false, error: undefined }, true);
      }
    }
  }

  #start(cb: CallbackRecord): void {
    const rt = this.#rt;
    cb.phase = "queued";
    rt.queuedCallbacks.add(cb);
    rt.executor.submit({
      run: () => {
        if (cb.phase === "done") return undefined; // discarded by an abort while queued
        rt.queuedCallbacks.delete(cb);
        cb.phase = "running";
        cb.startNs = rt.device.clock.now();
        rt.runningCallbacks.add(cb);
        this.#emit("callback.started", cb, undefined);
        const ctx: RuntimeCallbackContext = {
          stream: cb.streamId,
          callback: cb.id,
          error: cb.status,
          waitFor: (event, options) => this.#events.callbackWait(cb, event, options),
        };
        // The device's clock is the current one while the callback runs, so host-side code it
        // starts without a clock (a callback chain, say) times itself on it.
        const clock = rt.device.clock;
        return runAsCallback(() => runWithDeviceClock(clock, () => cb.fn(ctx)));
      },
      done: (outcome) => this.#finish(cb, outcome, false),
      priority: cb.stream.backendPriority,
      ...(cb.label === undefined ? {} : { label: cb.label }),
    });
  }

  /**
   * Settles the callback. `inCompletion`: called from its marker's completion, whose runtime
   * path records the marker's failure (a device loss, say) and only then settles the stream's
   * drain waiters, updates its state and releases it; settling them here first would resolve a
   * synchronize covering the lost callback OK and leave the failure to the next one.
   */
  #finish(cb: CallbackRecord, outcome: HostTaskOutcome, discarded: boolean, inCompletion = false): void {
    if (cb.phase === "done") return;
    const rt = this.#rt;
    cb.phase = "done";
    rt.runningCallbacks.delete(cb);
    rt.queuedCallbacks.delete(cb);
    const rec = cb.stream;
    rec.callbacksPending--;
    const stats = rt.stats.callbacks;
    stats.released++;
    stats.releasedOk++;
    if (outcome.ok) stats.succeeded++;
    this.#emit("callback.finished", cb, outcome.ok ? "ok" : discarded ? "aborted" : "error");
    const now = rt.device.clock.now();
    const name = cb.label === undefined ? `host callback ${cb.id}` : `host callback "${cb.label}"`;
    if (outcome.ok) {
      cb.op.settle("done", cb.startNs, now);
    } else if (discarded) {
      cb.op.settle(
        "aborted",
        now,
        now,
        new NpuError("STREAM_ABORT", `${name} on stream ${cb.streamId} was discarded before it ran`, {
          details: { stream: cb.streamId, callback: cb.id },
        }),
      );
    } else {
      const error = new NpuError(
        "CALLBACK_FAILED",
        `${name} on stream ${cb.streamId} failed: ${errorMessage(outcome.error)}`,
        { cause: outcome.error, details: { stream: cb.streamId, callback: cb.id } },
      );
      cb.op.settle("failed", cb.startNs, now, error);
      rt.fail(rec, error);
    }
    if (cb.blocking && rec.callbackCounter !== undefined) {
      try {
        rt.device.signalCounter(rec.callbackCounter, cb.releaseValue);
      } catch {
        // A closed device has nothing left to release.
      }
    }
    if (inCompletion) return;
    this.#waits.settle(rec);
    updateStreamState(rt, rec);
    rt.hooks.releaseIfDrained(rec);
  }

  #emit(
    type: "callback.enqueued" | "callback.started" | "callback.finished",
    cb: CallbackRecord,
    status: OpStatus | undefined,
  ): void {
    const rt = this.#rt;
    const bus = rt.device.instrumentation;
    if (!bus.active) return;
    bus.emit({
      type,
      time: rt.device.clock.now(),
      callback: cb.id,
      stream: cb.streamId,
      ...(cb.label === undefined ? {} : { label: cb.label }),
      ...(status === undefined ? {} : { status }),
    });
  }
}
