import { NpuError, NpuTypeError } from "../errors/npu-error.js";
import { describe } from "../errors/safe-text.js";
import { check } from "../errors/validate.js";
import { checkDType, DTYPES, type DType, type HostArrayOf } from "../memory/dtype.js";

/**
 * A device's page-locked ("pinned") host memory (CUDA `cudaMallocHost`, CANN `aclrtMallocHost`):
 * the typed arrays it handed out, by their ArrayBuffer, so that a copy can tell the backend
 * whether its host side is pinned, and the bytes held.
 */
export class PinnedHostMemory {
  /** The ArrayBuffers handed out and not released; op translation reads it for copies. */
  readonly buffers = new WeakSet<ArrayBufferLike>();
  #bytes = 0;

  /** Bytes held. */
  get bytes(): number {
    return this.#bytes;
  }

  /** A zeroed typed array of `bytes` bytes of `options.dtype` (default `uint8`). */
  allocate<D extends DType = "uint8">(bytes: number, options?: { readonly dtype?: D }): HostArrayOf<D> {
    const opts = check.read(options, "allocateHost options", ["dtype"]);
    const dtype = opts.dtype === undefined ? "uint8" : checkDType(opts.dtype, "dtype");
    const size = check.integer(bytes, "bytes", 1);
    const each = DTYPES[dtype].bytes;
    if (size % each !== 0) {
      throw new NpuError("INVALID_PARAM", `${size} bytes is not a whole number of ${dtype} elements`, {
        details: { bytes: size, dtype },
      });
    }
    const Ctor = DTYPES[dtype].array as unknown as new (length: number) => HostArrayOf<D>;
    const array = new Ctor(size / each);
    this.buffers.add(array.buffer);
    this.#bytes += size;
    return array;
  }

  /** Releases an array from {@link PinnedHostMemory.allocate}; anything else is `INVALID_PARAM`. */
  release(array: ArrayBufferView): void {
    if (!ArrayBuffer.isView(array))
      throw new NpuTypeError(`releaseHost needs a typed array, got ${describe(array)}`);
    if (!this.buffers.has(array.buffer)) {
      throw new NpuError(
        "INVALID_PARAM",
        "releaseHost: the array was not allocated by allocateHost on this device (or was released already)",
      );
    }
    this.buffers.delete(array.buffer);
    this.#bytes -= array.buffer.byteLength;
  }

  /** Whether `view` lies in memory from {@link PinnedHostMemory.allocate}. */
  has(view: ArrayBufferView): boolean {
    return ArrayBuffer.isView(view) && this.buffers.has(view.buffer);
  }
}
