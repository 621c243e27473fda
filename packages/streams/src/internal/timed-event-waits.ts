import { type CounterHandle, NpuError, type QueueHandle } from "@npurt/core";
import type { OpHandle } from "../op-handle.js";
import type { EventCounter, EventRecord, StreamRecord } from "./records.js";
import type { Runtime } from "./runtime.js";
import { updateStreamState } from "./stream-status.js";

/** One stream wait with a timeout, until its record completes or its time runs out. */
interface TimedWait {
  readonly rec: StreamRecord;
  readonly ev: EventRecord;
  /** The event counter and record value the wait captured. */
  readonly counter: EventCounter;
  readonly value: number;
  /** The wait's own counter: the device op waits for it to reach 1. */
  readonly gate: CounterHandle;
  /** Position of the wait op in its stream. */
  readonly seq: number;
  timer: number | undefined;
  released: boolean;
}

/**
 * Stream waits with a timeout (CANN `aclrtStreamWaitEventWithTimeout`). A device wait cannot be
 * cut short by itself, so a timed wait waits on a counter of its own, which the host raises
 * either when the captured record completes or when the timeout (on the device clock, counted
 * from the call [INF: CANN does not say from when]) fires first. An expired wait lets the stream
 * go on and surfaces as `TASK_TIMEOUT` at the stream's next synchronize, as CANN's does.
 */
export class TimedEventWaits {
  readonly #rt: Runtime;
  /** Per event: its timed waits not released yet. */
  readonly #byEvent = new Map<EventRecord, TimedWait[]>();

  constructor(rt: Runtime) {
    this.#rt = rt;
  }

  /** Issues a wait on `rec` (on `queue`) for record `value` of `ev`'s `counter`, giving up after `timeoutMs`. */
  issue(
    rec: StreamRecord,
    queue: QueueHandle,
    ev: EventRecord,
    counter: EventCounter,
    value: number,
    timeoutMs: number,
  ): OpHandle {
    const rt = this.#rt;
    const gate = rt.device.createCounter({ device: rec.device });
    let seq: number;
    try {
      seq = rt.enqueue(rec, queue, { kind: "wait", counter: gate, value: 1 });
    } catch (error) {
      rt.device.destroyCounter(gate);
      throw error;
    }
    rt.addSpecial(rec, { kind: "barrier", seq, counter: gate, value: 1, event: ev });
    ev.pendingWaits++;
    const wait: TimedWait = { rec, ev, counter, value, gate, seq, timer: undefined, released: false };
    const list = this.#byEvent.get(ev);
    if (list === undefined) this.#byEvent.set(ev, [wait]);
    else list.push(wait);
    wait.timer = rt.device.clock.setTimer(timeoutMs * 1e6, () => {
      wait.timer = undefined;
      if (wait.released) return;
      this.#release(wait);
      // Discarded meanwhile (an abort, a stop, a closed device): nothing expired.
      if (rec.completed > wait.seq || rt.deviceClosed !== undefined) return;
      rt.fail(
        rec,
        new NpuError(
          "TASK_TIMEOUT",
          `stream ${rec.id}: its wait for event ${ev.id} (record ${value}) expired after ${timeoutMs} ms`,
          { details: { stream: rec.id, event: ev.id, timeoutMs } },
        ),
      );
    });
    updateStreamState(rt, rec);
    return rt.opHandle(rec, seq, "wait");
  }

  /** A record of `ev` completed: releases the timed waits it satisfies. */
  onRecordDone(ev: EventRecord): void {
    const list = this.#byEvent.get(ev);
    if (list === undefined) return;
    for (const wait of [...list]) {
      if (wait.counter.completed >= wait.value) this.#release(wait);
    }
  }

  #release(wait: TimedWait): void {
    const rt = this.#rt;
    wait.released = true;
    if (wait.timer !== undefined) {
      rt.device.clock.clearTimer(wait.timer);
      wait.timer = undefined;
    }
    const list = this.#byEvent.get(wait.ev);
    if (list !== undefined) {
      const i = list.indexOf(wait);
      if (i >= 0) list.splice(i, 1);
      if (list.length === 0) this.#byEvent.delete(wait.ev);
    }
    try {
      rt.device.signalCounter(wait.gate, 1);
      // The device holds the counter while the wait op needs it; core frees it after.
      rt.device.destroyCounter(wait.gate);
    } catch {
      // A closed device has nothing left to release.
    }
  }
}
