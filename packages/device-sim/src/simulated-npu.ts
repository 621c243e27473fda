import type { DeviceBackend } from "@npurt/core";
import type { ResolvedSimConfig, SimulatedNpuConfig } from "./config.js";
import type { FaultSpec } from "./faults.js";
import { SimBackend } from "./internal/sim-backend.js";
import type { KernelDefinition } from "./kernels/kernel-definition.js";

/**
 * The simulated NPU: a {@link DeviceBackend} v1 whose devices live in virtual time, plus what only
 * a simulator can offer (a kernel registry, fault injection, memory diagnostics). Pass it to
 * `createDevice`; user code never calls the backend methods directly.
 *
 * The host is part of the simulation: `clock.now()` is the host's virtual time, which API calls
 * advance by their {@link HostCosts} and waits move to the completion that woke them. The device
 * never runs ahead of a host that can still submit work.
 */
export interface SimulatedNpu extends DeviceBackend {
  /** The figures, costs and modes the simulator runs with. */
  readonly config: ResolvedSimConfig;
  /**
   * Adds a kernel to the library (or replaces a built-in one). Only before the backend is
   * connected (before `createDevice`), since the capability manifest lists the kernels; later
   * calls throw `FEATURE_NOT_SUPPORTED`.
   */
  registerKernel(name: string, definition: KernelDefinition): void;
  /** Installs a fault now; `nth` counts from this call. */
  injectFault(fault: FaultSpec): void;
  /**
   * Host bytes that currently back device memory (whole 64 KiB pages, allocated on first
   * write). A diagnostic for the lazy backing: allocating costs nothing until written.
   */
  hostBackedBytes(): number;
}

/**
 * Creates a deterministic simulated NPU.
 *
 * - A discrete-event engine in integer nanoseconds, events ordered by (time, sequence): the
 *   same config, seed and program give the same completions and timestamps, bit for bit.
 * - Per device: AI cores (a kernel holds `blockDim` of them), copy engines per direction that
 *   run alongside compute, HBM with a first-fit allocator (64-byte aligned addresses; sizes
 *   rounded as CANN does, up to a multiple of 32 plus 32 bytes), hardware queues with priority
 *   arbitration of compute: among ready kernels the more urgent queue first, then the work that
 *   became ready first; running work is never preempted, and a head that needs more cores than
 *   are free waits (no backfilling past it), so arbitration order is strict. Copy engines
 *   ignore priority (first come, first served); `priorityLevels: 1` is a device without
 *   priority support (manifest range [0, 0]).
 * - Kernel time: `cost.durationNs` when the launch states it; else the roofline
 *   `kernelLaunchNs + max(flops / peak, bytes / hbmBandwidth)`, where a kernel on `blockDim`
 *   of `aiCores` cores gets that share of both roofs. Copies: `copyLatencyNs + bytes /
 *   bandwidth` of their direction, the copies in flight of one direction sharing that
 *   bandwidth equally; fills use the d2d engines. Signals and waits take no time. Seeded jitter
 *   then adds up to `jitter ×` the duration. An op that would end past 2^53 − 1 ns fails
 *   (`FEATURE_NOT_SUPPORTED`).
 * - Abort (`abortQueue`) stops the running kernel or copy at once, with no effect, and reports
 *   it `'aborted'` (`STREAM_ABORT`), as `aclrtStreamAbort` does.
 * - Results are applied when an op completes: copies move bytes, kernels compute on float32
 *   views of lazily backed memory (skipped with `computeKernels: false`).
 *
 * @example
 * ```ts
 * import { createDevice } from "@npurt/core";
 * import { simulatedNpu } from "@npurt/device-sim";
 *
 * const device = createDevice(simulatedNpu({ preset: "tiny", seed: 7 }));
 * const q = device.createQueue();
 * const x = device.allocate(16);
 * const y = device.allocate(16);
 * device.enqueue(q, { kind: "copy", src: new Float32Array([-1, 2, -3, 4]), dst: x });
 * device.enqueue(q, { kind: "kernel", name: "relu", inputs: [x], outputs: [y] });
 * const out = new Float32Array(4);
 * device.enqueue(q, { kind: "copy", src: y, dst: out });
 * await device.drain(q); // out = [0, 2, 0, 4]; device.clock.now() = the host's virtual time
 * ```
 */
export function simulatedNpu(config?: SimulatedNpuConfig): SimulatedNpu {
  return new SimBackend(config);
}
