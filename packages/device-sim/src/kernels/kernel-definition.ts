import type { DType, KernelCost, KernelParams } from "@npurt/core";

/** The element array a kernel sees for an operand of each dtype (half precision converted). */
export type KernelArray = Float32Array | Int8Array | Uint8Array | Int32Array | BigInt64Array;

/**
 * What a kernel's `compute` function gets: its buffers (`inputs` and `outputs` in the order of
 * the op's `inputs` and `outputs`) and the op's scalar parameters. Writing to an output writes
 * device memory; the views are valid during the call only.
 *
 * Floating operands — `float32`, and `float16` / `bfloat16` converted to float32 on the way in
 * and rounded back on the way out — are `Float32Array`s in `inputs` and `outputs`. Integer
 * operands (for kernels that accept them, see {@link KernelDefinition.dtypes}) appear there as
 * empty arrays; read them from `typed`, which has every operand as its own element array.
 */
export interface KernelContext {
  readonly inputs: readonly Float32Array[];
  readonly outputs: readonly Float32Array[];
  readonly params: KernelParams;
  /** Each operand's dtype. */
  readonly dtypes: { readonly inputs: readonly DType[]; readonly outputs: readonly DType[] };
  /** Every operand as the element array of its dtype (`Float32Array` for the floating ones). */
  readonly typed: { readonly inputs: readonly KernelArray[]; readonly outputs: readonly KernelArray[] };
}

/** What a kernel's `cost` function gets: the sizes of its operands, in bytes, and its launch. */
export interface KernelCostInfo {
  readonly inputBytes: readonly number[];
  readonly outputBytes: readonly number[];
  readonly params: KernelParams;
  readonly blockDim: number;
}

/**
 * A kernel of the simulator's library: how to compute it and what it costs. Register your own
 * with the `kernels` option of {@link simulatedNpu} or {@link SimulatedNpu.registerKernel}.
 *
 * Errors: a `compute` that throws fails the op (status `'error'`): an `NpuError` keeps its
 * code (use `INVALID_PARAM` for bad parameters), anything else becomes `KERNEL_FAILED`; so does
 * a `cost` that throws. A `cost` result whose fields are not finite numbers >= 0 fails the op
 * with `INVALID_PARAM`. Nothing a kernel throws reaches the event loop.
 *
 * @example A scaled copy, y = alpha · x
 * ```ts
 * const scale: KernelDefinition = {
 *   compute: ({ inputs: [x], outputs: [y], params }) => {
 *     const alpha = Number(params.alpha ?? 1);
 *     for (let i = 0; i < y!.length; i++) y![i] = alpha * x![i]!;
 *   },
 *   cost: ({ outputBytes }) => ({ flops: outputBytes[0]! / 4, bytes: 2 * outputBytes[0]! }),
 * };
 * const npu = simulatedNpu({ preset: "tiny", kernels: { scale } });
 * ```
 */
export interface KernelDefinition {
  /** Computes the outputs; omitted for kernels that only take time. Skipped in timing-only mode. */
  readonly compute?: (context: KernelContext) => void;
  /**
   * The work the kernel does (`flops`, `bytes`), which the roofline cost model turns into a
   * duration, or its `durationNs` outright. Fields the launch states in its own `cost` win.
   * Default: no flops, and the bytes of every operand.
   */
  readonly cost?: (info: KernelCostInfo) => KernelCost;
  /**
   * The dtypes the kernel accepts for every operand; default the floating ones (`float32`,
   * `float16`, `bfloat16`), which it sees as float32. An operand of another dtype fails the op
   * with `INVALID_PARAM`, naming the operand and what the kernel accepts.
   */
  readonly dtypes?: readonly DType[];
}
