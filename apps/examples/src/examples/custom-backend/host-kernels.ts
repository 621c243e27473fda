import { type KernelParams, NpuError } from "@npurt/core";

/** A kernel of the host backend: float32 views of its operands, computed on the host thread. */
export type HostKernel = (args: {
  readonly inputs: readonly Float32Array[];
  readonly outputs: readonly Float32Array[];
  readonly params: KernelParams | undefined;
}) => void;

/** Elementwise over the output's length (an input shorter than the output is an error). */
function elementwise(f: (x: number, y: number) => number, arity: 1 | 2): HostKernel {
  return ({ inputs, outputs }) => {
    const out = outputs[0];
    const a = inputs[0];
    const b = arity === 2 ? inputs[1] : undefined;
    if (out === undefined || a === undefined || (arity === 2 && b === undefined))
      throw new NpuError("INVALID_PARAM", `the kernel takes ${arity} input(s) and an output`);
    if (a.length < out.length || (b !== undefined && b.length < out.length))
      throw new NpuError("INVALID_PARAM", "an input is shorter than the output");
    for (let i = 0; i < out.length; i++) out[i] = f(a[i]!, b === undefined ? 0 : b[i]!);
  };
}

/**
 * The host backend's kernel library: `noop` (what the conformance suite launches), `relu`,
 * `add` and `scale` (`params.factor`).
 */
export const HOST_KERNELS: Readonly<Record<string, HostKernel>> = Object.freeze({
  noop: () => {},
  relu: elementwise((x) => Math.max(0, x), 1),
  add: elementwise((x, y) => x + y, 2),
  scale: (args) => {
    const factor = Number(args.params?.factor ?? 1);
    elementwise((x) => x * factor, 1)(args);
  },
});
