import type { DeviceBackend, OpCompletion } from "../../backend/device-backend.js";
import { createDevice, type Device } from "../../device/device.js";
import type { QueueHandle } from "../../device/device-handles.js";
import type { OpSpec } from "../../device/op-spec.js";

/** Options of {@link describeDeviceBackendConformance}. */
export interface ConformanceOptions {
  /** Shown in the suite's title. */
  readonly name: string;
  /** Returns a fresh, isolated backend for each test. */
  readonly factory: () => DeviceBackend | Promise<DeviceBackend>;
  /** Largest `memoryBytes` to fill in out-of-memory tests; default 64 MiB (smaller devices use their size). */
  readonly oomProbeBytes?: number;
}

/** What each conformance test gets: a device over a fresh backend and helpers. */
export interface ConformanceHarness {
  readonly backend: DeviceBackend;
  readonly device: Device;
  /** Completions seen per queue (by queue handle), in arrival order. */
  completions(queue: QueueHandle): OpCompletion[];
  /** Creates a queue that records its completions. */
  queue(priority?: number): QueueHandle;
  /** Enqueues each spec; returns their op ids. */
  enqueueAll(queue: QueueHandle, specs: readonly OpSpec[]): number[];
}

/** Builds a harness over a new backend. @internal */
export async function makeHarness(options: ConformanceOptions): Promise<ConformanceHarness> {
  const backend = await options.factory();
  const device = createDevice(backend);
  const seen = new Map<QueueHandle, OpCompletion[]>();
  return {
    backend,
    device,
    completions(queue) {
      return seen.get(queue) ?? [];
    },
    queue(priority) {
      const list: OpCompletion[] = [];
      const handle = device.createQueue({
        ...(priority === undefined ? {} : { priority }),
        onComplete: (c) => {
          list.push(c);
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

/** A kernel that does nothing but take `durationNs` where the backend models time. */
export function noopKernel(durationNs = 1_000, blockDim = 1): OpSpec {
  return { kind: "kernel", name: "noop", blockDim, cost: { durationNs } };
}
