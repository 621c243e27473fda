import { createDevice, fromFloat16Bits, toFloat16Bits } from "@npurt/core";
import { describe, expect, it } from "vitest";
import { simulatedNpu } from "../src/index.js";
import { setup } from "./harness.js";

describe("typed buffers on the simulated NPU (issue 9, runtime-semantics §1.4)", () => {
  it("float16 operands are stored as their bits and computed in float32", async () => {
    const s = setup({ preset: "tiny" });
    const q = s.queue();
    const x = s.device.allocate(8, { dtype: "float16" });
    const y = s.device.allocate(8, { dtype: "float16" });
    s.device.enqueue(q, { kind: "copy", src: toFloat16Bits([-1, 0.5, 2, 3]), dst: x });
    s.device.enqueue(q, { kind: "kernel", name: "relu", inputs: [x], outputs: [y] });
    const bits = new Uint16Array(4);
    s.device.enqueue(q, { kind: "copy", src: y, dst: bits });
    await s.device.drain(q);
    expect(s.log.every((c) => c.status === "ok")).toBe(true);
    expect([...fromFloat16Bits(bits)]).toEqual([0, 0.5, 2, 3]);
  });

  it("bfloat16 results are rounded back to bfloat16", async () => {
    const s = setup({ preset: "tiny" });
    const q = s.queue();
    const a = s.device.allocate(4, { dtype: "bfloat16" });
    const b = s.device.allocate(4, { dtype: "bfloat16" });
    const out = s.device.allocate(4, { dtype: "bfloat16" });
    s.device.enqueue(q, { kind: "copy", src: toFloat16Bits([1, 256], "bfloat16"), dst: a });
    s.device.enqueue(q, { kind: "copy", src: toFloat16Bits([2 ** -9, 1], "bfloat16"), dst: b });
    s.device.enqueue(q, { kind: "kernel", name: "add", inputs: [a, b], outputs: [out] });
    const bits = new Uint16Array(2);
    s.device.enqueue(q, { kind: "copy", src: out, dst: bits });
    await s.device.drain(q);
    // 1 + 2^-9 and 257 are not bfloat16 values (8 significant bits): both round to even.
    expect([...fromFloat16Bits(bits, "bfloat16")]).toEqual([1, 256]);
  });

  it("a kernel refuses a dtype it does not accept, saying which it accepts", async () => {
    const s = setup({ preset: "tiny" });
    const q = s.queue();
    const x = s.device.allocate(16, { dtype: "int32" });
    const y = s.device.allocate(16);
    s.device.enqueue(q, { kind: "kernel", name: "gelu", inputs: [x], outputs: [y] });
    await s.device.drain(q);
    expect(s.log[0]).toMatchObject({ status: "error", failure: { code: "INVALID_PARAM" } });
    expect(s.log[0]!.failure!.message).toBe(
      'kernel "gelu" accepts float32, float16, bfloat16; inputs[0] is int32',
    );
  });

  it("cast converts between integer, int64 and floating dtypes", async () => {
    const s = setup({ preset: "tiny" });
    const q = s.queue();
    const i32 = s.device.allocate(12, { dtype: "int32" });
    const f32 = s.device.allocate(12);
    const i64 = s.device.allocate(24, { dtype: "int64" });
    const i8 = s.device.allocate(3, { dtype: "int8" });
    s.device.enqueue(q, { kind: "copy", src: Int32Array.of(-7, 0, 300), dst: i32 });
    s.device.enqueue(q, { kind: "kernel", name: "cast", inputs: [i32], outputs: [f32] });
    s.device.enqueue(q, { kind: "kernel", name: "cast", inputs: [f32], outputs: [i64] });
    s.device.enqueue(q, { kind: "kernel", name: "cast", inputs: [i64], outputs: [i8] });
    const floats = new Float32Array(3);
    const longs = new BigInt64Array(3);
    const bytes = new Int8Array(3);
    s.device.enqueue(q, { kind: "copy", src: f32, dst: floats });
    s.device.enqueue(q, { kind: "copy", src: i64, dst: longs });
    s.device.enqueue(q, { kind: "copy", src: i8, dst: bytes });
    await s.device.drain(q);
    expect(s.log.filter((c) => c.status !== "ok")).toEqual([]);
    expect([...floats]).toEqual([-7, 0, 300]);
    expect([...longs]).toEqual([-7n, 0n, 300n]);
    expect([...bytes]).toEqual([-7, 0, 44]); // 300 wraps in int8, as Int8Array does
  });

  it("a custom kernel declares the dtypes it takes and reads integer operands from ctx.typed", async () => {
    const npu = simulatedNpu({
      preset: "tiny",
      kernels: {
        "count-odd": {
          dtypes: ["int32", "float32"],
          compute: ({ typed, outputs }) => {
            const x = typed.inputs[0] as Int32Array;
            outputs[0]![0] = x.filter((v) => v % 2 !== 0).length;
          },
        },
      },
    });
    const device = createDevice(npu);
    const q = device.createQueue();
    const x = device.allocate(16, { dtype: "int32" });
    const out = device.allocate(4);
    device.enqueue(q, { kind: "copy", src: Int32Array.of(1, 2, 3, 5), dst: x });
    device.enqueue(q, { kind: "kernel", name: "count-odd", inputs: [x], outputs: [out] });
    const result = new Float32Array(1);
    device.enqueue(q, { kind: "copy", src: out, dst: result });
    await device.drain(q);
    expect(result[0]).toBe(3);
    expect(() => simulatedNpu({ kernels: { bad: { dtypes: ["float64" as "float32"] } } })).toThrow(/float64/);
  });
});

describe("pinned and pageable host memory (runtime-semantics §1.4, device figures)", () => {
  it("a copy from pinned host memory runs at h2dBandwidth, from pageable memory at pageableH2dBandwidth", async () => {
    const s = setup({ preset: "tiny", copyLatencyNs: 0 });
    const q = s.queue();
    const bytes = 1 << 20;
    const dst = s.device.allocate(bytes);
    const pinned = s.device.allocateHost(bytes);
    s.device.enqueue(q, { kind: "copy", src: pinned, dst });
    s.device.enqueue(q, { kind: "copy", src: new Uint8Array(bytes), dst });
    s.device.enqueue(q, { kind: "copy", src: dst, dst: pinned });
    s.device.enqueue(q, { kind: "copy", src: dst, dst: new Uint8Array(bytes) });
    await s.device.drain(q);
    const took = s.log.map((c) => c.endNs - c.startNs);
    const f = s.npu.config.figures;
    expect(took).toEqual([
      Math.ceil((bytes / f.h2dBandwidth) * 1e9),
      Math.ceil((bytes / f.pageableH2dBandwidth) * 1e9),
      Math.ceil((bytes / f.d2hBandwidth) * 1e9),
      Math.ceil((bytes / f.pageableD2hBandwidth) * 1e9),
    ]);
    expect(took[1]).toBeGreaterThan(took[0]!);
  });
});
