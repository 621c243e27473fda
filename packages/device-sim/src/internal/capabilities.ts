import { DEVICE_OP_KINDS, type DeviceCapabilities } from "@npurt/core";
import type { ResolvedSimConfig } from "../config.js";

/**
 * The capability manifest of a simulator with `config`. `kernels` is kept by reference:
 * `registerKernel` adds to it until the backend is connected.
 */
export function simCapabilities(config: ResolvedSimConfig, kernels: readonly string[]): DeviceCapabilities {
  const f = config.figures;
  return {
    devices: Array.from({ length: config.devices }, (_, index) => ({
      index,
      name: f.name,
      computeUnits: f.aiCores,
      memoryBytes: f.hbmBytes,
      maxQueues: f.maxQueues,
      maxCounters: f.maxCounters,
      copyEngines: 3 * f.copyEnginesPerDirection,
    })),
    timeModel: "virtual",
    priorities: { supported: f.priorityLevels > 1, greatest: 0, least: f.priorityLevels - 1 },
    ops: DEVICE_OP_KINDS,
    copyDirections: ["h2d", "d2h", "d2d"],
    timing: true,
    concurrentQueues: true,
    computesKernels: config.computeKernels,
    kernels,
    opTimeouts: true,
  };
}
