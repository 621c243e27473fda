/** Which kernels a kernel fault applies to. */
export interface KernelFaultTarget {
  /** A kernel name, or a pattern its name must match; omitted: every kernel. */
  readonly kernel?: string | RegExp;
  /** Only kernels on this device; omitted: any device. */
  readonly device?: number;
  /**
   * Which matching kernel, counted from 1 in dispatch order from when the fault is installed:
   * the fault fires once, on that kernel. Default 1, unless `probability` is given.
   */
  readonly nth?: number;
  /**
   * Instead of `nth`: each matching kernel is hit with this probability, drawn from the
   * simulator's seeded generator (so the same seed hits the same kernels on every run).
   */
  readonly probability?: number;
}

/**
 * A kernel fails: it runs for its duration, leaves its outputs untouched, and completes with
 * status `'error'` and code `KERNEL_FAILED` (CANN: an AI Core exception, 507015).
 */
export interface KernelFailFault extends KernelFaultTarget {
  readonly kind: "kernel-fail";
}

/**
 * A kernel hangs: it holds its AI cores and never completes, until its queue is aborted
 * (it then completes as `'aborted'`) or its device is lost. For testing timeouts and deadlock
 * detection.
 */
export interface KernelHangFault extends KernelFaultTarget {
  readonly kind: "kernel-hang";
}

/** An allocation fails: the `nth` allocate call (from when the fault is installed) throws `MEMORY_ALLOCATION`. */
export interface AllocationFailFault {
  readonly kind: "allocation-fail";
  /** Default 1: the next allocation. */
  readonly nth?: number;
  /** Only allocations on this device; omitted: any device. */
  readonly device?: number;
}

/**
 * A device is lost: from then on, every op on it that has not completed (queued, blocked,
 * hung, running) and every later op completes with status `'error'` and code `DEVICE_LOST`;
 * `allocate` and `createQueue` on it throw `DEVICE_LOST`.
 */
export interface DeviceLostFault {
  readonly kind: "device-lost";
  /** Default 0. */
  readonly device?: number;
  /** Device time of the loss, in ns; omitted: now (the host's current time). */
  readonly atNs?: number;
}

/**
 * A fault to inject, through the `faults` option of {@link simulatedNpu} or
 * {@link SimulatedNpu.injectFault}. Faults are deterministic: the same config, seed and program
 * hit the same ops. They surface as completions with codes (or a thrown `allocate`), never as
 * exceptions in the event loop.
 *
 * @example
 * ```ts
 * const npu = simulatedNpu({
 *   preset: "tiny",
 *   faults: [
 *     { kind: "kernel-fail", kernel: "matmul", nth: 3 },
 *     { kind: "kernel-hang", kernel: /^attn/ },
 *     { kind: "allocation-fail", nth: 2 },
 *     { kind: "device-lost", atNs: 5_000_000 },
 *   ],
 * });
 * ```
 */
export type FaultSpec = KernelFailFault | KernelHangFault | AllocationFailFault | DeviceLostFault;
