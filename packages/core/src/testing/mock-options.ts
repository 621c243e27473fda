import type { KernelParams } from "../backend/ops.js";
import { NpuError, NpuTypeError } from "../errors/npu-error.js";
import { errorMessage } from "../errors/safe-text.js";
import { check } from "../errors/validate.js";

/** A kernel implementation for the mock: reads `inputs`, writes `outputs` (byte views). */
export type MockKernel = (args: {
  readonly inputs: readonly Uint8Array[];
  readonly outputs: readonly Uint8Array[];
  readonly params: KernelParams | undefined;
}) => void;

/** Options of {@link MockDeviceBackend}. */
export interface MockDeviceBackendOptions {
  /** Number of devices; default 1. */
  readonly devices?: number;
  /** Compute units per device; default 8. */
  readonly computeUnits?: number;
  /** Memory per device in bytes; default 1 GiB. */
  readonly memoryBytes?: number;
  /** Queues per device; default unbounded. */
  readonly maxQueues?: number;
  /** Counters per device; default unbounded. */
  readonly maxCounters?: number;
  /** Duration of an op without a stated one, in ns; default 1000. */
  readonly opDurationNs?: number;
  /** Kernels that compute; any other kernel name runs as a no-op. */
  readonly kernels?: Readonly<Record<string, MockKernel>>;
  /**
   * Hand a released block's address to the next allocation of the same rounded size, as real
   * allocators do (default `false`: every allocation gets a fresh address). Tests of
   * use-after-release need it: only a reused address shows whether a stale op could write into
   * the new owner's memory.
   */
  readonly reuseAddresses?: boolean;
}

/** One recorded call of the mock. */
export interface MockCall {
  readonly method: string;
  readonly args: readonly unknown[];
}

/** A frozen copy of the `kernels` option, each entry checked to be a function. */
export function mockKernels(value: unknown): Readonly<Record<string, MockKernel>> {
  const given = check.options(value as object, "kernels") as Record<string, unknown>;
  const out: Record<string, MockKernel> = {};
  try {
    for (const name of Object.keys(given)) out[name] = check.func<MockKernel>(given[name], `kernels.${name}`);
  } catch (error) {
    if (NpuError.isInstance(error)) throw error;
    throw new NpuTypeError(`kernels could not be read: ${errorMessage(error)}`);
  }
  return Object.freeze(out);
}
