import type { KernelCost, KernelParams } from "../backend/ops.js";
import type { CounterHandle, DeviceBuffer } from "./device-handles.js";

/** A part of a device buffer: `bytes` bytes from `offset` (defaults: 0 and the rest of the buffer). */
export interface BufferSlice {
  readonly buffer: DeviceBuffer;
  readonly offset?: number;
  readonly bytes?: number;
}

/** A whole buffer or a slice of one. */
export type BufferRef = DeviceBuffer | BufferSlice;

/** Launch a kernel. */
export interface KernelSpec {
  readonly kind: "kernel";
  /** The kernel's name, as the backend's kernel library knows it. */
  readonly name: string;
  /** Compute units to occupy; default 1, at most the device's `computeUnits`. */
  readonly blockDim?: number;
  /** Buffers the kernel reads. */
  readonly inputs?: readonly BufferRef[];
  /** Buffers the kernel writes. */
  readonly outputs?: readonly BufferRef[];
  /** Scalar parameters. */
  readonly params?: KernelParams;
  /** Cost hints for backends that model time. */
  readonly cost?: KernelCost;
  /**
   * Execution timeout in ns, a positive integer (CANN `aclrtSetOpExecuteTimeOut`): the kernel
   * is stopped with `TASK_TIMEOUT` if it runs longer. `FEATURE_NOT_SUPPORTED` on a backend whose
   * manifest does not claim `opTimeouts`.
   */
  readonly timeoutNs?: number;
}

/**
 * Copy bytes. The direction follows from the operands: a host view (any `ArrayBufferView`) on
 * one side and a device buffer on the other, or device buffers on both. `bytes` defaults to the
 * source's length; both sides must hold at least that many bytes.
 */
export interface CopySpec {
  readonly kind: "copy";
  readonly src: BufferRef | ArrayBufferView;
  readonly dst: BufferRef | ArrayBufferView;
  readonly bytes?: number;
}

/** Set bytes of a device buffer to `value` (an integer 0–255). */
export interface FillSpec {
  readonly kind: "fill";
  readonly dst: BufferRef;
  readonly value: number;
}

/** Raise a timeline counter to `value` when the queue reaches this point. */
export interface SignalSpec {
  readonly kind: "signal";
  readonly counter: CounterHandle;
  readonly value: number;
}

/** Hold the queue until a timeline counter reaches `value`. */
export interface WaitSpec {
  readonly kind: "wait";
  readonly counter: CounterHandle;
  readonly value: number;
}

/** Any op a user enqueues through a {@link Device}. */
export type OpSpec = KernelSpec | CopySpec | FillSpec | SignalSpec | WaitSpec;
