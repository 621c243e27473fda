import { NpuError } from "@npurt/core";
import { check } from "@npurt/core/internal";
import type { SynchronizeOptions } from "../stream-options.js";
import { assertNotInCallback } from "./callback-scope.js";
import { DrainWaiterQueue } from "./drain-waiter-queue.js";
import type { DrainWaiter, StreamRecord } from "./records.js";
import type { Runtime } from "./runtime.js";
import { type Done, timedWait } from "./timed-wait.js";

/**
 * Host-side waits for streams to drain: stream and device synchronize, the stream query. A
 * synchronize waits for the ops and the host callbacks launched before it (not those launched
 * since) and settles with the stream's first failure since the last synchronize.
 */
export class DrainWaits {
  readonly #rt: Runtime;

  constructor(rt: Runtime) {
    this.#rt = rt;
  }

  /** CANN `aclrtStreamQuery`: `'complete'` once everything submitted, callbacks included, is done. */
  query(rec: StreamRecord): "complete" | "not-ready" {
    const stopped = this.#rt.stoppedError(rec.device);
    if (stopped !== undefined) throw stopped;
    return rec.completed >= rec.enqueued && rec.callbacksPending === 0 ? "complete" : "not-ready";
  }

  /** Waits for `rec` to drain; `observe` hears the outcome before the promise settles (see {@link timedWait}). */
  synchronizeStream(
    rec: StreamRecord,
    options: SynchronizeOptions | undefined,
    observe?: (error: unknown) => void,
  ): Promise<void> {
    const rt = this.#rt;
    return timedWait(
      rt.device.clock,
      options,
      (done) => {
        assertNotInCallback("Stream.synchronize");
        const stopped = rt.stoppedError(rec.device);
        if (stopped !== undefined) throw stopped;
        const waiter: DrainWaiter = { target: rec.enqueued, done, phase: 0, owner: undefined };
        return this.#addWaiter(rec, waiter) ? () => rec.waiters?.withdraw(waiter) === true : undefined;
      },
      (timeoutMs) =>
        new NpuError(
          "STREAM_SYNC_TIMEOUT",
          `stream ${rec.id} did not finish within ${timeoutMs} ms: ${rec.enqueued - rec.completed} op(s) and ${rec.callbacksPending} callback(s) pending`,
          { details: { stream: rec.id, pending: rec.enqueued - rec.completed, timeoutMs } },
        ),
      observe,
    );
  }

  /** Waits for every stream (of one device, or all) to drain; `observe` as for {@link DrainWaits.synchronizeStream}. */
  synchronizeDevice(
    options: (SynchronizeOptions & { readonly device?: number }) | undefined,
    observe?: (error: unknown) => void,
  ): Promise<void> {
    const rt = this.#rt;
    let busy = 0;
    return timedWait(
      rt.device.clock,
      options,
      (done) => {
        assertNotInCallback("StreamManager.synchronize");
        const opts = check.options(options, "synchronize options");
        const only =
          opts.device === undefined
            ? undefined
            : check.integer(opts.device, "device index", 0, rt.device.deviceCount - 1);
        for (let d = 0; d < rt.device.deviceCount; d++) {
          const stopped = rt.stoppedError(d);
          if (stopped !== undefined && (only === undefined || only === d)) throw stopped;
        }
        const recs = rt.streamsOn(only);
        // One count per stream plus one for the registration itself, so streams that are
        // already drained cannot settle the promise before the others are registered.
        let remaining = recs.length + 1;
        let first: NpuError | undefined;
        const one: Done = (error) => {
          first ??= error;
          if (--remaining === 0) done(first);
        };
        const waiting: [StreamRecord, DrainWaiter][] = [];
        // Failures taken from streams that drained while others are still busy: a timeout gives
        // them back, so the next synchronize covering their stream still reports them.
        // Kept with the stream's id: a stream destroyed meanwhile may have handed its pooled
        // record to a new stream, which must not inherit the old one's failure.
        const taken: [StreamRecord, number, NpuError][] = [];
        for (const rec of recs) {
          const waiter: DrainWaiter = {
            target: rec.enqueued,
            done: (error) => {
              if (error !== undefined) taken.push([rec, rec.id, error]);
              one(error);
            },
            phase: 0,
            owner: undefined,
          };
          if (this.#addWaiter(rec, waiter)) waiting.push([rec, waiter]);
        }
        one(undefined);
        if (remaining === 0) return undefined;
        return () => {
          for (const [rec, waiter] of waiting) if (rec.waiters?.withdraw(waiter) === true) busy++;
          if (busy === 0) return false;
          for (const [rec, id, error] of taken) {
            if (rec.id === id && rec.state !== "DESTROYED") rec.pendingError ??= error;
          }
          return true;
        };
      },
      (timeoutMs) =>
        new NpuError(
          "STREAM_SYNC_TIMEOUT",
          `device synchronize did not finish within ${timeoutMs} ms: ${busy} stream(s) still busy`,
          { details: { pendingStreams: busy, timeoutMs } },
        ),
      observe,
    );
  }

  /** Registers `waiter`, or calls it at once when the stream is drained; returns whether it was registered. */
  #addWaiter(rec: StreamRecord, waiter: DrainWaiter): boolean {
    if (rec.completed >= waiter.target && oldestCallback(rec) >= waiter.target) {
      const error = rec.pendingError;
      rec.pendingError = undefined;
      waiter.done(error);
      return false;
    }
    if (rec.waiters === undefined) rec.waiters = new DrainWaiterQueue();
    rec.waiters.push(waiter);
    return true;
  }

  /** Resolves the waiters the stream has reached; returns whether any was. */
  settle(rec: StreamRecord): boolean {
    const list = rec.waiters;
    // Asked on every completion of a stream being synchronized: most ops reach no waiter, and
    // that answer must cost no allocation (an array per op here was 15 % of end-to-end time).
    if (list === undefined || list.headTarget() > rec.completed) return false;
    // A synchronize waits for the callbacks launched before it, not for those launched since.
    const ready = list.takeReached(Math.min(rec.completed, oldestCallback(rec)));
    if (ready.length === 0) return false;
    const error = rec.pendingError;
    rec.pendingError = undefined;
    for (const w of ready) w.done(error);
    return true;
  }

  /** Rejects every waiter of the stream with `error` (an abort, a stop). */
  rejectAll(rec: StreamRecord, error: NpuError): boolean {
    const list = rec.waiters;
    if (list === undefined || list.size === 0) return false;
    rec.waiters = undefined;
    for (const w of list.takeAll()) w.done(error);
    return true;
  }
}

/** Position of the oldest unfinished host callback of `rec`, or `Infinity`. */
function oldestCallback(rec: StreamRecord): number {
  const list = rec.callbacks;
  if (list === undefined || rec.callbacksPending === 0) return Number.POSITIVE_INFINITY;
  while (list.peek()!.phase === "done") list.shift();
  return list.peek()!.seq;
}
