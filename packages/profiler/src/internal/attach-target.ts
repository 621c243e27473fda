import {
  type Clock,
  type DeviceCapabilities,
  Instrumentation,
  type InstrumentationListener,
  NpuError,
  NpuTypeError,
} from "@npurt/core";
import type { AttachTarget, ProfilerTarget } from "../target.js";

export type { AttachTarget };

/** The resolved parts of an attach target. */
export interface ResolvedTarget {
  readonly bus: Instrumentation;
  readonly clock: Clock | undefined;
  readonly capabilities: DeviceCapabilities | undefined;
  /** Registers a listener for the target's close (a `Device`'s finalize), when it has one. */
  readonly onClose: ((listener: () => void) => () => void) | undefined;
}

/** Checks and unpacks an attach target (a `TypeError` for anything that has no bus). */
export function resolveTarget(target: unknown): ResolvedTarget {
  if (target instanceof Instrumentation)
    return { bus: target, clock: undefined, capabilities: undefined, onClose: undefined };
  const bus = (target as { instrumentation?: unknown } | null | undefined)?.instrumentation;
  if (typeof target !== "object" || target === null || !isBus(bus)) {
    throw new NpuTypeError("attach target must be a Device or an Instrumentation bus");
  }
  const t = target as ProfilerTarget;
  const onClose = typeof t.onClose === "function" ? (l: () => void) => t.onClose!(l) : undefined;
  return { bus, clock: t.clock, capabilities: t.capabilities, onClose };
}

// Duck-typed as well as instanceof: two installed copies of core have two Instrumentation classes.
function isBus(value: unknown): value is Instrumentation {
  if (value instanceof Instrumentation) return true;
  const v = value as { subscribe?: unknown; emit?: unknown } | null | undefined;
  return typeof v?.subscribe === "function" && typeof v.emit === "function";
}

/** Holds one subscription at a time; a second attach without a detach is refused. */
export class Subscription {
  #unsubscribe: (() => void) | undefined;
  #owner: string;

  constructor(owner: string) {
    this.#owner = owner;
  }

  /** Whether a subscription is live. */
  get attached(): boolean {
    return this.#unsubscribe !== undefined;
  }

  /** Subscribes `listener`; `ILLEGAL_STATE` if already attached. */
  open(bus: Instrumentation, listener: InstrumentationListener): void {
    if (this.#unsubscribe !== undefined) {
      throw new NpuError("ILLEGAL_STATE", `${this.#owner} is already attached; detach it first`);
    }
    this.#unsubscribe = bus.subscribe(listener);
  }

  /** Unsubscribes; harmless when not attached. */
  close(): void {
    this.#unsubscribe?.();
    this.#unsubscribe = undefined;
  }
}
