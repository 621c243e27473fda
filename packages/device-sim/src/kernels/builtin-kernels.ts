import { DTYPES, type DType, type KernelParams, NpuError } from "@npurt/core";
import type { KernelArray, KernelContext, KernelCostInfo, KernelDefinition } from "./kernel-definition.js";

const ALL_DTYPES = Object.freeze(Object.keys(DTYPES) as DType[]);

/**
 * `out = x` converted elementwise between any two dtypes, over the shorter operand: floats to
 * integers truncate toward zero and wrap as JavaScript's typed arrays do (NaN and ±Infinity
 * become 0); int64 to a float type is rounded to the nearest representable value.
 */
function cast({ typed }: KernelContext): void {
  const x = typed.inputs[0];
  const out = typed.outputs[0];
  if (x === undefined || out === undefined)
    throw new NpuError("INVALID_PARAM", 'kernel "cast" needs an input and an output');
  const n = Math.min(x.length, out.length);
  if (out instanceof BigInt64Array) {
    if (x instanceof BigInt64Array) out.set(x.subarray(0, n));
    else
      for (let i = 0; i < n; i++) {
        const v = Math.trunc(x[i] as number);
        out[i] = Number.isFinite(v) ? BigInt.asIntN(64, BigInt(v)) : 0n;
      }
    return;
  }
  const dst = out as Exclude<KernelArray, BigInt64Array>;
  const integer = !(dst instanceof Float32Array);
  for (let i = 0; i < n; i++) {
    const v = Number(x[i]!);
    dst[i] = integer ? Math.trunc(v) : v;
  }
}

function deepFreeze(kernels: Record<string, KernelDefinition>): Readonly<Record<string, KernelDefinition>> {
  for (const def of Object.values(kernels)) Object.freeze(def);
  return Object.freeze(kernels);
}

function operands(ctx: KernelContext, inputs: number, name: string): Float32Array[] {
  if (ctx.inputs.length < inputs || ctx.outputs.length < 1) {
    throw new NpuError(
      "INVALID_PARAM",
      `kernel "${name}" needs ${inputs} input(s) and 1 output, got ${ctx.inputs.length} and ${ctx.outputs.length}`,
    );
  }
  const out = ctx.outputs[0]!;
  const list = ctx.inputs.slice(0, inputs);
  for (const x of list) {
    if (x.length < out.length) {
      throw new NpuError(
        "INVALID_PARAM",
        `kernel "${name}": input has ${x.length} elements, output ${out.length}`,
      );
    }
  }
  return [...list, out];
}

function inputAndOutput(
  inputs: readonly Float32Array[],
  outputs: readonly Float32Array[],
  name: string,
): [Float32Array, Float32Array] {
  const x = inputs[0];
  const out = outputs[0];
  if (x === undefined || out === undefined) {
    throw new NpuError("INVALID_PARAM", `kernel "${name}" needs an input and an output`);
  }
  return [x, out];
}

function dim(params: KernelParams, key: string, name: string): number {
  const value = params[key];
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
    throw new NpuError(
      "INVALID_PARAM",
      `kernel "${name}" needs params.${key}, a positive integer; got ${String(params[key])}`,
    );
  }
  return value;
}

/**
 * Rows and columns of a row-major matrix over `elements` values (default: one row). Stated
 * dimensions must be positive; the defaults may be 0 columns, so an empty operand is an empty
 * row (softmax, transpose, … write nothing; reduce-sum writes 0) rather than an error.
 */
function shape(params: KernelParams, elements: number, name: string): [number, number] {
  const cols = params.cols === undefined ? elements : dim(params, "cols", name);
  const rows =
    params.rows === undefined
      ? cols === 0
        ? 1
        : Math.max(1, Math.floor(elements / cols))
      : dim(params, "rows", name);
  if (rows * cols > elements) {
    throw new NpuError(
      "INVALID_PARAM",
      `kernel "${name}": ${rows}×${cols} needs ${rows * cols} elements, the buffer has ${elements}`,
    );
  }
  return [rows, cols];
}

function need(buffer: Float32Array, elements: number, what: string, name: string): void {
  if (buffer.length < elements) {
    throw new NpuError(
      "INVALID_PARAM",
      `kernel "${name}": ${what} needs ${elements} elements, the buffer has ${buffer.length}`,
    );
  }
}

const elementwiseCost =
  (flopsPerElement: number, operandsCount: number) =>
  ({ outputBytes }: KernelCostInfo) => ({
    flops: (flopsPerElement * (outputBytes[0] ?? 0)) / 4,
    bytes: operandsCount * (outputBytes[0] ?? 0),
  });

function binary(name: string, op: (a: number, b: number) => number): KernelDefinition {
  return {
    compute(ctx) {
      const [a, b, out] = operands(ctx, 2, name) as [Float32Array, Float32Array, Float32Array];
      for (let i = 0; i < out.length; i++) out[i] = op(a[i]!, b[i]!);
    },
    cost: elementwiseCost(1, 3),
  };
}

function unary(name: string, flops: number, op: (x: number) => number): KernelDefinition {
  return {
    compute(ctx) {
      const [x, out] = operands(ctx, 1, name) as [Float32Array, Float32Array];
      for (let i = 0; i < out.length; i++) out[i] = op(x[i]!);
    },
    cost: elementwiseCost(flops, 2),
  };
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/**
 * The kernels every simulated NPU knows, row-major. They compute on the floating dtypes
 * (`float32`, and `float16` / `bfloat16` converted to float32 and rounded back), except `noop`
 * and `cast`, which take every dtype. Parameters:
 *
 * - `noop`: no operands; takes time only.
 * - `cast`: `out = x` converted between any two dtypes (float → integer truncates toward zero).
 * - `add`, `mul`: `out = a (+|×) b`, elementwise over the output's length.
 * - `relu`: `out = max(0, x)`. `gelu`: the tanh approximation
 *   `0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))`.
 * - `matmul`: `params.m`, `k`, `n`; `out (m×n) = a (m×k) · b (k×n)`.
 * - `softmax`: `params.rows`, `cols` (default one row); numerically stable, per row.
 * - `layernorm`: `params.rows`, `cols`, `eps` (finite, ≥ 0; default 1e-5); inputs `x` and optional `gamma`,
 *   `beta` (each `cols` long); per row `(x − mean) / √(var + eps) · gamma + beta`.
 * - `reduce-sum`: `params.rows`, `cols`; `out[r] = Σ x[r, :]` (default: the sum of all).
 * - `transpose`: `params.rows`, `cols`; `out (cols×rows) = xᵀ`.
 *
 * Frozen, definitions included: a simulator copies the library when it is created, and a
 * write here would otherwise change the kernels of every simulator created afterwards.
 */
export const BUILTIN_KERNELS: Readonly<Record<string, KernelDefinition>> = deepFreeze({
  noop: { cost: () => ({ flops: 0, bytes: 0 }), dtypes: ALL_DTYPES },
  cast: {
    compute: cast,
    cost: ({ inputBytes, outputBytes }) => ({
      flops: 0,
      bytes: (inputBytes[0] ?? 0) + (outputBytes[0] ?? 0),
    }),
    dtypes: ALL_DTYPES,
  },
  add: binary("add", (a, b) => a + b),
  mul: binary("mul", (a, b) => a * b),
  relu: unary("relu", 1, (x) => Math.max(0, x)),
  gelu: unary("gelu", 8, (x) => 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + 0.044715 * x * x * x)))),
  matmul: {
    compute({ inputs, outputs, params }) {
      const m = dim(params, "m", "matmul");
      const k = dim(params, "k", "matmul");
      const n = dim(params, "n", "matmul");
      const a = inputs[0];
      const b = inputs[1];
      const out = outputs[0];
      if (a === undefined || b === undefined || out === undefined) {
        throw new NpuError("INVALID_PARAM", 'kernel "matmul" needs inputs [a, b] and an output');
      }
      need(a, m * k, "a", "matmul");
      need(b, k * n, "b", "matmul");
      need(out, m * n, "out", "matmul");
      const row = new Float64Array(n);
      for (let i = 0; i < m; i++) {
        row.fill(0);
        for (let p = 0; p < k; p++) {
          const aip = a[i * k + p]!;
          const base = p * n;
          for (let j = 0; j < n; j++) row[j]! += aip * b[base + j]!;
        }
        for (let j = 0; j < n; j++) out[i * n + j] = row[j]!;
      }
    },
    cost: ({ params }) => {
      const m = Number(params.m ?? 0);
      const k = Number(params.k ?? 0);
      const n = Number(params.n ?? 0);
      return { flops: 2 * m * k * n, bytes: 4 * (m * k + k * n + m * n) };
    },
  },
  softmax: {
    compute(ctx) {
      const [x, out] = operands(ctx, 1, "softmax") as [Float32Array, Float32Array];
      const [rows, cols] = shape(ctx.params, out.length, "softmax");
      for (let r = 0; r < rows; r++) {
        const o = r * cols;
        let max = Number.NEGATIVE_INFINITY;
        for (let c = 0; c < cols; c++) if (x[o + c]! > max) max = x[o + c]!;
        let sum = 0;
        for (let c = 0; c < cols; c++) sum += Math.exp(x[o + c]! - max);
        for (let c = 0; c < cols; c++) out[o + c] = Math.exp(x[o + c]! - max) / sum;
      }
    },
    cost: elementwiseCost(5, 2),
  },
  layernorm: {
    compute({ inputs, outputs, params }) {
      const [x, out] = inputAndOutput(inputs, outputs, "layernorm");
      const [rows, cols] = shape(params, out.length, "layernorm");
      need(x, rows * cols, "x", "layernorm");
      const gamma = inputs[1];
      const beta = inputs[2];
      if (gamma !== undefined) need(gamma, cols, "gamma", "layernorm");
      if (beta !== undefined) need(beta, cols, "beta", "layernorm");
      const eps = params.eps ?? 1e-5;
      if (typeof eps !== "number" || !(eps >= 0) || !Number.isFinite(eps)) {
        throw new NpuError(
          "INVALID_PARAM",
          `kernel "layernorm" needs params.eps, a finite number >= 0; got ${String(params.eps)}`,
        );
      }
      for (let r = 0; r < rows; r++) {
        const o = r * cols;
        let mean = 0;
        for (let c = 0; c < cols; c++) mean += x[o + c]!;
        mean /= cols;
        let variance = 0;
        for (let c = 0; c < cols; c++) variance += (x[o + c]! - mean) ** 2;
        variance /= cols;
        const inv = 1 / Math.sqrt(variance + eps);
        for (let c = 0; c < cols; c++) {
          out[o + c] = (x[o + c]! - mean) * inv * (gamma?.[c] ?? 1) + (beta?.[c] ?? 0);
        }
      }
    },
    cost: elementwiseCost(8, 2),
  },
  "reduce-sum": {
    compute({ inputs, outputs, params }) {
      const [x, out] = inputAndOutput(inputs, outputs, "reduce-sum");
      const [rows, cols] = shape(params, x.length, "reduce-sum");
      need(out, rows, "out", "reduce-sum");
      for (let r = 0; r < rows; r++) {
        let sum = 0;
        for (let c = 0; c < cols; c++) sum += x[r * cols + c]!;
        out[r] = sum;
      }
    },
    cost: ({ inputBytes }) => ({ flops: (inputBytes[0] ?? 0) / 4, bytes: inputBytes[0] ?? 0 }),
  },
  transpose: {
    compute({ inputs, outputs, params }) {
      const [x, out] = inputAndOutput(inputs, outputs, "transpose");
      const [rows, cols] = shape(params, x.length, "transpose");
      need(out, rows * cols, "out", "transpose");
      for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = x[r * cols + c]!;
    },
    cost: ({ inputBytes }) => ({ flops: 0, bytes: 2 * (inputBytes[0] ?? 0) }),
  },
});
