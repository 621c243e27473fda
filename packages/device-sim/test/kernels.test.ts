import { describe, expect, it } from "vitest";
import { BUILTIN_KERNELS, type KernelDefinition } from "../src/index.js";
import { codeOf, IDEAL, setup } from "./harness.js";

/** Deterministic test data in [-2, 2). */
function data(n: number, seed = 1): Float32Array {
  let x = seed;
  return Float32Array.from({ length: n }, () => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return (x / 2 ** 31) * 4 - 2;
  });
}

/** Runs one kernel on the simulator and returns its first output. */
async function run(
  name: string,
  inputs: Float32Array[],
  outLength: number,
  params: Record<string, number> = {},
): Promise<Float32Array> {
  const s = setup({ preset: "tiny" });
  const q = s.queue();
  const ins = inputs.map((x) => s.upload(q, x));
  const out = s.device.allocate(outLength * 4);
  s.device.enqueue(q, { kind: "kernel", name, inputs: ins, outputs: [out], params });
  const back = s.download(q, out);
  await s.device.drain(q);
  expect(s.log.every((c) => c.status === "ok")).toBe(true);
  s.device.close();
  return back;
}

const f32 = (xs: ArrayLike<number>) => Float32Array.from(xs);

describe("built-in kernels match plain reference implementations", () => {
  const a = data(300, 1);
  const b = data(300, 2);

  it("add, mul", async () => {
    expect(await run("add", [a, b], 300)).toEqual(f32(Array.from(a, (v, i) => v + b[i]!)));
    expect(await run("mul", [a, b], 300)).toEqual(f32(Array.from(a, (v, i) => v * b[i]!)));
  });

  it("relu, gelu (tanh form)", async () => {
    expect(await run("relu", [a], 300)).toEqual(f32(Array.from(a, (v) => Math.max(0, v))));
    const gelu = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
    const got = await run("gelu", [a], 300);
    const want = f32(Array.from(a, gelu));
    for (let i = 0; i < 300; i++) expect(got[i]).toBeCloseTo(want[i]!, 6);
  });

  it("matmul", async () => {
    const [m, k, n] = [7, 5, 3];
    const x = data(m * k, 3);
    const y = data(k * n, 4);
    const want = new Float32Array(m * n);
    for (let i = 0; i < m; i++)
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let p = 0; p < k; p++) sum += x[i * k + p]! * y[p * n + j]!;
        want[i * n + j] = sum;
      }
    const got = await run("matmul", [x, y], m * n, { m, k, n });
    for (let i = 0; i < m * n; i++) expect(got[i]).toBeCloseTo(want[i]!, 5);
  });

  it("softmax per row", async () => {
    const [rows, cols] = [4, 9];
    const x = data(rows * cols, 5);
    const got = await run("softmax", [x], rows * cols, { rows, cols });
    for (let r = 0; r < rows; r++) {
      const row = Array.from(x.subarray(r * cols, (r + 1) * cols));
      const max = Math.max(...row);
      const exps = row.map((v) => Math.exp(v - max));
      const sum = exps.reduce((s, v) => s + v, 0);
      for (let c = 0; c < cols; c++) expect(got[r * cols + c]).toBeCloseTo(exps[c]! / sum, 6);
    }
  });

  it("layernorm with gamma and beta", async () => {
    const [rows, cols] = [3, 8];
    const x = data(rows * cols, 6);
    const gamma = data(cols, 7);
    const beta = data(cols, 8);
    const got = await run("layernorm", [x, gamma, beta], rows * cols, { rows, cols, eps: 1e-5 });
    for (let r = 0; r < rows; r++) {
      const row = Array.from(x.subarray(r * cols, (r + 1) * cols));
      const mean = row.reduce((s, v) => s + v, 0) / cols;
      const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / cols;
      for (let c = 0; c < cols; c++) {
        const want = ((row[c]! - mean) / Math.sqrt(variance + 1e-5)) * gamma[c]! + beta[c]!;
        expect(got[r * cols + c]).toBeCloseTo(want, 5);
      }
    }
    // Without gamma and beta: zero mean per row.
    const plain = await run("layernorm", [x], rows * cols, { rows, cols });
    expect(Array.from(plain.subarray(0, cols)).reduce((s, v) => s + v, 0)).toBeCloseTo(0, 5);
  });

  it("reduce-sum per row and in total", async () => {
    const x = data(24, 9);
    const rows = await run("reduce-sum", [x], 4, { rows: 4, cols: 6 });
    for (let r = 0; r < 4; r++) {
      expect(rows[r]).toBeCloseTo(
        Array.from(x.subarray(r * 6, r * 6 + 6)).reduce((s, v) => s + v, 0),
        5,
      );
    }
    const total = await run("reduce-sum", [x], 1);
    expect(total[0]).toBeCloseTo(
      Array.from(x).reduce((s, v) => s + v, 0),
      4,
    );
  });

  it("transpose", async () => {
    const x = data(6 * 4, 10);
    const got = await run("transpose", [x], 24, { rows: 6, cols: 4 });
    for (let r = 0; r < 6; r++) for (let c = 0; c < 4; c++) expect(got[c * 6 + r]).toBe(x[r * 4 + c]);
  });

  it("computes on operands that span several 64 KiB pages and odd offsets", async () => {
    const n = 50_000; // 200 KB per operand
    const x = data(n, 11);
    const y = data(n, 12);
    expect(await run("add", [x, y], n)).toEqual(f32(Array.from(x, (v, i) => v + y[i]!)));
    const s = setup({ preset: "tiny" });
    const q = s.queue();
    const buf = s.device.allocate(64);
    s.device.enqueue(q, { kind: "copy", src: f32([1, -2, 3, -4]), dst: { buffer: buf, offset: 2 } });
    s.device.enqueue(q, {
      kind: "kernel",
      name: "relu",
      inputs: [{ buffer: buf, offset: 2, bytes: 16 }],
      outputs: [{ buffer: buf, offset: 30, bytes: 16 }],
    });
    const out = new Float32Array(4);
    s.device.enqueue(q, { kind: "copy", src: { buffer: buf, offset: 30, bytes: 16 }, dst: out });
    await s.device.drain(q);
    expect(Array.from(out)).toEqual([1, 0, 3, 0]);
  });

  it("reports bad parameters as an INVALID_PARAM completion, not an exception", async () => {
    const s = setup({ preset: "tiny" });
    const q = s.queue();
    const x = s.device.allocate(40);
    const bad = [
      { name: "matmul", inputs: [x, x], params: { m: 2, k: 2 } },
      { name: "matmul", inputs: [x, x], params: { m: 4, k: 4, n: 4 } },
      { name: "add", inputs: [x], params: {} },
      { name: "softmax", inputs: [x], params: { rows: 3, cols: 4 } },
      { name: "transpose", inputs: [x], params: { rows: 0 } },
      { name: "relu", inputs: [{ buffer: x, bytes: 6 }], params: {} },
    ];
    for (const k of bad) s.device.enqueue(q, { kind: "kernel", outputs: [x], ...k });
    await s.device.drain(q);
    expect(s.log.map((c) => [c.status, c.failure?.code])).toEqual(bad.map(() => ["error", "INVALID_PARAM"]));
    expect(s.log[0]!.failure?.message).toMatch(/params\.n/);
  });
});

describe("kernel edge cases", () => {
  it("softmax stays finite for large inputs; layernorm's eps keeps a constant row finite", async () => {
    const big = await run("softmax", [f32([1000, 1001, 1002, 88, 89, 90])], 6, { rows: 2, cols: 3 });
    const e = [Math.exp(-2), Math.exp(-1), 1];
    const sum = e[0]! + e[1]! + 1;
    for (let i = 0; i < 6; i++) expect(big[i]).toBeCloseTo(e[i % 3]! / sum, 6);
    const flat = await run("layernorm", [f32([3, 3, 3, 3])], 4, { eps: 1e-5 });
    expect(Array.from(flat)).toEqual([0, 0, 0, 0]);
  });

  it("empty operands are empty rows: nothing to write, and a sum of nothing is 0", async () => {
    const s = setup({ preset: "tiny" });
    const q = s.queue();
    const x = s.device.allocate(16);
    const sum = s.upload(q, [7]);
    const empty = { buffer: x, offset: 0, bytes: 0 };
    for (const name of ["add", "relu", "softmax", "layernorm", "transpose"]) {
      s.device.enqueue(q, { kind: "kernel", name, inputs: [empty, empty], outputs: [empty] });
    }
    s.device.enqueue(q, { kind: "kernel", name: "reduce-sum", inputs: [empty], outputs: [sum] });
    const back = s.download(q, sum);
    await s.device.drain(q);
    expect(s.log.map((c) => c.failure?.message)).toEqual(new Array(8).fill(undefined));
    expect(Array.from(back)).toEqual([0]);
  });

  it("refuses a layernorm eps that is negative, not finite or not a number", async () => {
    const s = setup({ preset: "tiny" });
    const q = s.queue();
    const x = s.device.allocate(16);
    for (const eps of [-1, Number.NaN, Number.POSITIVE_INFINITY, "small"]) {
      s.device.enqueue(q, { kind: "kernel", name: "layernorm", inputs: [x], outputs: [x], params: { eps } });
    }
    await s.device.drain(q);
    expect(s.log.map((c) => c.failure?.code)).toEqual(new Array(4).fill("INVALID_PARAM"));
    expect(s.log[0]!.failure?.message).toMatch(/params\.eps/);
  });
});

describe("kernel registry", () => {
  const scale: KernelDefinition = {
    compute: ({ inputs: [x], outputs: [y], params }) => {
      for (let i = 0; i < y!.length; i++) y![i] = Number(params.alpha) * x![i]!;
    },
    cost: () => ({ durationNs: 12_345 }),
  };

  it("adds kernels from config and from registerKernel (before connecting), with their cost", async () => {
    const npu = (await import("../src/index.js")).simulatedNpu({ ...IDEAL, kernels: { scale } });
    npu.registerKernel("negate", {
      compute: ({ inputs: [x], outputs: [y] }) => {
        for (let i = 0; i < y!.length; i++) y![i] = -x![i]!;
      },
    });
    expect(npu.capabilities.kernels).toEqual(expect.arrayContaining(["scale", "negate", "add", "noop"]));
    const { createDevice } = await import("@npurt/core");
    const device = createDevice(npu);
    expect(codeOf(() => npu.registerKernel("late", {}))).toBe("FEATURE_NOT_SUPPORTED");
    expect(codeOf(() => device.enqueue(device.createQueue(), { kind: "kernel", name: "nope" }))).toBe(
      "INVALID_PARAM",
    );
    const seen: number[] = [];
    const q = device.createQueue({ onComplete: (c) => void seen.push(c.endNs - c.startNs) });
    const x = device.allocate(8);
    const y = device.allocate(8);
    device.enqueue(q, { kind: "copy", src: new Float32Array([1, 2]), dst: x });
    device.enqueue(q, { kind: "kernel", name: "scale", inputs: [x], outputs: [y], params: { alpha: 3 } });
    device.enqueue(q, { kind: "kernel", name: "negate", inputs: [y], outputs: [x] });
    const out = new Float32Array(2);
    device.enqueue(q, { kind: "copy", src: x, dst: out });
    await device.drain(q);
    expect(Array.from(out)).toEqual([-3, -6]);
    // The cost function's stated duration is the kernel's duration.
    expect(seen[1]).toBe(12_345);
  });

  it("refuses malformed kernel definitions", async () => {
    const { simulatedNpu } = await import("../src/index.js");
    expect(() => simulatedNpu({ kernels: { bad: { compute: 3 } as never } })).toThrow(TypeError);
    expect(codeOf(() => simulatedNpu({ kernels: { bad: { run: () => {} } as never } }))).toBe(
      "INVALID_PARAM",
    );
    expect(codeOf(() => simulatedNpu().registerKernel("", {}))).toBe("INVALID_PARAM");
  });

  it("a kernel or cost function that throws fails its op (KERNEL_FAILED), not the engine", async () => {
    const s = setup({
      preset: "tiny",
      kernels: {
        boom: {
          compute: () => {
            throw new Error("kaboom");
          },
        },
        badcost: {
          cost: () => {
            throw new TypeError("no cost model");
          },
        },
      },
    });
    const q = s.queue();
    s.device.enqueue(q, { kind: "kernel", name: "boom" });
    s.device.enqueue(q, { kind: "kernel", name: "badcost" });
    s.device.enqueue(q, { kind: "kernel", name: "noop" });
    await s.device.drain(q);
    expect(s.log.map((c) => [c.status, c.failure?.code])).toEqual([
      ["error", "KERNEL_FAILED"],
      ["error", "KERNEL_FAILED"],
      ["ok", undefined],
    ]);
    expect(s.log[0]!.failure?.message).toMatch(/kaboom/);
    expect(s.log[1]!.failure?.message).toMatch(/no cost model/);
  });

  it("a cost function returning a negative, NaN or missing cost fails its op (INVALID_PARAM)", async () => {
    const s = setup({
      ...IDEAL,
      kernels: {
        negative: { cost: () => ({ durationNs: -5_000 }) },
        nan: { cost: () => ({ flops: Number.NaN }) },
        text: { cost: () => ({ bytes: "10" as never }) },
        nothing: { cost: () => undefined as never },
      },
    });
    const q = s.queue();
    s.device.enqueue(q, { kind: "kernel", name: "noop", cost: { durationNs: 10_000 } });
    for (const name of ["negative", "nan", "text", "nothing"]) s.device.enqueue(q, { kind: "kernel", name });
    s.device.enqueue(q, { kind: "kernel", name: "noop", cost: { durationNs: 10 } });
    await s.device.drain(q);
    expect(s.log.map((c) => [c.status, c.failure?.code, c.startNs, c.endNs])).toEqual([
      ["ok", undefined, 0, 10_000],
      ...new Array(4).fill(["error", "INVALID_PARAM", 10_000, 10_000]),
      ["ok", undefined, 10_000, 10_010],
    ]);
    expect(s.log[1]!.failure?.message).toMatch(/"negative".*durationNs: number -5000/);
  });

  it("exposes the built-in library", () => {
    expect(Object.keys(BUILTIN_KERNELS).sort()).toEqual(
      [
        "add",
        "cast",
        "gelu",
        "layernorm",
        "matmul",
        "mul",
        "noop",
        "reduce-sum",
        "relu",
        "softmax",
        "transpose",
      ].sort(),
    );
  });
});

describe("timing-only mode", () => {
  it("skips the math but keeps the timeline; copies still move bytes", async () => {
    const timeline = async (computeKernels: boolean) => {
      const s = setup({ preset: "tiny", computeKernels, seed: 3, jitter: 0.2 });
      expect(s.device.capabilities.computesKernels).toBe(computeKernels);
      const q = s.queue();
      const x = s.upload(q, [1, 2, 3, 4]);
      const y = s.device.allocate(16);
      s.device.enqueue(q, { kind: "kernel", name: "add", inputs: [x, x], outputs: [y] });
      const out = s.download(q, y);
      const echo = s.download(q, x);
      await s.device.drain(q);
      return { out: Array.from(out), echo: Array.from(echo), log: s.log };
    };
    const real = await timeline(true);
    const timingOnly = await timeline(false);
    expect(real.out).toEqual([2, 4, 6, 8]);
    expect(timingOnly.out).toEqual([0, 0, 0, 0]);
    expect(timingOnly.echo).toEqual([1, 2, 3, 4]);
    expect(timingOnly.log).toEqual(real.log);
  });
});
