import { NpuError, NpuTypeError } from "../errors/npu-error.js";
import { describe, quote } from "../errors/safe-text.js";

/**
 * The element type of a device buffer. Half-precision types have no JavaScript array of their
 * own: `float16` (IEEE 754 binary16) and `bfloat16` (the upper half of a float32) are stored as
 * their 16 bits in a `Uint16Array` — see {@link toFloat16Bits} and {@link fromFloat16Bits} — and
 * kernels see them converted to float32. `int64` is held in a `BigInt64Array`.
 */
export type DType = "float32" | "float16" | "bfloat16" | "int8" | "uint8" | "int32" | "int64";

/** The host typed array that holds a dtype's elements (its bits, for the half-precision types). */
export type HostArrayOf<D extends DType> = D extends "float32"
  ? Float32Array
  : D extends "float16" | "bfloat16"
    ? Uint16Array
    : D extends "int8"
      ? Int8Array
      : D extends "uint8"
        ? Uint8Array
        : D extends "int32"
          ? Int32Array
          : BigInt64Array;

/** Any host array {@link HostArrayOf} can be. */
export type HostArray = Float32Array | Uint16Array | Int8Array | Uint8Array | Int32Array | BigInt64Array;

/** What npurt knows about a dtype. */
export interface DTypeInfo {
  /** Bytes per element. */
  readonly bytes: number;
  /** Whether kernels compute on it as floating point (float16 and bfloat16 converted to float32). */
  readonly floating: boolean;
  /** The host array that holds its elements or bits. */
  readonly array: {
    new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): HostArray;
    new (length: number): HostArray;
  };
}

/** Every dtype with its element size, in a stable order (float32, the default, first). */
export const DTYPES: Readonly<Record<DType, DTypeInfo>> = Object.freeze({
  float32: Object.freeze({ bytes: 4, floating: true, array: Float32Array }),
  float16: Object.freeze({ bytes: 2, floating: true, array: Uint16Array }),
  bfloat16: Object.freeze({ bytes: 2, floating: true, array: Uint16Array }),
  int8: Object.freeze({ bytes: 1, floating: false, array: Int8Array }),
  uint8: Object.freeze({ bytes: 1, floating: false, array: Uint8Array }),
  int32: Object.freeze({ bytes: 4, floating: false, array: Int32Array }),
  int64: Object.freeze({ bytes: 8, floating: false, array: BigInt64Array }),
} as Record<DType, DTypeInfo>);

const NAMES = Object.keys(DTYPES) as DType[];

/** Checks a dtype argument: a `TypeError` for a non-string, `INVALID_PARAM` for an unknown name. */
export function checkDType(value: unknown, what: string): DType {
  if (typeof value !== "string")
    throw new NpuTypeError(`${what} must be a dtype string, got ${describe(value)}`);
  if (!(NAMES as string[]).includes(value)) {
    throw new NpuError("INVALID_PARAM", `${what} must be one of ${NAMES.join(", ")}; got ${quote(value)}`);
  }
  return value as DType;
}

// One shared scratch word: float32 <-> bits without an allocation per element.
const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** The binary16 bits of `value`, rounded to nearest even (overflow → ±Infinity, NaN stays NaN). */
export function float16BitsOf(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  const mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant !== 0 ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal in binary16 (or zero): shift the implicit-1 mantissa into place, round to even.
    if (e < -10) return sign;
    const m = mant | 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    let r = m >>> shift;
    const rest = m & ((1 << shift) - 1);
    if (rest > half || (rest === half && (r & 1) === 1)) r++;
    return sign | r;
  }
  let r = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && (r & 1) === 1)) r++; // may carry into the exponent: correct
  return sign | r;
}

/** The number binary16 bits stand for. */
export function float16Value(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exp = (bits >>> 10) & 0x1f;
  const mant = bits & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant === 0 ? sign * Number.POSITIVE_INFINITY : Number.NaN;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** The bfloat16 bits of `value` (the upper 16 bits of its float32, rounded to nearest even). */
export function bfloat16BitsOf(value: number): number {
  f32[0] = value;
  const x = u32[0]!;
  if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) return (x >>> 16) | 0x40; // quiet NaN
  return ((x + 0x7fff + ((x >>> 16) & 1)) >>> 16) & 0xffff;
}

/** The number bfloat16 bits stand for. */
export function bfloat16Value(bits: number): number {
  u32[0] = (bits & 0xffff) << 16;
  return f32[0]!;
}

/**
 * Host bits of `values` in a half-precision dtype, ready to copy into a `float16` or `bfloat16`
 * buffer.
 *
 * @example
 * ```ts
 * const bits = toFloat16Bits([1, 0.5, -2], "float16"); // Uint16Array [0x3c00, 0x3800, 0xc000]
 * ```
 */
export function toFloat16Bits(
  values: ArrayLike<number>,
  dtype: "float16" | "bfloat16" = "float16",
): Uint16Array {
  const of = checkHalf(dtype) === "float16" ? float16BitsOf : bfloat16BitsOf;
  let isArray: boolean;
  try {
    isArray = Array.isArray(values);
  } catch {
    isArray = false; // a revoked Proxy
  }
  if (!isArray && !(ArrayBuffer.isView(values) && !(values instanceof DataView))) {
    throw new NpuTypeError(`values must be an array or a typed array of numbers, got ${describe(values)}`);
  }
  if (values instanceof BigInt64Array || values instanceof BigUint64Array)
    throw new NpuTypeError("values must be numbers, not a BigInt64Array");
  const out = new Uint16Array(values.length);
  for (let i = 0; i < out.length; i++) out[i] = of(values[i]!);
  return out;
}

/** The numbers half-precision bits (read back from a `float16` or `bfloat16` buffer) stand for. */
export function fromFloat16Bits(bits: Uint16Array, dtype: "float16" | "bfloat16" = "float16"): Float32Array {
  if (!isUint16Array(bits)) throw new NpuTypeError(`bits must be a Uint16Array, got ${describe(bits)}`);
  const of = checkHalf(dtype) === "float16" ? float16Value : bfloat16Value;
  const out = new Float32Array(bits.length);
  for (let i = 0; i < out.length; i++) out[i] = of(bits[i]!);
  return out;
}

function checkHalf(dtype: unknown): "float16" | "bfloat16" {
  const d = checkDType(dtype, "dtype");
  if (d !== "float16" && d !== "bfloat16")
    throw new NpuError("INVALID_PARAM", `dtype must be float16 or bfloat16, got ${quote(d)}`);
  return d;
}

/** `instanceof`, safe on a hostile Proxy (whose traps throw). */
function isUint16Array(value: unknown): value is Uint16Array {
  try {
    return value instanceof Uint16Array;
  } catch {
    return false;
  }
}
