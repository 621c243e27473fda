/**
 * The deterministic simulated NPU, npurt's default device: {@link simulatedNpu} returns a
 * `DeviceBackend` v1 whose devices (AI cores, copy engines, HBM, hardware queues) live in
 * virtual time, so scheduling code runs, is timed and fails the same way on every run, on any
 * laptop.
 *
 * @example
 * ```ts
 * import { createDevice } from "@npurt/core";
 * import { simulatedNpu } from "@npurt/device-sim";
 *
 * const npu = simulatedNpu({ preset: "ascend910", seed: 42, jitter: 0.05 });
 * const device = createDevice(npu);
 * const queue = device.createQueue();
 * const a = device.allocate(4 * 1024);
 * const b = device.allocate(4 * 1024);
 * device.enqueue(queue, { kind: "copy", src: new Float32Array(1024).fill(2), dst: a });
 * device.enqueue(queue, { kind: "kernel", name: "gelu", blockDim: 8, inputs: [a], outputs: [b] });
 * await device.drain(queue);
 * console.log(`host time ${device.clock.now()} ns`, device.memoryInfo());
 * ```
 *
 * @packageDocumentation
 */

export type { ResolvedSimConfig, SimTimeMode, SimulatedNpuConfig } from "./config.js";
export type {
  AllocationFailFault,
  DeviceLostFault,
  FaultSpec,
  KernelFailFault,
  KernelFaultTarget,
  KernelHangFault,
} from "./faults.js";
export { BUILTIN_KERNELS } from "./kernels/builtin-kernels.js";
export type {
  KernelArray,
  KernelContext,
  KernelCostInfo,
  KernelDefinition,
} from "./kernels/kernel-definition.js";
export {
  ASCEND_910,
  DEFAULT_HOST_COSTS,
  type DeviceFigures,
  type HostCosts,
  PRESETS,
  type PresetName,
  TINY,
  ZERO_HOST_COSTS,
} from "./presets.js";
export { type SimulatedNpu, simulatedNpu } from "./simulated-npu.js";
