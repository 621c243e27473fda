import type { DType } from "../memory/dtype.js";

/**
 * A byte range of device memory as backends see it: the base address of an allocation (as
 * returned by {@link DeviceBackend.allocate}), an offset into it, and a length. `createDevice`
 * has already checked that the range lies inside a live allocation.
 */
export interface MemRef {
  readonly base: number;
  readonly offset: number;
  readonly bytes: number;
  /**
   * The element type of the allocation, when it was allocated with one other than the default
   * `float32` (absent means `float32`). Kernels that compute read their operands as this type.
   */
  readonly dtype?: DType;
}

/** A kernel's cost, for backends that model time. All fields are optional hints. */
export interface KernelCost {
  /** Floating-point operations the kernel performs. */
  readonly flops?: number;
  /** Bytes the kernel moves to and from device memory. */
  readonly bytes?: number;
  /** The kernel's duration in nanoseconds, stated outright (overrides any cost model). */
  readonly durationNs?: number;
}

/** Scalar kernel parameters. */
export type KernelParams = Readonly<Record<string, number | string | boolean | readonly number[]>>;

/** Run a named kernel on `blockDim` compute units. */
export interface KernelOp {
  readonly kind: "kernel";
  readonly name: string;
  /** Compute units (AI cores, SMs) the kernel occupies. At least 1. */
  readonly blockDim: number;
  readonly inputs: readonly MemRef[];
  readonly outputs: readonly MemRef[];
  readonly params: KernelParams | undefined;
  readonly cost: KernelCost | undefined;
  /**
   * Execution timeout in ns (CANN `aclrtSetOpExecuteTimeOut`): a kernel still running this long
   * after it started is stopped and completes with `TASK_TIMEOUT`, a hung one included. Only
   * set for backends whose manifest claims `opTimeouts`.
   */
  readonly timeoutNs?: number;
}

/** Where a copy moves bytes. */
export type CopyDirection = "h2d" | "d2h" | "d2d";

/**
 * Copy host memory to the device. The host view is read when the copy executes, as with
 * page-locked memory in CANN and CUDA: do not change it until the copy completes.
 */
export interface CopyH2DOp {
  readonly kind: "copy";
  readonly direction: "h2d";
  readonly src: Uint8Array;
  readonly dst: MemRef;
  /**
   * Whether the host memory is page-locked (`Device.allocateHost`); pageable memory copies
   * more slowly on backends that model it. Absent means pageable.
   */
  readonly pinned?: boolean;
}

/** Copy device memory to the host; the host view is written when the copy executes. */
export interface CopyD2HOp {
  readonly kind: "copy";
  readonly direction: "d2h";
  readonly src: MemRef;
  readonly dst: Uint8Array;
  /** Whether the host memory is page-locked, as on {@link CopyH2DOp}. */
  readonly pinned?: boolean;
}

/** Copy between device ranges (may be on different devices of one backend). */
export interface CopyD2DOp {
  readonly kind: "copy";
  readonly direction: "d2d";
  readonly src: MemRef;
  readonly dst: MemRef;
}

/** Any copy. Source and destination have the same length. */
export type CopyOp = CopyH2DOp | CopyD2HOp | CopyD2DOp;

/** Set every byte of a device range to `value` (0–255). */
export interface FillOp {
  readonly kind: "fill";
  readonly dst: MemRef;
  readonly value: number;
}

/**
 * Raise a timeline counter to `value` when the op executes. Counters only grow: a signal below
 * the current value leaves it unchanged. This is how events are recorded (`record` = signal the
 * next value) and how the host learns a point in a queue was reached.
 */
export interface SignalOp {
  readonly kind: "signal";
  readonly counter: number;
  readonly value: number;
}

/**
 * Block the queue until a timeline counter reaches `value` (it may already have). Later ops of
 * the queue do not start before the wait completes; other queues are not affected.
 */
export interface WaitOp {
  readonly kind: "wait";
  readonly counter: number;
  readonly value: number;
}

/** Every op a backend executes. */
export type DeviceOp = KernelOp | CopyOp | FillOp | SignalOp | WaitOp;

/** The op kinds of {@link DeviceOp}. */
export type DeviceOpKind = DeviceOp["kind"];

/** All op kinds, in a stable order. */
export const DEVICE_OP_KINDS: readonly DeviceOpKind[] = ["kernel", "copy", "fill", "signal", "wait"];
