import { describe, it } from "vitest";
import type { DeviceBackend, OpCompletion } from "../../backend/device-backend.js";
import { createDevice } from "../../device/create-device.js";
import type { Device } from "../../device/device.js";
import type { QueueHandle } from "../../device/device-handles.js";
import type { OpSpec } from "../../device/op-spec.js";
import { NpuError } from "../../errors/npu-error.js";

/**
 * Options of {@link describeDeviceBackendConformance}. The suite launches kernels named `noop`
 * (no operands, a stated `cost.durationNs`): a backend whose manifest lists its kernels must
 * know that name.
 */
export interface ConformanceOptions {
  /** Shown in the suite's title. */
  readonly name: string;
  /** Returns a fresh, isolated backend for each test. */
  readonly factory: () => DeviceBackend | Promise<DeviceBackend>;
  /** Largest `memoryBytes` to fill in out-of-memory tests; default 64 MiB (smaller devices use their size). */
  readonly oomProbeBytes?: number;
}

/** What a conformance case gets from the runner, besides its harness. @internal */
export interface CaseContext {
  /**
   * Ends the case as skipped: the backend's manifest does not claim what it checks. (A case that
   * returned early would read as passed.)
   */
  skip(note: string): never;
  /** Runs `cleanup` when the case ends, whether it passed, failed or was skipped. */
  defer(cleanup: () => void): void;
}

/** A conformance case's body. @internal */
export type CaseBody = (ctx: CaseContext) => Promise<void>;

/**
 * How an area declares its tests: vitest's `describe` and `it` by default. Core's own tests pass
 * a collector instead, to run a case against a deliberately broken backend and see it fail.
 * @internal
 */
export interface SuiteApi {
  describe(name: string, body: () => void): void;
  it(name: string, body: CaseBody): void;
}

/**
 * Runs a case's body with `skip`, then its deferred cleanups (last first), however it ended: a
 * failing case closes its devices too, so it does not leak into the next one. @internal
 */
export async function runCase(body: CaseBody, skip: (note: string) => never): Promise<void> {
  const cleanups: (() => void)[] = [];
  let failure: { error: unknown } | undefined;
  try {
    await body({ skip, defer: (cleanup) => void cleanups.push(cleanup) });
  } catch (error) {
    failure = { error };
  }
  // Every cleanup runs; a cleanup's own error is reported only when it would not hide the case's
  // failure (or its skip).
  let cleanupError: { error: unknown } | undefined;
  for (const cleanup of cleanups.reverse()) {
    try {
      cleanup();
    } catch (error) {
      cleanupError ??= { error };
    }
  }
  if (failure !== undefined) throw failure.error;
  if (cleanupError !== undefined) throw cleanupError.error;
}

/** @internal */
export const VITEST: SuiteApi = {
  describe,
  it: (name, body) => it(name, (ctx) => runCase(body, (note) => ctx.skip(note))),
};

/** What each conformance test gets: a device over a fresh backend and helpers. */
export interface ConformanceHarness {
  readonly backend: DeviceBackend;
  readonly device: Device;
  /** Completions seen per queue (by queue handle), in arrival order. */
  completions(queue: QueueHandle): OpCompletion[];
  /** Completions seen on every queue created with {@link ConformanceHarness.queue}, in arrival order. */
  arrivals(): readonly OpCompletion[];
  /**
   * Contract violations the device saw (a completion reported twice, out of queue order, or for
   * no pending op). A conforming backend leaves this empty.
   */
  violations(): readonly string[];
  /** Creates a queue that records its completions. */
  queue(priority?: number): QueueHandle;
  /** Enqueues each spec; returns their op ids. */
  enqueueAll(queue: QueueHandle, specs: readonly OpSpec[]): number[];
}

/** Builds a harness over a new backend; its device is closed when the case ends. @internal */
export async function makeHarness(
  options: ConformanceOptions,
  ctx: CaseContext,
): Promise<ConformanceHarness> {
  const backend = await options.factory();
  const device = createDevice(backend);
  ctx.defer(() => device.close());
  const seen = new Map<QueueHandle, OpCompletion[]>();
  const arrivals: OpCompletion[] = [];
  const violations: string[] = [];
  device.instrumentation.subscribe((e) => {
    if (e.type === "error") violations.push(e.message);
  });
  return {
    backend,
    device,
    completions(queue) {
      return seen.get(queue) ?? [];
    },
    arrivals() {
      return arrivals;
    },
    violations() {
      return violations;
    },
    queue(priority) {
      const list: OpCompletion[] = [];
      const handle = device.createQueue({
        ...(priority === undefined ? {} : { priority }),
        onComplete: (c) => {
          list.push(c);
          arrivals.push(c);
        },
      });
      seen.set(handle, list);
      return handle;
    },
    enqueueAll(queue, specs) {
      return specs.map((s) => device.enqueue(queue, s));
    },
  };
}

/** Lets a backend run whatever it can (a few macrotasks of wall time, so wall-clock backends too). */
export function settle(ms = 5): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Settles until `done()` holds, for at most `maxMs` of wall time: on a loaded machine a fixed
 * few milliseconds can pass before a backend's loop gets its turn, so a case that waits for
 * reports it expects polls for them instead (then asserts what arrived, also on timeout).
 */
export async function settleUntil(done: () => boolean, maxMs = 2_000): Promise<void> {
  const end = Date.now() + maxMs;
  await settle();
  while (!done() && Date.now() < end) await settle();
}

/** A kernel that does nothing but take `durationNs` where the backend models time. */
export function noopKernel(durationNs = 1_000, blockDim = 1): OpSpec {
  return { kind: "kernel", name: "noop", blockDim, cost: { durationNs } };
}

/** The code of the npurt error `fn` throws, a marker if it throws anything else, or `undefined`. */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return NpuError.isInstance(e) ? e.code : `not an NpuError: ${String(e)}`;
  }
  return undefined;
}
