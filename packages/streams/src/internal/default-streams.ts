import type { QueueHandle } from "@npurt/core";
import { check } from "@npurt/core/internal";
import type { Stream } from "../stream.js";
import type { StreamRecord } from "./records.js";
import type { Runtime } from "./runtime.js";
import type { StreamLifecycle } from "./stream-lifecycle.js";

/**
 * The default streams (runtime-semantics §1.8) and the legacy default stream's implicit
 * synchronization. One default stream per device, made on first use (an unused one would only
 * take a stream of the device's limit); it cannot be destroyed and goes with the manager.
 *
 * Implicit synchronization (`defaultStream: 'legacy'`) is built from the device's own counters:
 * a stream that must wait for another's work so far gets a wait op on that stream's sync
 * counter, and the other stream a signal op after its work. Each pair is synchronized once per
 * new work, not once per op.
 */
export class DefaultStreams {
  readonly #rt: Runtime;
  readonly #lifecycle: StreamLifecycle;
  /** Per device: its default stream's handle, once made. */
  readonly #handles: (Stream | undefined)[];

  constructor(rt: Runtime, lifecycle: StreamLifecycle) {
    this.#rt = rt;
    this.#lifecycle = lifecycle;
    this.#handles = new Array<Stream | undefined>(rt.device.deviceCount).fill(undefined);
  }

  /** The default stream of `device` (made now if it does not exist yet). */
  get(device: unknown): Stream {
    const rt = this.#rt;
    const d = device === undefined ? 0 : check.integer(device, "device index", 0, rt.device.deviceCount - 1);
    const existing = this.#handles[d];
    if (existing !== undefined && rt.streams.has(existing)) return existing;
    const kind = rt.behaviours.defaultStream;
    // CANN: the default stream has the highest priority, which is also the profile's default;
    // CUDA's default streams have the default priority.
    const handle = this.#lifecycle.create({ device: d }, kind);
    this.#handles[d] = handle;
    if (kind === "legacy") rt.legacy[d] = rt.streams.get(handle, "stream");
    return handle;
  }

  /** Every default stream made so far. */
  *all(): IterableIterator<Stream> {
    for (const h of this.#handles) if (h !== undefined && this.#rt.streams.has(h)) yield h;
  }

  /**
   * Called before every op issued on `rec` while a legacy default stream exists on its device:
   * an op on the legacy stream first waits for the work issued so far on every blocking stream,
   * and an op on a blocking stream first waits for the work issued so far on the legacy stream.
   */
  implicitSync(rec: StreamRecord, legacy: StreamRecord, queue: QueueHandle): void {
    if (rec === legacy) {
      for (const [, other] of this.#rt.streams.entries()) {
        if (other === legacy || other.device !== rec.device || other.nonBlocking) continue;
        if (other.enqueued <= (other.extras?.coveredByLegacy ?? 0)) continue;
        this.#barrier(rec, queue, other);
        other.withExtras().coveredByLegacy = other.enqueued;
      }
    } else if (!rec.nonBlocking && legacy.enqueued > (rec.extras?.legacyCovered ?? 0)) {
      this.#barrier(rec, queue, legacy);
      rec.withExtras().legacyCovered = legacy.enqueued;
    }
  }

  /** Makes `waiter` (on `queue`) wait for the work issued so far on `producer`. */
  #barrier(waiter: StreamRecord, queue: QueueHandle, producer: StreamRecord): void {
    const rt = this.#rt;
    if (producer.completed >= producer.enqueued || producer.state === "ABORTED") return; // nothing pending
    const x = producer.withExtras();
    if (x.syncSeq !== producer.enqueued - 1) {
      const counter = x.syncCounter ?? rt.device.createCounter({ device: producer.device });
      x.syncCounter = counter;
      const pq = producer.queue ?? rt.acquireQueue(producer);
      x.syncSeq = rt.enqueue(producer, pq, { kind: "signal", counter, value: x.syncValue + 1 });
      x.syncValue++;
    }
    const value = x.syncValue;
    const seq = rt.enqueue(waiter, queue, { kind: "wait", counter: x.syncCounter!, value });
    rt.addSpecial(waiter, {
      kind: "barrier",
      seq,
      counter: x.syncCounter!,
      value,
      producer,
      producerSeq: x.syncSeq,
    });
  }
}
