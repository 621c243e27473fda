import { createDevice, type Device, type DeviceBackend, NpuError } from "@npurt/core";
import { MockDeviceBackend } from "@npurt/core/testing";
import { simulatedNpu } from "@npurt/device-sim";
import { StreamManager, type StreamManagerOptions } from "../src/index.js";

/** What a test needs from a backend: the backend and its fault injection. */
export interface BackendUnderTest {
  readonly backend: DeviceBackend;
  /** Makes the next launch of kernel `name` fail. */
  failNext(name: string): void;
  /** Makes the next launch of kernel `name` hang until its queue is aborted. */
  hangNext(name: string): void;
}

/** Shape of the devices a test asks for. */
export interface BackendShape {
  readonly devices?: number;
  readonly maxQueues?: number;
  readonly maxCounters?: number;
}

/** A backend the behaviour tests run on. */
export interface BackendFactory {
  readonly name: string;
  create(shape?: BackendShape): BackendUnderTest;
}

function mock(shape: BackendShape = {}): BackendUnderTest {
  const backend = new MockDeviceBackend({
    ...(shape.devices === undefined ? {} : { devices: shape.devices }),
    ...(shape.maxQueues === undefined ? {} : { maxQueues: shape.maxQueues }),
    ...(shape.maxCounters === undefined ? {} : { maxCounters: shape.maxCounters }),
  });
  return {
    backend,
    failNext: (name) => backend.failNext(name),
    hangNext: (name) => backend.hangNext(name),
  };
}

function sim(shape: BackendShape = {}): BackendUnderTest {
  const backend = simulatedNpu({
    preset: "tiny",
    seed: 7,
    // Kernels the tests launch by name only to fail or hang them; they just take time.
    kernels: { bad: {}, stuck: {} },
    ...(shape.devices === undefined ? {} : { devices: shape.devices }),
    ...(shape.maxQueues === undefined ? {} : { maxQueues: shape.maxQueues }),
    ...(shape.maxCounters === undefined ? {} : { maxCounters: shape.maxCounters }),
  });
  return {
    backend,
    failNext: (kernel) => backend.injectFault({ kind: "kernel-fail", kernel }),
    hangNext: (kernel) => backend.injectFault({ kind: "kernel-hang", kernel }),
  };
}

/**
 * Every backend the behaviour tests run on: core's recording mock and the simulated NPU (with
 * its default host-side call costs, so host time moves as it would on a real runtime).
 */
export const BACKENDS: readonly BackendFactory[] = [
  { name: "MockDeviceBackend", create: mock },
  { name: "device-sim (tiny)", create: sim },
];

/** Both profiles, for behaviours that do not differ (or that a test branches on). */
export const BOTH_PROFILES = ["cann", "cuda"] as const;

/** A fresh device and manager on `factory`. */
export function setup(
  factory: BackendFactory,
  options: StreamManagerOptions = {},
  shape?: BackendShape,
): { device: Device; manager: StreamManager; bed: BackendUnderTest } {
  const bed = factory.create(shape);
  const device = createDevice(bed.backend);
  return { device, manager: new StreamManager(device, options), bed };
}

/** A no-op kernel with a stated duration. */
export function noop(durationNs = 1_000, name = "noop") {
  return { name, cost: { durationNs } } as const;
}

/** Settles a promise into a value or its error, for asserting rejections without unhandled ones. */
export async function outcome<T>(
  p: Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; error: unknown }> {
  try {
    return { ok: true, value: await p };
  } catch (error) {
    return { ok: false, error };
  }
}

/** The coded error `p` rejects with, or `undefined` when it resolves. */
export async function rejection(p: Promise<unknown>): Promise<NpuError | undefined> {
  const r = await outcome(p);
  return r.ok ? undefined : (r.error as NpuError);
}

/** Lets the virtual-time backend run until nothing is pending (a few macrotasks). */
export async function settle(turns = 20): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r));
}

/** The coded error `fn` throws (fails the test when it throws none, or a non-npurt error). */
export function thrown(fn: () => unknown): NpuError {
  try {
    fn();
  } catch (e) {
    if (!NpuError.isInstance(e)) throw e;
    return e;
  }
  throw new Error("expected a coded npurt error, but nothing was thrown");
}
