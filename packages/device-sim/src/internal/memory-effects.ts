import { type DeviceOp, type KernelOp, type MemRef, NpuError, type OpFailure } from "@npurt/core";
import type { KernelDefinition } from "../kernels/kernel-definition.js";
import { failureOf } from "./failures.js";
import type { HbmAllocator } from "./hbm-allocator.js";
import type { PagedMemory } from "./paged-memory.js";

const EMPTY_PARAMS = Object.freeze({});

/**
 * The largest operand (bytes) a kernel computes on for real. Operands that span pages are
 * copied into one host `Float32Array`; past this size that copy is likely to exhaust the host
 * (a typed array of 2^31 floats needs 8 GiB), so such a kernel fails with a coded error that
 * names the limit instead of an allocation `RangeError` from deep inside the engine.
 */
export const REAL_COMPUTE_OPERAND_LIMIT = 2 ** 30;

/** Where the engine finds the allocator that owns an address. */
export type AllocatorOf = (address: number) => HbmAllocator | undefined;

/**
 * Applies ops' effects on device memory when they complete: copies move bytes, fills set them,
 * kernels compute on float32 views. Failures come back as values (with a code), never as throws.
 */
export class MemoryEffects {
  readonly #memory: PagedMemory;
  readonly #kernels: ReadonlyMap<string, KernelDefinition>;
  readonly #allocatorOf: AllocatorOf;
  readonly #computeKernels: boolean;

  constructor(
    memory: PagedMemory,
    kernels: ReadonlyMap<string, KernelDefinition>,
    allocatorOf: AllocatorOf,
    computeKernels: boolean,
  ) {
    this.#memory = memory;
    this.#kernels = kernels;
    this.#allocatorOf = allocatorOf;
    this.#computeKernels = computeKernels;
  }

  /** Applies `op`'s effect; returns its failure, if any. */
  apply(op: DeviceOp): OpFailure | undefined {
    try {
      switch (op.kind) {
        case "kernel":
          return this.#compute(op);
        case "copy": {
          const mem = this.#memory;
          if (op.direction === "h2d") {
            mem.write(this.#address(op.dst), op.src);
          } else if (op.direction === "d2h") {
            mem.readInto(this.#address(op.src), op.src.bytes, op.dst);
          } else {
            mem.move(this.#address(op.src), this.#address(op.dst), op.src.bytes);
          }
          return undefined;
        }
        case "fill":
          this.#memory.fill(this.#address(op.dst), op.dst.bytes, op.value);
          return undefined;
        default:
          return undefined;
      }
    } catch (error) {
      return failureOf(error, op.kind === "kernel" ? `kernel "${op.name}" threw` : `the ${op.kind} failed`);
    }
  }

  #compute(op: KernelOp): OpFailure | undefined {
    const def = this.#kernels.get(op.name);
    if (def === undefined) {
      return { code: "INVALID_PARAM", message: `unknown kernel "${op.name}"` };
    }
    if (!this.#computeKernels || def.compute === undefined) return undefined;
    for (const ref of op.inputs.concat(op.outputs)) {
      if (ref.bytes > REAL_COMPUTE_OPERAND_LIMIT) {
        return {
          code: "FEATURE_NOT_SUPPORTED",
          message:
            `kernel "${op.name}": a ${ref.bytes}-byte operand exceeds the simulator's limit of ` +
            `${REAL_COMPUTE_OPERAND_LIMIT} bytes per operand for kernels that compute for real ` +
            "(host memory); use computeKernels: false (timing only) for operands this large",
        };
      }
    }
    const mem = this.#memory;
    const scatter: [number, Float32Array][] = [];
    const view = (ref: MemRef, write: boolean): Float32Array => {
      const address = this.#address(ref);
      if (ref.bytes % 4 !== 0) {
        throw new NpuError(
          "INVALID_PARAM",
          `kernel "${op.name}": a ${ref.bytes}-byte operand is not a whole number of float32 values`,
        );
      }
      const direct = mem.directView(address, ref.bytes, write);
      if (direct !== undefined) return direct;
      const copy = new Float32Array(ref.bytes / 4);
      mem.readInto(address, ref.bytes, new Uint8Array(copy.buffer));
      if (write) scatter.push([address, copy]);
      return copy;
    };
    const inputs = op.inputs.map((r) => view(r, false));
    const outputs = op.outputs.map((r) => view(r, true));
    def.compute({ inputs, outputs, params: op.params ?? EMPTY_PARAMS });
    for (const [address, data] of scatter) mem.write(address, new Uint8Array(data.buffer));
    return undefined;
  }

  /** The address of a range, after checking its allocation is still live. */
  #address(ref: MemRef): number {
    const allocator = this.#allocatorOf(ref.base);
    if (allocator === undefined || !allocator.has(ref.base)) {
      throw new NpuError("INVALID_HANDLE", `memory at address ${ref.base} was released before the op ran`);
    }
    return ref.base + ref.offset;
  }
}
