import { Handle } from "@npurt/core";
import type { EventCreationApi } from "./event-flags.js";
import type { EventPort } from "./internal/event-port.js";
import { reportHostWait } from "./internal/host-wait-events.js";
import type { EventRecord } from "./internal/records.js";
import type { SynchronizeOptions } from "./stream-options.js";

/**
 * An event: a point in a stream's work that other streams and the host can wait for (CANN
 * `aclrtEvent`, CUDA `cudaEvent_t`). It lives on a timeline counter of the device: each record
 * signals the next value, and a wait waits for the value current when the wait is issued.
 *
 * Created by {@link StreamManager.createEvent}; recorded with {@link Stream.record} and waited on
 * with {@link Stream.waitEvent}.
 *
 * @example
 * ```ts
 * const start = manager.createEvent();
 * const end = manager.createEvent();
 * s.record(start); s.launch({ name: "k" }); s.record(end);
 * await end.synchronize();
 * start.elapsedTime(end); // milliseconds on the device clock
 * ```
 */
export class StreamEvent extends Handle {
  readonly #port: EventPort;
  readonly #rec: EventRecord;

  /** @internal Events are created by {@link StreamManager.createEvent}. */
  constructor(owner: object, slot: number, generation: number, port: EventPort, rec: EventRecord) {
    super(owner, slot, generation);
    this.#port = port;
    this.#rec = rec;
  }

  /** Always `"event"`. */
  get kind(): "event" {
    return "event";
  }

  #live(): EventRecord {
    const rec = this.#rec;
    return rec.handle === this ? rec : this.#port.eventOf(this);
  }

  /** The event's id, unique on its device's bus (shared by every manager on the device). */
  get id(): number {
    return this.#live().id;
  }

  /** Whether records carry timestamps. */
  get timing(): boolean {
    return this.#live().timing;
  }

  /** The creation call the event copies (see {@link EventCreationApi}). */
  get api(): EventCreationApi {
    return this.#live().traits.api;
  }

  /** The flags it was created with (CANN `ACL_EVENT_*` or CUDA `cudaEvent*` bits; 0 for none). */
  get flags(): number {
    return this.#live().traits.flags;
  }

  /** CUDA's `cudaEventBlockingSync` (kept, with no effect on a JavaScript host, which never spins). */
  get blockingSync(): boolean {
    return this.#live().traits.blockingSync;
  }

  /**
   * `'complete'` when every stream wait issued on this event so far has completed (CANN
   * `aclrtQueryEventWaitStatus`), `'not-ready'` while one is pending. A wait discarded by an
   * abort counts as completed. CANN refuses it for Ex events, and CUDA has no such query
   * (`FEATURE_NOT_SUPPORTED` for both).
   */
  waitStatus(): "complete" | "not-ready" {
    return this.#port.eventWaitStatus(this.#live());
  }

  /**
   * `'complete'` when the latest record's work has finished. Before the first record (or after a
   * reset) it follows the profile: complete for `'empty'` events (CUDA), not ready for `'error'`
   * events (CANN). A record discarded by an abort never completes.
   */
  query(): "complete" | "not-ready" {
    return this.#port.eventQuery(this.#live());
  }

  /**
   * Resolves when the latest record (as of this call) has completed; at once when never
   * recorded. Rejects with `EVENT_SYNC_TIMEOUT` after `timeoutMs` of the device clock, or with
   * `STREAM_ABORT` (or a stopped device's error) when the record was discarded.
   */
  synchronize(options?: SynchronizeOptions): Promise<void> {
    try {
      const port = this.#port;
      const rec = this.#live();
      const device = port.device;
      return device.instrumentation.active
        ? reportHostWait(device, "event", rec.id, () => port.eventSynchronize(rec, options))
        : port.eventSynchronize(rec, options);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Milliseconds of device time from this event's latest record to `end`'s (negative when `end`
   * came first). Throws `EVENT_TIMESTAMP_INVALID` when either event has timing off (or the
   * backend does not time ops), `EVENT_NOT_RECORDED` when either was never recorded, and
   * `EVENT_NOT_COMPLETE` when either record has not completed.
   */
  elapsedTime(end: StreamEvent): number {
    return this.#port.elapsedTime(this.#live(), this.#port.eventOf(end));
  }

  /**
   * Destroys the event. Allowed before its records complete: the counter behind it is freed
   * once every issued record and wait has completed. Destroying twice is `INVALID_HANDLE`.
   */
  destroy(): void {
    this.#port.destroyEvent(this);
  }
}
