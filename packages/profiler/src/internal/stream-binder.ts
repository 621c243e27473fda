import type { InstrumentationEvent } from "@npurt/core";

/**
 * Matches hardware queues to the streams using them. Core's op events carry only the queue;
 * the streams layer emits a stream's state change, record, wait or callback right after the op
 * it enqueued, so the event following an `op.enqueued` names the stream of that op's queue.
 * A pooled queue serving a new stream is re-matched at that stream's first op.
 */
export class StreamBinder {
  #streamOf = new Map<number, number>();
  #lastQueue = -1;
  #onBind: ((queue: number, stream: number) => void) | undefined;

  /** @param onBind - called when a queue is matched to a (new) stream. */
  constructor(onBind?: (queue: number, stream: number) => void) {
    this.#onBind = onBind;
  }

  /** Feeds one event; call it for every event, in order. */
  observe(e: InstrumentationEvent): void {
    const last = this.#lastQueue;
    this.#lastQueue = -1;
    switch (e.type) {
      case "op.enqueued":
        this.#lastQueue = e.queue;
        return;
      case "stream.state":
      case "event.recorded":
      case "event.waited":
      case "callback.enqueued":
        if (last >= 0 && e.stream !== undefined && this.#streamOf.get(last) !== e.stream) {
          this.#streamOf.set(last, e.stream);
          this.#onBind?.(last, e.stream);
        }
        return;
      default:
        return;
    }
  }

  /** The stream last matched to `queue`. */
  streamOf(queue: number): number | undefined {
    return this.#streamOf.get(queue);
  }
}
