import { NpuTypeError } from "../errors/npu-error.js";
import { describe } from "../errors/safe-text.js";
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
    if (onListenerError !== undefined && typeof onListenerError !== "function") {
      throw new NpuTypeError(`onListenerError must be a function, got ${describe(onListenerError)}`);
    }
    this.#onListenerError = onListenerError ?? reportToConsole;
  }

  /** Adds a listener; returns the function that removes it (calling it twice is harmless). */
  subscribe(listener: InstrumentationListener): () => void {
    if (typeof listener !== "function")
      throw new NpuTypeError(`listener must be a function, got ${describe(listener)}`);
    // Copy on write, so a listener that unsubscribes during emit does not skip its neighbour.
    this.#listeners = [...this.#listeners, listener];
    this.active = true;
    return () => {
      this.#listeners = this.#listeners.filter((l) => l !== listener);
      this.active = this.#listeners.length > 0;
    };
  }

  /** Delivers `event` (an object with a string `type`) to every listener, in subscription order. */
  emit(event: InstrumentationEvent): void {
    const listeners = this.#listeners;
    if (listeners.length === 0) return;
    if (!isEvent(event))
      throw new NpuTypeError(
        `an instrumentation event must be an object with a string type, got ${describe(event)}`,
      );
    for (let i = 0; i < listeners.length; i++) {
      try {
        listeners[i]!(event);
      } catch (error) {
        try {
          this.#onListenerError(error);
        } catch (second) {
          // The error handler failed too: the emitter (often a backend's loop) must still not see it.
          reportToConsole(second);
        }
      }
    }
  }
}

function isEvent(event: unknown): boolean {
  if (typeof event !== "object" || event === null) return false;
  try {
    return typeof (event as { type?: unknown }).type === "string";
  } catch {
    return false; // a Proxy whose get trap throws is no event
  }
}

function reportToConsole(error: unknown): void {
  try {
    console.error("[npurt] instrumentation listener threw", error);
  } catch {
    // The console could not print the value (a hostile Proxy): say so without it.
    console.error("[npurt] instrumentation listener threw an unprintable value");
  }
}
