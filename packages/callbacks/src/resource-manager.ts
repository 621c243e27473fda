import { type Clock, type Instrumentation, NpuError } from "@npurt/core";
import { check } from "@npurt/core/internal";
import { clockOption, instrumentationOption } from "./internal/port-options.js";
import { quoted } from "./internal/report-text.js";

/** How a managed resource is made and given back. */
export interface ResourceDefinition<T = unknown> {
  /** Creates the resource when its first holder acquires it. */
  create(): T;
  /** Frees it when the last holder releases it. */
  dispose?(value: T): void;
}

/** One resource still held, as listed by {@link ResourceManager.leaks}. */
export interface ResourceLeak {
  /** The resource's key. */
  readonly key: string;
  /** How many acquisitions are outstanding. */
  readonly refCount: number;
  /** Who holds it (a holder that acquired twice appears twice). */
  readonly holders: readonly string[];
}

/** Options of {@link ResourceManager}. */
export interface ResourceManagerOptions {
  /** Receives `resource.acquired` / `resource.released` events when someone listens. */
  readonly instrumentation?: Instrumentation;
  /**
   * Stamps those events. Pass the device's clock so they line up with its other events (and
   * stay reproducible in virtual time). Default: `performance.now()` in nanoseconds.
   */
  readonly clock?: Clock;
}

interface Entry {
  readonly definition: ResourceDefinition;
  value: unknown;
  refCount: number;
  readonly holders: Map<string, number>;
}

/**
 * Reference-counted resources shared by callbacks: the first acquisition creates a resource,
 * every holder adds a reference, and the last release disposes it. A callback graph acquires a
 * node's declared resources when the run starts and releases them when that node finishes,
 * fails, is skipped or is cancelled, so a buffer shared by several callbacks lives until the
 * last of them is done. Whatever is still held afterwards is a leak, and
 * {@link ResourceManager.leaks} lists it with its holders instead of hiding it.
 *
 * @example
 * ```ts
 * const resources = new ResourceManager();
 * resources.define("scratch", { create: () => new Float32Array(1024) });
 * const buffer = resources.acquire<Float32Array>("scratch", "decode");
 * resources.release("scratch", "decode"); // last holder: disposed
 * resources.leaks(); // []
 * ```
 */
export class ResourceManager {
  readonly #entries = new Map<string, Entry>();
  readonly #bus: Instrumentation | undefined;
  readonly #clock: Clock | undefined;

  constructor(options: ResourceManagerOptions = {}) {
    const o = check.options(options, "resource manager options");
    this.#bus = instrumentationOption(o.instrumentation);
    this.#clock = clockOption(o.clock);
  }

  /**
   * Declares how to create and dispose the resource `key`. Redefining a key that is held is
   * refused (`ILLEGAL_STATE`): its holders would end up disposing a different object.
   */
  define<T>(key: string, definition: ResourceDefinition<T>): void {
    check.string(key, "resource key");
    const d = check.options(definition, "resource definition");
    // Read once: the functions kept are the ones checked (a getter cannot swap them later).
    const create = check.func<ResourceDefinition["create"]>(d.create, "resource create");
    const dispose = d.dispose;
    if (dispose !== undefined) check.func(dispose, "resource dispose");
    const existing = this.#entries.get(key);
    if (existing !== undefined && existing.refCount > 0) {
      throw new NpuError("ILLEGAL_STATE", `resource ${quoted(key)} is held; it cannot be redefined`, {
        details: { key, refCount: existing.refCount },
      });
    }
    this.#entries.set(key, {
      definition: dispose === undefined ? { create } : { create, dispose },
      value: undefined,
      refCount: 0,
      holders: new Map(),
    });
  }

  /** Whether `key` was defined. */
  has(key: string): boolean {
    return this.#entries.has(key);
  }

  /** Adds a reference for `holder` (creating the resource on the first one) and returns it. */
  acquire<T = unknown>(key: string, holder: string): T {
    const entry = this.#entry(key);
    check.string(holder, "resource holder");
    if (entry.refCount === 0) entry.value = entry.definition.create();
    entry.refCount++;
    entry.holders.set(holder, (entry.holders.get(holder) ?? 0) + 1);
    this.#emit("resource.acquired", key, entry.refCount);
    return entry.value as T;
  }

  /**
   * Drops one reference of `holder`; the last one disposes the resource. Releasing what the
   * holder does not hold is refused (`INVALID_PARAM`), since it would free someone else's
   * reference. If `dispose` throws, the resource still counts as released and the error is
   * rethrown.
   */
  release(key: string, holder: string): void {
    const entry = this.#entry(key);
    const held = entry.holders.get(holder);
    if (held === undefined) {
      throw new NpuError("INVALID_PARAM", `${quoted(holder)} does not hold resource ${quoted(key)}`, {
        details: { key, holder },
      });
    }
    if (held === 1) entry.holders.delete(holder);
    else entry.holders.set(holder, held - 1);
    entry.refCount--;
    this.#emit("resource.released", key, entry.refCount);
    if (entry.refCount === 0) {
      const value = entry.value;
      entry.value = undefined;
      entry.definition.dispose?.(value);
    }
  }

  /** The live value of `key`; refused with `ILLEGAL_STATE` when nobody holds it. */
  get<T = unknown>(key: string): T {
    const entry = this.#entry(key);
    if (entry.refCount === 0) {
      throw new NpuError("ILLEGAL_STATE", `resource ${quoted(key)} is not held by anyone`, {
        details: { key },
      });
    }
    return entry.value as T;
  }

  /** Outstanding references to `key` (0 when released or never acquired). */
  refCount(key: string): number {
    return this.#entry(key).refCount;
  }

  /** Every resource still held, with its holders. Empty when nothing leaked. */
  leaks(): ResourceLeak[] {
    const out: ResourceLeak[] = [];
    for (const [key, entry] of this.#entries) {
      if (entry.refCount === 0) continue;
      const holders: string[] = [];
      for (const [holder, count] of entry.holders) for (let i = 0; i < count; i++) holders.push(holder);
      out.push({ key, refCount: entry.refCount, holders });
    }
    return out;
  }

  #entry(key: string): Entry {
    check.string(key, "resource key");
    const entry = this.#entries.get(key);
    if (entry === undefined) {
      throw new NpuError("INVALID_PARAM", `unknown resource ${quoted(key)} (define it first)`, {
        details: { key },
      });
    }
    return entry;
  }

  #emit(type: "resource.acquired" | "resource.released", resource: string, holders: number): void {
    const bus = this.#bus;
    if (bus?.active) {
      const time = this.#clock === undefined ? performance.now() * 1e6 : this.#clock.now();
      bus.emit({ type, time, resource, holders });
    }
  }
}
