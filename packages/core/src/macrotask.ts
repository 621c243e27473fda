import { NpuTypeError } from "./errors/npu-error.js";
import { describe } from "./errors/safe-text.js";
import { RingQueue } from "./structures/ring-queue.js";

/** The part of a `MessagePort` a hop uses (core's typings need no DOM lib). @internal */
export interface MessagePortLike {
  onmessage: ((event: unknown) => void) | null;
  postMessage(message: unknown): void;
  /** Node only. */
  unref?(): void;
}

/** The host facilities a macrotask hop can be built on (the global object, or a stand-in in tests). @internal */
export interface MacrotaskHost {
  readonly setImmediate?: ((callback: () => void) => unknown) | undefined;
  readonly MessageChannel?:
    | (new () => { readonly port1: MessagePortLike; readonly port2: MessagePortLike })
    | undefined;
  readonly setTimeout?: ((callback: () => void, ms: number) => unknown) | undefined;
}

/**
 * Picks the cheapest macrotask hop `host` offers: `setImmediate` (Node, Bun), else a
 * `MessageChannel` message (browsers, Deno), else `setTimeout(0)`. Browsers clamp nested
 * `setTimeout(0)` calls to at least 4 ms, so a virtual-time simulation that yields to the host
 * thousands of times would spend most of its wall time asleep; a posted message is not clamped.
 * (`scheduler.postTask` is not used: it is missing in Firefox and Safari, and a message is as fast.)
 * @internal
 */
export function macrotaskHop(host: MacrotaskHost): (callback: () => void) => void {
  if (typeof host.setImmediate === "function") {
    const setImmediate = host.setImmediate;
    return (callback) => void setImmediate(callback);
  }
  if (typeof host.MessageChannel === "function") {
    // One channel for every hop; each message runs the oldest waiting callback, so hops keep
    // their order and each runs on its own task (an error in one does not stop the others).
    const due = new RingQueue<() => void>(16);
    const channel = new host.MessageChannel();
    channel.port1.onmessage = () => due.shift()?.();
    // Node keeps a process alive while a port listens; a hop must not (as setImmediate does not).
    channel.port1.unref?.();
    return (callback) => {
      due.push(callback);
      channel.port2.postMessage(null);
    };
  }
  if (typeof host.setTimeout === "function") {
    const setTimeout = host.setTimeout;
    return (callback) => void setTimeout(callback, 0);
  }
  throw new NpuTypeError(
    "no macrotask hop: the host has neither setImmediate, MessageChannel nor setTimeout",
  );
}

const hop = macrotaskHop(globalThis as unknown as MacrotaskHost);

/**
 * Runs `callback` on a fresh macrotask, after every pending microtask (promise reaction) has run.
 * Virtual-time backends use it to yield to the host: by then every `await` that a completion woke
 * has resumed and submitted whatever it was going to submit. In Node it is `setImmediate`; in a
 * browser, a `MessageChannel` message (not `setTimeout(0)`, which browsers clamp to 4 ms).
 */
export function scheduleMacrotask(callback: () => void): void {
  // Checked here: a non-function would throw later, on its own macrotask, uncatchably.
  if (typeof callback !== "function")
    throw new NpuTypeError(`scheduleMacrotask callback must be a function, got ${describe(callback)}`);
  hop(callback);
}
