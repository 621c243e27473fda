import type { SimQueue } from "./sim-queue.js";

/** Where the link puts rescheduled end events (the engine's event heap). */
interface EventSink {
  push(item: SimQueue, time: number): void;
}

/**
 * The link one copy direction's engines share (PCIe for h2d and d2h, HBM for d2d and fills).
 * More engines let more copies run at once, but not faster in sum: the transfers in flight
 * split the link's bandwidth equally (a fluid model), so two 25 GB/s engines on a 25 GB/s
 * link move 12.5 GB/s each while both run. A copy's fixed latency (`copyLatencyNs`, plus its
 * jitter) is spent on its engine before it joins the link and takes no bandwidth.
 *
 * Each transfer keeps `q.work`: the ns it still needs at the link's full rate. Whenever a
 * transfer joins or leaves, the others' progress is settled and their end events moved; the
 * old events go stale (the engine only honours the event at `q.at`).
 */
export class CopyLink {
  readonly #active: SimQueue[] = [];
  /** The instant the rates last changed; progress since then is at 1 / active.length each. */
  #since = 0;

  /** Number of transfers in flight. */
  get size(): number {
    return this.#active.length;
  }

  /** `q` starts its transfer at `t`; every transfer's end is rescheduled. */
  join(q: SimQueue, t: number, events: EventSink): void {
    this.#settle(t);
    this.#active.push(q);
    this.#reschedule(t, events);
  }

  /** `q` leaves the link at `t` (it ended or was stopped); the others speed up. */
  leave(q: SimQueue, t: number, events: EventSink): void {
    const i = this.#active.indexOf(q);
    if (i < 0) return;
    this.#settle(t);
    this.#active.splice(i, 1);
    this.#reschedule(t, events);
  }

  #settle(t: number): void {
    const active = this.#active;
    const n = active.length;
    if (n > 0 && t > this.#since) {
      const done = (t - this.#since) / n;
      for (let i = 0; i < n; i++) active[i]!.work = Math.max(0, active[i]!.work - done);
    }
    this.#since = t;
  }

  #reschedule(t: number, events: EventSink): void {
    const active = this.#active;
    const n = active.length;
    for (let i = 0; i < n; i++) {
      const q = active[i]!;
      const end = t + Math.ceil(q.work * n);
      if (end === q.at) continue;
      q.at = end;
      events.push(q, end);
    }
  }
}
