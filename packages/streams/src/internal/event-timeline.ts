import { NpuError, type OpCompletion } from "@npurt/core";
import { check } from "@npurt/core/internal";
import type { OpHandle } from "../op-handle.js";
import { StreamEvent } from "../stream-event.js";
import type { CreateEventOptions, SynchronizeOptions, WaitEventOptions } from "../stream-options.js";
import { assertNotInCallback } from "./callback-scope.js";
import { findFutureCycle } from "./dependency-graph.js";
import { type DeviceIds, deviceIds } from "./device-ids.js";
import { assertHostUsable, EventHostWaits, eventStoppedError, latestRecordDone } from "./event-host-waits.js";
import type { EventPort } from "./event-port.js";
import { EventResources } from "./event-resources.js";
import { resolveEventTraits } from "./event-traits.js";
import { OpRecord, settledOp } from "./op-record.js";
import {
  type CallbackRecord,
  type EventCounter,
  EventRecord,
  type FutureWait,
  type RecordOp,
  type ResetOp,
  type StreamRecord,
  type WaitOp,
} from "./records.js";
import type { Runtime } from "./runtime.js";
import { updateStreamState } from "./stream-status.js";
import { TimedEventWaits } from "./timed-event-waits.js";

/**
 * Events on timeline counters: creation, record and wait (plain and future), query, host
 * synchronize and waits from host callbacks (through {@link EventHostWaits}), timestamps, reset
 * and destroy. Each record
 * signals the next value of the event's counter; a wait captures the value current at the call
 * (or, for a future wait, the next one).
 */
export class EventTimeline {
  readonly #rt: Runtime;
  readonly #port: EventPort;
  readonly #timed: TimedEventWaits;
  readonly #resources: EventResources;
  readonly #hostWaits: EventHostWaits;
  /** Per device, so two managers on one device never emit the same event id on its bus. */
  readonly #ids: DeviceIds;

  constructor(rt: Runtime, port: EventPort) {
    this.#rt = rt;
    this.#port = port;
    this.#timed = new TimedEventWaits(rt);
    this.#resources = new EventResources(rt);
    this.#hostWaits = new EventHostWaits(rt, (h) => this.eventOf(h));
    this.#ids = deviceIds(rt.device);
  }

  createEvent(options: CreateEventOptions | undefined): StreamEvent {
    const rt = this.#rt;
    rt.assertOpen();
    assertNotInCallback("StreamManager.createEvent");
    const opts = check.options(options, "createEvent options");
    const device =
      opts.device === undefined
        ? 0
        : check.integer(opts.device, "device index", 0, rt.device.deviceCount - 1);
    rt.stats.events.created++;
    const traits = resolveEventTraits(rt.behaviours.apiModel, opts);
    // CUDA: a sticky error is returned by every later call, event creation included.
    const sticky = rt.stoppedError(device);
    if (sticky !== undefined && rt.behaviours.stickyErrors) throw sticky;
    const ev = new EventRecord(++this.#ids.event, device, traits);
    if (traits.limited === "create") this.#resources.take(ev, "creating");
    const handle = rt.events.issue(ev, (o, s, g) => new StreamEvent(o, s, g, this.#port, ev));
    ev.handle = handle;
    rt.stats.events.succeeded++;
    this.#emitEvent("event.created", ev, undefined, undefined);
    return handle;
  }

  /** Limited events `device` can still take. */
  availableEvents(device: number): number {
    return this.#resources.available(device);
  }

  /** The live record of an event handle, or the coded error. */
  eventOf(handle: unknown): EventRecord {
    return this.#rt.events.get(handle, "event");
  }

  #counterOf(ev: EventRecord): EventCounter {
    if (ev.counter === undefined) ev.counter = this.#newCounter(ev);
    return ev.counter;
  }

  /** The counter the next record will signal, made for the future waits that wait for it. */
  #nextCounterOf(ev: EventRecord): EventCounter {
    if (ev.nextCounter === undefined) ev.nextCounter = this.#newCounter(ev);
    return ev.nextCounter;
  }

  /** Marks a counter no longer used for new ops; it is destroyed after its last pending op. */
  #retire(counter: EventCounter): void {
    counter.retired = true;
    if (counter.pendingOps === 0) this.#destroyCounter(counter);
  }

  #newCounter(ev: EventRecord): EventCounter {
    const handle = this.#rt.device.createCounter({ device: ev.device });
    return { handle, completed: 0, pendingRecords: 0, pendingOps: 0, retired: false };
  }

  /** One op on `counter` completed; a retired counter is destroyed after its last one. */
  #counterOpDone(counter: EventCounter): void {
    counter.pendingOps--;
    if (counter.retired && counter.pendingOps === 0) this.#destroyCounter(counter);
  }

  #destroyCounter(counter: EventCounter): void {
    try {
      this.#rt.device.destroyCounter(counter.handle);
    } catch {
      // The device may be closed already.
    }
  }

  record(rec: StreamRecord, event: unknown): OpHandle {
    this.#rt.stats.eventRecords.created++;
    const ev = this.eventOf(event);
    // Both runtimes: an event and the stream recording it share a device (CUDA: "must be on the
    // same context"; CANN: events synchronize streams of one device).
    if (rec.device !== ev.device) {
      throw new NpuError(
        "INVALID_HANDLE",
        `event ${ev.id} belongs to device ${ev.device}; stream ${rec.id} on device ${rec.device} cannot record it`,
        { details: { event: ev.id, stream: rec.id, eventDevice: ev.device, streamDevice: rec.device } },
      );
    }
    const queue = this.#rt.queueForWork(rec, "Stream.record");
    // aclrtCreateEvent takes its hardware event at the first record (CANN may block there for a
    // free one; a JavaScript call cannot block, so it is refused with NO_EVENT_RESOURCE).
    if (ev.traits.limited === "first-record" && !ev.holdsResource) this.#resources.take(ev, "recording");
    const value = ev.recordCount + 1;
    const pos = rec.enqueued;
    const resolved = ev.futureWaiters?.filter((fw) => fw.value <= value);
    if (resolved !== undefined && resolved.length > 0) {
      const cycle = findFutureCycle(resolved, rec, pos);
      if (cycle !== undefined) {
        const hops = cycle.map(
          (fw) =>
            `stream ${fw.streamId} waits for event ${fw.event.id} on stream ${fw.producer === undefined ? rec.id : fw.producerId}`,
        );
        const streams = [...new Set(cycle.map((fw) => fw.streamId))];
        throw new NpuError(
          "CYCLE_DEPENDENCY",
          `recording event ${ev.id} on stream ${rec.id} would close a dependency cycle between streams ${streams.join(" → ")} → ${streams[0]}: ${hops.join("; ")}`,
          { details: { streams, event: ev.id } },
        );
      }
    }
    const current = this.#counterOf(ev);
    // A record on another stream than the pending ones gets a fresh counter: on a shared one it
    // could complete first and raise the value past records that earlier waits captured. Future
    // waits for this record sit on a counter of their own, made for it (`nextCounter`), which the
    // record then signals: any pending record of the current counter stays the only one that
    // can release the waits that captured it (issue 10, defect 1).
    const next = ev.nextCounter;
    const rotate = next !== undefined || (current.pendingRecords > 0 && ev.lastStreamId !== rec.id);
    const counter = next ?? (rotate ? this.#newCounter(ev) : current);
    let seq: number;
    try {
      seq = this.#rt.enqueue(rec, queue, { kind: "signal", counter: counter.handle, value });
    } catch (error) {
      if (rotate && next === undefined) this.#destroyCounter(counter);
      throw error;
    }
    if (rotate) {
      this.#retire(current);
      ev.counter = counter;
      ev.nextCounter = undefined;
    }
    this.#rt.addSpecial(rec, { kind: "record", seq, event: ev, counter, value });
    const op = this.#rt.opHandle(rec, seq, "record");
    if (resolved !== undefined && resolved.length > 0) {
      for (const fw of resolved) {
        fw.producer = rec;
        fw.producerId = rec.id;
        fw.producerSeq = pos;
      }
      ev.futureWaiters = ev.futureWaiters!.filter((fw) => fw.value > value);
    }
    ev.recordCount = value;
    ev.timestampNs = undefined;
    ev.lastStream = rec;
    ev.lastStreamId = rec.id;
    ev.lastRecordOp = op;
    ev.pendingRecords++;
    ev.pendingOps++;
    counter.pendingRecords++;
    counter.pendingOps++;
    this.#rt.stats.eventRecords.succeeded++;
    this.#emitEvent("event.recorded", ev, rec.id, value);
    updateStreamState(this.#rt, rec);
    return op;
  }

  waitEvent(rec: StreamRecord, event: unknown, options: WaitEventOptions | undefined): OpHandle {
    const ev = this.eventOf(event);
    // CUDA lets a stream wait on an event of another device; CANN's events synchronize streams
    // of one device ("同一Device内、不同Stream之间"), so the 'cann' profile refuses it.
    if (rec.device !== ev.device && this.#rt.behaviours.crossDeviceWaits === "refuse") {
      throw new NpuError(
        "INVALID_PARAM",
        `event ${ev.id} belongs to device ${ev.device}; in this profile a stream on device ${rec.device} cannot wait on it`,
        { details: { event: ev.id, stream: rec.id, eventDevice: ev.device, streamDevice: rec.device } },
      );
    }
    if (ev.traits.waitRefusal !== undefined) {
      throw new NpuError(
        "INVALID_PARAM",
        `stream ${rec.id} cannot wait on event ${ev.id}: ${ev.traits.waitRefusal} (waits need ACL_EVENT_SYNC)`,
        { details: { event: ev.id, stream: rec.id, flags: ev.traits.flags } },
      );
    }
    const opts = check.options(options, "waitEvent options");
    // After a reset, CANN's runtime still counts the event as recorded and sends a real wait
    // task, which the reset flag holds until the next record: a wait for the next record.
    const afterReset =
      ev.recordCount === ev.resetBase && ev.recordCount > 0 && ev.traits.unrecorded === "error";
    const future = opts.future === true || afterReset;
    const timeoutMs = opts.timeoutMs === undefined ? undefined : check.number(opts.timeoutMs, "timeoutMs");
    if (timeoutMs !== undefined) {
      if (!(timeoutMs > 0) || !Number.isFinite(timeoutMs * 1e6)) {
        throw new NpuError(
          "INVALID_PARAM",
          `waitEvent timeoutMs must be a positive number of ms, got ${timeoutMs}`,
          {
            details: { timeoutMs },
          },
        );
      }
      if (opts.future === true) throw new NpuError("INVALID_PARAM", "a future wait cannot have a timeoutMs");
      if (future) {
        throw new NpuError(
          "INVALID_PARAM",
          `event ${ev.id} was reset and not recorded since: a wait with timeoutMs needs a record to wait for`,
        );
      }
    }
    const queue = this.#rt.queueForWork(rec, "Stream.waitEvent");
    let value: number;
    let fw: FutureWait | undefined;
    if (future) {
      value = ev.recordCount + 1;
      fw = {
        stream: rec,
        streamId: rec.id,
        seq: rec.enqueued,
        event: ev,
        value,
        producer: undefined,
        producerId: 0,
        producerSeq: 0,
        done: false,
      };
    } else {
      value = ev.recordCount;
      if (value === ev.resetBase) {
        if (ev.traits.unrecorded === "error") {
          throw new NpuError(
            "INVALID_PARAM",
            `event ${ev.id} has not been recorded; record it before waiting on it (CANN events not created with the Ex call)`,
            { details: { event: ev.id } },
          );
        }
        // An empty set of work: nothing to wait for.
        return settledOp("wait", rec.id, this.#rt.device.clock.now());
      }
      if (latestRecordDone(ev)) {
        // Passed at once, but not before its record completed in device time: on a simulator
        // the host learns of a completion without its own clock moving there.
        const recordEnd = ev.lastRecordOp?.endNs ?? 0;
        return settledOp("wait", rec.id, Math.max(this.#rt.device.clock.now(), recordEnd));
      }
      // Recorded earlier on this very stream: FIFO order covers it, and the wait is over when
      // the record is. (By id: a pooled record may now serve another stream than the one that
      // recorded.)
      if (ev.lastStreamId === rec.id) {
        const op = new OpRecord("wait", rec.id);
        const record = ev.lastRecordOp!;
        op.follow(record);
        // No device op, but a wait all the same: the wait status counts it until its record is done.
        if (record.status === "pending") {
          ev.pendingWaits++;
          record.onSettled(() => {
            ev.pendingWaits--;
          });
        }
        return op;
      }
    }
    const counter = future ? this.#nextCounterOf(ev) : this.#counterOf(ev);
    if (timeoutMs !== undefined) {
      const op = this.#timed.issue(rec, queue, ev, counter, value, timeoutMs);
      this.#emitEvent("event.waited", ev, rec.id, value);
      return op;
    }
    const seq = this.#rt.enqueue(rec, queue, { kind: "wait", counter: counter.handle, value });
    this.#rt.addSpecial(rec, { kind: "wait", seq, event: ev, counter, value, future: fw });
    const op = this.#rt.opHandle(rec, seq, "wait");
    ev.pendingOps++;
    ev.pendingWaits++;
    counter.pendingOps++;
    if (fw !== undefined) {
      if (rec.futureWaits === undefined) rec.futureWaits = [];
      rec.futureWaits.push(fw);
      if (ev.futureWaiters === undefined) ev.futureWaiters = [];
      ev.futureWaiters.push(fw);
    }
    this.#emitEvent("event.waited", ev, rec.id, value);
    updateStreamState(this.#rt, rec);
    return op;
  }

  eventQuery(ev: EventRecord): "complete" | "not-ready" {
    // As a stream query: a stopped device (CANN's context in abort state, CUDA's sticky error)
    // fails every query and synchronize with its stored error.
    const stopped = eventStoppedError(this.#rt, ev);
    if (stopped !== undefined) throw stopped;
    assertHostUsable(ev, "query");
    if (ev.recordCount === ev.resetBase) {
      // A reset is a stream task: until it has run, the event still shows the record before it.
      if (ev.resetsInFlight > 0 && ev.recordCount > 0) return latestRecordDone(ev) ? "complete" : "not-ready";
      return ev.traits.unrecorded === "empty" ? "complete" : "not-ready";
    }
    return latestRecordDone(ev) ? "complete" : "not-ready";
  }

  eventSynchronize(ev: EventRecord, options: SynchronizeOptions | undefined): Promise<void> {
    return this.#hostWaits.synchronize(ev, options);
  }

  /** {@link CallbackContext.waitFor}: an event wait from inside a callback, known to the dependency checks. */
  callbackWait(cb: CallbackRecord, event: unknown, options: SynchronizeOptions | undefined): Promise<void> {
    return this.#hostWaits.callbackWait(cb, event, options);
  }

  /** Rejects every host-side wait on the events of a stopped device. */
  failEvents(device: number, error: NpuError): void {
    this.#hostWaits.fail(device, error);
  }

  elapsedTime(start: EventRecord, end: EventRecord): number {
    for (const ev of [start, end]) {
      if (!ev.timing || !this.#rt.device.capabilities.timing) {
        throw new NpuError(
          "EVENT_TIMESTAMP_INVALID",
          `event ${ev.id} carries no timestamp: ${ev.timing ? "the backend does not time ops" : "it was created with timing: false"}`,
          { details: { event: ev.id } },
        );
      }
    }
    for (const ev of [start, end]) {
      if (ev.recordCount === ev.resetBase) {
        throw new NpuError("EVENT_NOT_RECORDED", `event ${ev.id} has not been recorded`, {
          details: { event: ev.id },
        });
      }
    }
    for (const ev of [start, end]) {
      if (!latestRecordDone(ev) || ev.timestampNs === undefined) {
        throw new NpuError(
          "EVENT_NOT_COMPLETE",
          `event ${ev.id}: its latest record has not completed; synchronize first`,
          { details: { event: ev.id } },
        );
      }
    }
    return (end.timestampNs! - start.timestampNs!) / 1e6;
  }

  /** `Stream.resetEvent` (CANN `aclrtResetEvent(event, stream)`): a task in the stream's order. */
  resetEvent(rec: StreamRecord, event: unknown): OpHandle {
    this.#rt.stats.eventRecords.released++;
    assertNotInCallback("Stream.resetEvent");
    const ev = this.eventOf(event);
    const refusal = ev.traits.resetRefusal;
    if (refusal !== undefined) {
      throw new NpuError(refusal.code, `event ${ev.id} cannot be reset: ${refusal.why}`, {
        details: { event: ev.id, api: ev.traits.api, flags: ev.traits.flags },
      });
    }
    if (rec.device !== ev.device) {
      throw new NpuError(
        "INVALID_HANDLE",
        `event ${ev.id} belongs to device ${ev.device}; stream ${rec.id} on device ${rec.device} cannot reset it`,
        { details: { event: ev.id, stream: rec.id } },
      );
    }
    const queue = this.#rt.queueForWork(rec, "Stream.resetEvent");
    const counter = this.#counterOf(ev);
    // Raising a counter to 0 changes nothing: the op only marks the reset's place in the stream.
    const seq = this.#rt.enqueue(rec, queue, { kind: "signal", counter: counter.handle, value: 0 });
    this.#rt.addSpecial(rec, { kind: "reset", seq, event: ev, counter });
    const op = this.#rt.opHandle(rec, seq, "reset");
    ev.pendingOps++;
    ev.resetsInFlight++;
    counter.pendingOps++;
    // Calls after this one see the initial state: waits issued before it keep the record they captured.
    ev.resetBase = ev.recordCount;
    ev.timestampNs = undefined;
    ev.lastStream = undefined;
    ev.lastStreamId = 0;
    ev.lastRecordOp = undefined;
    this.#rt.stats.eventRecords.releasedOk++;
    this.#emitEvent("event.reset", ev, rec.id, ev.recordCount);
    updateStreamState(this.#rt, rec);
    return op;
  }

  /** A reset task ran (or was discarded). */
  onResetDone(op: ResetOp): void {
    const ev = op.event;
    ev.pendingOps--;
    ev.resetsInFlight--;
    this.#counterOpDone(op.counter);
    this.#maybeFreeEvent(ev);
  }

  eventWaitStatus(ev: EventRecord): "complete" | "not-ready" {
    if (ev.traits.waitStatusRefused) {
      throw new NpuError(
        "FEATURE_NOT_SUPPORTED",
        ev.traits.api === "cuda"
          ? "CUDA has no event wait-status query (aclrtQueryEventWaitStatus is CANN's)"
          : `event ${ev.id}: aclrtQueryEventWaitStatus does not support events of aclrtCreateEventExWithFlag`,
        { details: { event: ev.id } },
      );
    }
    return ev.pendingWaits > 0 ? "not-ready" : "complete";
  }

  destroyEvent(handle: unknown): void {
    this.#rt.stats.events.released++;
    assertNotInCallback("StreamEvent.destroy");
    const ev = this.#rt.events.remove(handle, "event");
    this.#rt.stats.events.releasedOk++;
    ev.handle = undefined;
    ev.destroyed = true;
    this.#emitEvent("event.destroyed", ev, undefined, undefined);
    this.#maybeFreeEvent(ev);
  }

  #maybeFreeEvent(ev: EventRecord): void {
    if (!ev.destroyed || ev.freed || ev.pendingOps > 0) return;
    ev.freed = true;
    this.#resources.give(ev);
    if (ev.counter !== undefined) this.#destroyCounter(ev.counter);
    if (ev.nextCounter !== undefined) this.#destroyCounter(ev.nextCounter);
    ev.counter = undefined;
    ev.nextCounter = undefined;
  }

  #emitEvent(
    type: "event.created" | "event.recorded" | "event.waited" | "event.reset" | "event.destroyed",
    ev: EventRecord,
    stream: number | undefined,
    value: number | undefined,
  ): void {
    const bus = this.#rt.device.instrumentation;
    if (!bus.active) return;
    bus.emit({
      type,
      time: this.#rt.device.clock.now(),
      event: ev.id,
      ...(stream === undefined ? {} : { stream }),
      ...(value === undefined ? {} : { value }),
    });
  }

  /** A record op completed: its counter rises, or the record is marked discarded. */
  onRecordDone(rec: StreamRecord, op: RecordOp, c: OpCompletion): boolean {
    const ev = op.event;
    const counter = op.counter;
    ev.pendingOps--;
    ev.pendingRecords--;
    counter.pendingRecords--;
    let woke = false;
    if (c.status === "ok") {
      if (op.value > counter.completed) counter.completed = op.value;
      if (op.value === ev.recordCount) ev.timestampNs = c.endNs;
      woke = this.#hostWaits.settle(ev, undefined);
      this.#timed.onRecordDone(ev);
    } else {
      if (ev.discarded === undefined || ev.discarded.value <= op.value) {
        ev.discarded = { value: op.value, streamId: rec.id, destroyed: rec.state === "DESTROYED" };
      }
      woke = this.#hostWaits.settle(
        ev,
        new NpuError(
          "STREAM_ABORT",
          `event ${ev.id}: its record on stream ${rec.id} was discarded (${c.failure?.code ?? c.status})`,
          { details: { event: ev.id, stream: rec.id } },
        ),
      );
    }
    this.#counterOpDone(counter);
    this.#maybeFreeEvent(ev);
    return woke;
  }

  /** A wait op completed (satisfied, or discarded by an abort). */
  onWaitDone(rec: StreamRecord, op: WaitOp): void {
    const ev = op.event;
    ev.pendingOps--;
    ev.pendingWaits--;
    this.#counterOpDone(op.counter);
    const fw = op.future;
    if (fw !== undefined) {
      fw.done = true;
      rec.futureWaits = without(rec.futureWaits, fw);
      ev.futureWaiters = without(ev.futureWaiters, fw);
    }
    this.#maybeFreeEvent(ev);
  }
}

function without<T>(list: T[] | undefined, item: T): T[] | undefined {
  if (list === undefined) return undefined;
  const i = list.indexOf(item);
  if (i >= 0) list.splice(i, 1);
  return list.length === 0 ? undefined : list;
}
