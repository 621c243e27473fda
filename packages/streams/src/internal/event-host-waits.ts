import { NpuError } from "@npurt/core";
import type { SynchronizeOptions } from "../stream-options.js";
import { assertNotInCallback } from "./callback-scope.js";
import { findCallbackCycle } from "./deadlocks.js";
import type { CallbackRecord, EventRecord, EventWaiter } from "./records.js";
import type { Runtime } from "./runtime.js";
import { removeFrom, timedWait } from "./timed-wait.js";

/** Whether the latest record of `ev` completed (it is always on the event's current counter). */
export function latestRecordDone(ev: EventRecord): boolean {
  return ev.counter !== undefined && ev.counter.completed >= ev.recordCount;
}

/** The stored error of the device an event's records run on, once that device stopped. */
export function eventStoppedError(rt: Runtime, ev: EventRecord): NpuError | undefined {
  return rt.stoppedError(ev.lastStream?.device ?? ev.device);
}

/** Refuses a host query or synchronize of a `DEVICE_USE_ONLY` event. */
export function assertHostUsable(ev: EventRecord, what: string): void {
  if (!ev.traits.hostUsable) {
    throw new NpuError("INVALID_PARAM", `event ${ev.id} is DEVICE_USE_ONLY: the host cannot ${what} it`, {
      details: { event: ev.id },
    });
  }
}

/**
 * The host side of events: `StreamEvent.synchronize` and a host callback's `ctx.waitFor`, the
 * waiters they leave on an event, and their settling when a record completes, is discarded, or
 * the device stops.
 */
export class EventHostWaits {
  readonly #rt: Runtime;
  readonly #eventOf: (handle: unknown) => EventRecord;

  constructor(rt: Runtime, eventOf: (handle: unknown) => EventRecord) {
    this.#rt = rt;
    this.#eventOf = eventOf;
  }

  /** `StreamEvent.synchronize`: resolves when the latest record (as of the call) completed. */
  synchronize(ev: EventRecord, options: SynchronizeOptions | undefined): Promise<void> {
    const target = ev.recordCount;
    return timedWait(
      this.#rt.device.clock,
      options,
      (done) => {
        assertNotInCallback("StreamEvent.synchronize");
        assertHostUsable(ev, "synchronize");
        const stopped = eventStoppedError(this.#rt, ev);
        if (stopped !== undefined) throw stopped;
        if (target === ev.resetBase || latestRecordDone(ev)) {
          done(undefined);
          return undefined;
        }
        const waiter: EventWaiter = { target, counter: ev.counter!, done };
        if (ev.waiters === undefined) ev.waiters = [];
        ev.waiters.push(waiter);
        if (ev.pendingRecords === 0 && ev.discarded !== undefined && ev.discarded.value >= target) {
          this.settle(ev, new NpuError("STREAM_ABORT", `event ${ev.id}: its latest record was discarded`));
        }
        return () => removeFrom(ev.waiters, waiter);
      },
      (timeoutMs) =>
        new NpuError(
          "EVENT_SYNC_TIMEOUT",
          `event ${ev.id} did not complete within ${timeoutMs} ms (record ${target})`,
          {
            details: { event: ev.id, timeoutMs },
          },
        ),
    );
  }

  /** {@link CallbackContext.waitFor}: an event wait from inside a callback, known to the dependency checks. */
  callbackWait(cb: CallbackRecord, event: unknown, options: SynchronizeOptions | undefined): Promise<void> {
    let evId = 0;
    return timedWait(
      this.#rt.device.clock,
      options,
      (done) => {
        const ev = this.#eventOf(event);
        evId = ev.id;
        if (this.#rt.deviceClosed !== undefined) throw this.#rt.deviceClosed;
        const value = ev.recordCount;
        if (value === ev.resetBase) {
          if (ev.traits.unrecorded === "error") {
            throw new NpuError(
              "INVALID_PARAM",
              `event ${ev.id} has not been recorded; record it before waiting on it`,
              {
                details: { event: ev.id },
              },
            );
          }
          done(undefined);
          return undefined;
        }
        if (latestRecordDone(ev)) {
          done(undefined);
          return undefined;
        }
        const counter = ev.counter!;
        if (ev.pendingRecords === 0 && ev.discarded !== undefined && ev.discarded.value >= value) {
          throw new NpuError("STREAM_ABORT", `event ${ev.id}: its latest record was discarded`, {
            details: { event: ev.id },
          });
        }
        const cycle = findCallbackCycle(this.#rt, cb, counter, value);
        if (cycle !== undefined) {
          const ids = cycle.map((r) => r.id);
          throw new NpuError(
            "CYCLE_DEPENDENCY",
            `host callback ${cb.id} on stream ${cb.streamId} would wait for event ${ev.id}, whose record waits for the callback itself: streams ${ids.join(" → ")} → ${ids[0]}`,
            { details: { streams: ids, event: ev.id, callback: cb.id } },
          );
        }
        const wait = { event: ev, counter, value };
        if (cb.waits === undefined) cb.waits = [];
        cb.waits.push(wait);
        const waiter: EventWaiter = {
          target: value,
          counter,
          done: (error: NpuError | undefined) => {
            removeFrom(cb.waits, wait);
            done(error);
          },
        };
        if (ev.waiters === undefined) ev.waiters = [];
        ev.waiters.push(waiter);
        return () => removeFrom(cb.waits, wait) && removeFrom(ev.waiters, waiter);
      },
      (timeoutMs) =>
        new NpuError(
          "EVENT_SYNC_TIMEOUT",
          `host callback ${cb.id}: event ${evId} did not complete within ${timeoutMs} ms`,
          {
            details: { callback: cb.id, timeoutMs },
          },
        ),
    );
  }

  /** Resolves event waiters the event reached; with `error`, rejects those it can no longer reach. */
  settle(ev: EventRecord, error: NpuError | undefined, all = false): boolean {
    const list = ev.waiters;
    if (list === undefined || list.length === 0) return false;
    const keep: typeof list = [];
    let woke = false;
    for (const w of list) {
      if (w.counter.completed >= w.target) {
        w.done(undefined);
        woke = true;
      } else if (error !== undefined && (all || w.counter.pendingRecords === 0)) {
        w.done(error);
        woke = true;
      } else keep.push(w);
    }
    ev.waiters = keep;
    return woke;
  }

  /** Rejects every host-side wait on the events of a stopped device. */
  fail(device: number, error: NpuError): void {
    for (const [, ev] of this.#rt.events.entries()) if (ev.device === device) this.settle(ev, error, true);
  }
}
