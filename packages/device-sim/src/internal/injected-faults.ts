import { type KernelOp, NpuError, type OpFailure } from "@npurt/core";
import type { FaultSpec } from "../faults.js";
import type { DeviceState } from "./device-state.js";
import { HANG } from "./failures.js";
import { mulberry32 } from "./prng.js";

/** An installed kernel fault and how many matching launches it has seen. */
export interface KernelFault {
  readonly spec: FaultSpec & { kind: "kernel-fail" | "kernel-hang" };
  seen: number;
}

/** An installed allocation fault and how many matching allocations it has seen. */
export interface AllocationFault {
  readonly device: number | undefined;
  readonly nth: number;
  seen: number;
}

/**
 * The kernel and allocation faults installed (from `config.faults` or `injectFault`), matched
 * as kernels start and allocations happen; seeded, so a probabilistic fault strikes the same
 * launches on every run. Device loss is not kept here: it is an engine event at its instant.
 */
export class InjectedFaults {
  /** Kernel faults in install order; the engine reads its `length` before matching any. */
  readonly kernel: KernelFault[] = [];
  readonly allocation: AllocationFault[] = [];
  readonly #rng: () => number;

  constructor(seed: number) {
    this.#rng = mulberry32(seed ^ 0x5bd1e995);
  }

  /** What an injected fault does to kernel `op` starting on `device`: hang, fail, or nothing. */
  kernelFault(op: KernelOp, device: number): OpFailure | undefined {
    const faults = this.kernel;
    for (let i = 0; i < faults.length; i++) {
      const f = faults[i]!;
      const s = f.spec;
      if (s.device !== undefined && s.device !== device) continue;
      const k = s.kernel;
      if (k !== undefined && (typeof k === "string" ? k !== op.name : !k.test(op.name))) continue;
      if (s.probability !== undefined) {
        if (this.#rng() >= s.probability) continue;
      } else {
        if (++f.seen !== (s.nth ?? 1)) continue;
        faults.splice(i, 1);
      }
      if (s.kind === "kernel-hang") return HANG;
      return {
        code: "KERNEL_FAILED",
        message: `kernel "${op.name}" failed on device ${device} (injected AI Core exception)`,
      };
    }
    return undefined;
  }

  /** Throws `MEMORY_ALLOCATION` when an injected fault strikes this allocation on `dev`. */
  checkAllocation(dev: DeviceState, bytes: number): void {
    const device = dev.index;
    const faults = this.allocation;
    for (let i = 0; i < faults.length; i++) {
      const f = faults[i]!;
      if (f.device !== undefined && f.device !== device) continue;
      if (++f.seen !== f.nth) continue;
      faults.splice(i, 1);
      const free = dev.memory.freeBytes;
      throw new NpuError(
        "MEMORY_ALLOCATION",
        `cannot allocate ${bytes} bytes on device ${device}: injected allocation failure (${free} bytes free)`,
        { details: { requested: bytes, free, injected: true } },
      );
    }
  }
}
