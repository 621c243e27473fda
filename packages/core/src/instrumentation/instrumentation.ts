import type { InstrumentationEvent } from "./events.js";

/** Receives instrumentation events. */
export type InstrumentationListener = (event: InstrumentationEvent) => void;

/**
 * A typed event bus. Emitters guard with {@link Instrumentation.active} so that, with no
 * subscriber, an instrumented hot path costs one property read and builds no event object:
 *
 * @example
 * ```ts
 * if (bus.active) bus.emit({ type: "stream.destroyed", time: clock.now(), stream: id });
 * const unsubscribe = bus.subscribe((e) => console.log(e.type));
 * unsubscribe();
 * ```
 */
export class Instrumentation {
  #listeners: InstrumentationListener[] = [];
  #onListenerError: (error: unknown) => void;
  /**
   * Whether anyone listens. Check it before building an event. Read-only for users: a plain
   * field rather than a getter because it is read on every instrumented hot path (measured in
   * `bench/instrumentation.bench.mjs`).
   */
  active = false;

  /**
   * @param onListenerError - what to do with an error a listener throws; by default it is
   * reported with `console.error` and the other listeners still run. A listener's error never
   * reaches the code that emitted the event.
   */
  constructor(onListenerError?: (error: unknown) => void) {
    this.#onListenerError =
      onListenerError ?? ((error) => console.error("[npurt] instrumentation listener threw", error));
  }

  /** Adds a listener; returns the function that removes it (calling it twice is harmless). */
  subscribe(listener: InstrumentationListener): () => void {
    if (typeof listener !== "function") throw new TypeError("listener must be a function");
    // Copy on write, so a listener that unsubscribes during emit does not skip its neighbour.
    this.#listeners = [...this.#listeners, listener];
    this.active = true;
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
      this.active = this.#listeners.length > 0;
    };
  }

  /** Delivers `event` to every listener, in subscription order. */
  emit(event: InstrumentationEvent): void {
    const listeners = this.#listeners;
    for (let i = 0; i < listeners.length; i++) {
      try {
        listeners[i]!(event);
      } catch (error) {
        this.#onListenerError(error);
      }
    }
  }
}
