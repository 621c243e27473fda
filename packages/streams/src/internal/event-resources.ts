import { NpuError } from "@npurt/core";
import type { EventRecord } from "./records.js";
import type { Runtime } from "./runtime.js";

/**
 * The device's limited event resources (runtime-semantics §1.2 Flag requirement for waits):
 * CANN counts an event of `aclrtCreateEventWithFlag` with `SYNC` (or `EXTERNAL`) against the
 * device's event limit when it is created, and an event of `aclrtCreateEvent` at its first
 * record; Ex events and CUDA's events are not limited. The limit is the device's
 * `maxCounters` (65,535 on the simulator's Atlas-training preset, as CANN documents for it).
 * A resource is given back when the event is freed (destroyed, and its last op done).
 */
export class EventResources {
  readonly #rt: Runtime;
  /** Per device: limited events holding a resource. */
  readonly #held: number[];

  constructor(rt: Runtime) {
    this.#rt = rt;
    this.#held = new Array<number>(rt.device.deviceCount).fill(0);
  }

  /** The limit of `device`. */
  limit(device: number): number {
    return this.#rt.device.capabilities.devices[device]?.maxCounters ?? Number.POSITIVE_INFINITY;
  }

  /** Limited events `device` can still take. */
  available(device: number): number {
    return Math.max(0, this.limit(device) - this.#held[device]!);
  }

  /** Takes a resource for `ev`, or throws `NO_EVENT_RESOURCE`. */
  take(ev: EventRecord, when: "creating" | "recording"): void {
    const d = ev.device;
    const limit = this.limit(d);
    if (this.#held[d]! >= limit) {
      throw new NpuError(
        "NO_EVENT_RESOURCE",
        `device ${d} has no free event (limit ${limit}) for ${when} event ${ev.id}; destroy events that are no longer needed`,
        { details: { device: d, limit, event: ev.id } },
      );
    }
    this.#held[d]!++;
    ev.holdsResource = true;
  }

  /** Gives `ev`'s resource back, if it holds one. */
  give(ev: EventRecord): void {
    if (!ev.holdsResource) return;
    ev.holdsResource = false;
    this.#held[ev.device]!--;
  }
}
