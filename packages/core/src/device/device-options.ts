import type { Instrumentation } from "../instrumentation/instrumentation.js";
import type { DType } from "../memory/dtype.js";
import type { QueueCompletionListener } from "./completion-listener.js";
import type { CopySpec, FillSpec } from "./op-spec.js";

/** Options of {@link Device.createQueue}. */
export interface CreateQueueOptions {
  /** Device index; default 0. */
  readonly device?: number;
  /** Priority within the manifest's range (lower = more urgent); default the least urgent. */
  readonly priority?: number;
  /** Called for each completion of the queue's ops, in queue order. */
  readonly onComplete?: QueueCompletionListener;
}

/** Options of {@link Device.allocate}. */
export interface AllocateOptions {
  /** Device index; default 0. */
  readonly device?: number;
  /** A label for memory profiles and leak reports. */
  readonly tag?: string;
  /**
   * The element type (default `float32`). A stated dtype needs a whole number of elements
   * (`INVALID_PARAM` otherwise); kernels read and write the buffer as this type.
   */
  readonly dtype?: DType;
  /**
   * Bytes to reserve from the backend, at least `bytes` (default `bytes`): how a runtime layered
   * on core models its own rounding and padding (CANN's `aclrtMalloc` rounds up to 32 bytes and
   * adds 32) while the buffer still reports the size asked for.
   */
  readonly reserveBytes?: number;
}

/** Options of {@link Device.allocateHost}. */
export interface AllocateHostOptions<D extends DType = "uint8"> {
  /** The element type of the returned array (default `uint8`: a `Uint8Array`). */
  readonly dtype?: D;
}

/** A device's free and total memory, as `cudaMemGetInfo` and `aclrtGetMemInfo` report them. */
export interface MemGetInfo {
  /** Bytes not held by any allocation. */
  readonly freeBytes: number;
  /** The device's memory size. */
  readonly totalBytes: number;
}

/** A copy outside any queue ({@link Device.memcpy}): core's {@link CopySpec} without `kind`. */
export type MemcpySpec = Omit<CopySpec, "kind"> & { readonly kind?: "copy" };
/** A fill outside any queue ({@link Device.memset}): core's {@link FillSpec} without `kind`. */
export type MemsetSpec = Omit<FillSpec, "kind"> & { readonly kind?: "fill" };

/** Options of {@link createDevice}. */
export interface CreateDeviceOptions {
  /** The bus to emit on; by default the device creates its own. */
  readonly instrumentation?: Instrumentation;
}
