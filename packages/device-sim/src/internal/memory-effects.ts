import {
  type DeviceOp,
  DTYPES,
  type DType,
  fromFloat16Bits,
  type KernelOp,
  type MemRef,
  NpuError,
  type OpFailure,
  toFloat16Bits,
} from "@npurt/core";
import type { KernelArray, KernelDefinition } from "../kernels/kernel-definition.js";
import { failureOf } from "./failures.js";
import type { HbmAllocator } from "./hbm-allocator.js";
import type { PagedMemory } from "./paged-memory.js";

const EMPTY_PARAMS = Object.freeze({});
const EMPTY_F32 = new Float32Array(0);

/** What a kernel accepts unless its definition says otherwise: the floating dtypes. */
export const DEFAULT_KERNEL_DTYPES: readonly DType[] = Object.freeze(["float32", "float16", "bfloat16"]);

/** Writes an output back to device memory once the kernel has run. */
type WriteBack = () => void;

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
    const accepted = def.dtypes ?? DEFAULT_KERNEL_DTYPES;
    const mem = this.#memory;
    const writes: WriteBack[] = [];
    const name = op.name;
    const load = (ref: MemRef, write: boolean, what: string): [Float32Array, KernelArray] => {
      const dtype = ref.dtype ?? "float32";
      if (!accepted.includes(dtype)) {
        throw new NpuError(
          "INVALID_PARAM",
          `kernel "${name}" accepts ${accepted.join(", ")}; ${what} is ${dtype}`,
          { details: { kernel: name, dtype, accepts: [...accepted] } },
        );
      }
      const address = this.#address(ref);
      const each = DTYPES[dtype].bytes;
      if (ref.bytes % each !== 0) {
        throw new NpuError(
          "INVALID_PARAM",
          `kernel "${name}": a ${ref.bytes}-byte operand is not a whole number of ${dtype} values`,
        );
      }
      if (dtype === "float32") {
        const direct = mem.directView(address, ref.bytes, write);
        if (direct !== undefined) return [direct, direct];
        const copy = new Float32Array(ref.bytes / 4);
        mem.readInto(address, ref.bytes, new Uint8Array(copy.buffer));
        if (write) writes.push(() => mem.write(address, new Uint8Array(copy.buffer)));
        return [copy, copy];
      }
      const raw = new Uint8Array(ref.bytes);
      mem.readInto(address, ref.bytes, raw);
      if (dtype === "float16" || dtype === "bfloat16") {
        // Half precision: compute in float32, round back to the 16-bit format on the way out.
        const values = fromFloat16Bits(new Uint16Array(raw.buffer), dtype);
        if (write) {
          writes.push(() => {
            const bits = toFloat16Bits(values, dtype);
            mem.write(address, new Uint8Array(bits.buffer));
          });
        }
        return [values, values];
      }
      const Ctor = DTYPES[dtype].array as unknown as new (b: ArrayBufferLike) => KernelArray;
      const typed = new Ctor(raw.buffer);
      if (write) writes.push(() => mem.write(address, raw));
      return [EMPTY_F32, typed];
    };
    const ins = op.inputs.map((r, i) => load(r, false, `inputs[${i}]`));
    const outs = op.outputs.map((r, i) => load(r, true, `outputs[${i}]`));
    def.compute({
      inputs: ins.map((x) => x[0]),
      outputs: outs.map((x) => x[0]),
      params: op.params ?? EMPTY_PARAMS,
      dtypes: {
        inputs: op.inputs.map((r) => r.dtype ?? "float32"),
        outputs: op.outputs.map((r) => r.dtype ?? "float32"),
      },
      typed: { inputs: ins.map((x) => x[1]), outputs: outs.map((x) => x[1]) },
    });
    for (const write of writes) write();
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
