import type { DeviceOp, KernelOp, OpFailure } from "@npurt/core";
import type { KernelDefinition } from "../kernels/kernel-definition.js";
import type { DeviceFigures } from "../presets.js";
import { checkStatedCost } from "./resolve-config.js";

const EMPTY_PARAMS = Object.freeze({});

/**
 * The latest instant (ns) the engine can represent exactly: past 2^53 adding a nanosecond is
 * lost to rounding, so durations would vanish. An op that would end later fails instead.
 */
export const TIME_LIMIT_NS = Number.MAX_SAFE_INTEGER;

/** The failure of an op that would end at `end`, past {@link TIME_LIMIT_NS}. */
export function pastTimeLimit(end: number): OpFailure {
  return {
    code: "FEATURE_NOT_SUPPORTED",
    message:
      `the op would end at ${end} ns of virtual time, past the simulator's limit of ${TIME_LIMIT_NS} ns ` +
      "(2^53 - 1, about 104 days), where nanoseconds are no longer exact; state smaller costs",
  };
}

/** Transfer time of `bytes` over `bandwidth` bytes/s, in whole ns (the link or engine part). */
export function transferNs(bytes: number, bandwidth: number): number {
  return Math.ceil((bytes / bandwidth) * 1e9);
}

/**
 * The modelled duration (ns, before jitter) of an op that occupies a resource: a kernel by its
 * stated duration or the roofline, a copy or fill by its fixed latency plus its transfer.
 * Throws what a kernel's cost function throws, or `INVALID_PARAM` for what it returns.
 */
export function modelledDuration(
  op: DeviceOp,
  f: DeviceFigures,
  kernels: ReadonlyMap<string, KernelDefinition>,
): number {
  switch (op.kind) {
    case "kernel": {
      const stated = op.cost?.durationNs;
      return stated === undefined ? roofline(op, f, kernels) : Math.ceil(stated);
    }
    case "copy": {
      const bytes = op.direction === "h2d" ? op.dst.bytes : op.src.bytes;
      // Host memory not allocated pinned is staged through a pinned buffer: its own, lower rate.
      const bw =
        op.direction === "h2d"
          ? op.pinned === false
            ? f.pageableH2dBandwidth
            : f.h2dBandwidth
          : op.direction === "d2h"
            ? op.pinned === false
              ? f.pageableD2hBandwidth
              : f.d2hBandwidth
            : f.d2dBandwidth;
      return f.copyLatencyNs + transferNs(bytes, bw);
    }
    case "fill":
      return f.copyLatencyNs + transferNs(op.dst.bytes, f.d2dBandwidth);
    default:
      return 0;
  }
}

/**
 * `kernelLaunchNs + max(flops / peak, bytes / hbmBandwidth)`, a kernel on `blockDim` of the
 * device's cores getting that share of both roofs. Fields the launch states win over those of
 * the kernel's cost function; bytes default to the sum of the operands.
 */
function roofline(op: KernelOp, f: DeviceFigures, kernels: ReadonlyMap<string, KernelDefinition>): number {
  let flops = op.cost?.flops;
  let bytes = op.cost?.bytes;
  const def = kernels.get(op.name);
  if ((flops === undefined || bytes === undefined) && def?.cost !== undefined) {
    const stated = checkStatedCost(
      op.name,
      def.cost({
        inputBytes: op.inputs.map((r) => r.bytes),
        outputBytes: op.outputs.map((r) => r.bytes),
        params: op.params ?? EMPTY_PARAMS,
        blockDim: op.blockDim,
      }),
    );
    if (stated.durationNs !== undefined && flops === undefined && bytes === undefined) {
      return Math.ceil(stated.durationNs);
    }
    flops ??= stated.flops;
    bytes ??= stated.bytes;
  }
  if (bytes === undefined) {
    bytes = 0;
    for (const r of op.inputs) bytes += r.bytes;
    for (const r of op.outputs) bytes += r.bytes;
  }
  const share = op.blockDim / f.aiCores;
  const seconds = Math.max((flops ?? 0) / (f.peakFlops * share), bytes / (f.hbmBandwidth * share));
  return f.kernelLaunchNs + Math.ceil(seconds * 1e9);
}
