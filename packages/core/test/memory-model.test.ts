import {
  createDevice,
  type DeviceOp,
  DTYPES,
  type DType,
  fromFloat16Bits,
  type InstrumentationEvent,
  NpuError,
  toFloat16Bits,
} from "@npurt/core";
import { MockDeviceBackend } from "@npurt/core/testing";
import { describe, expect, it } from "vitest";

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return NpuError.isInstance(e) ? e.code : `TypeError:${(e as Error).name}`;
  }
  return undefined;
}

const HOST: Record<DType, () => ArrayBufferView> = {
  float32: () => Float32Array.of(1.5, -2, 3.25, 4),
  float16: () => toFloat16Bits([1.5, -2, 3.25, 4]),
  bfloat16: () => toFloat16Bits([1.5, -2, 3.25, 4], "bfloat16"),
  int8: () => Int8Array.of(-128, -1, 0, 127),
  uint8: () => Uint8Array.of(0, 1, 200, 255),
  int32: () => Int32Array.of(-(2 ** 31), -1, 7, 2 ** 31 - 1),
  int64: () => BigInt64Array.of(-(2n ** 63n), -1n, 2n ** 53n + 1n, 2n ** 63n - 1n),
};

describe("typed buffers (runtime-semantics §1.4, issue 9)", () => {
  it("a buffer carries its dtype and element count; float32 stays the default", () => {
    const device = createDevice(new MockDeviceBackend());
    const plain = device.allocate(10);
    expect(plain.dtype).toBe("float32");
    const ints = device.allocate(64, { dtype: "int64" });
    expect(ints.dtype).toBe("int64");
    expect(ints.elements).toBe(8);
    expect(device.allocate(6, { dtype: "float16" }).elements).toBe(3);
  });

  it("a stated dtype needs a whole number of elements; an unknown dtype is INVALID_PARAM", () => {
    const device = createDevice(new MockDeviceBackend());
    expect(codeOf(() => device.allocate(6, { dtype: "int64" }))).toBe("INVALID_PARAM");
    expect(codeOf(() => device.allocate(8, { dtype: "float64" as DType }))).toBe("INVALID_PARAM");
    expect(() => device.allocate(8, { dtype: 4 as unknown as DType })).toThrow(TypeError);
  });

  it.each(Object.keys(DTYPES) as DType[])(
    "host %s data copies to a device buffer of the same byte size and back, bit for bit",
    async (dtype) => {
      const device = createDevice(new MockDeviceBackend());
      const q = device.createQueue();
      const src = HOST[dtype]();
      const buffer = device.allocate(src.byteLength, { dtype });
      const back = new (src.constructor as new (n: number) => ArrayBufferView)(
        src.byteLength / DTYPES[dtype].bytes,
      );
      device.enqueue(q, { kind: "copy", src, dst: buffer });
      device.enqueue(q, { kind: "copy", src: buffer, dst: back });
      await device.drain(q);
      expect(back).toEqual(src);
    },
  );

  it("a kernel handed a host array is told to copy it in first (TypeError)", () => {
    const device = createDevice(new MockDeviceBackend());
    const q = device.createQueue();
    const out = device.allocate(16);
    const host = new Float32Array(4);
    expect(() =>
      device.enqueue(q, { kind: "kernel", name: "noop", inputs: [host as never], outputs: [out] }),
    ).toThrow(/host memory .*copy the host data into it first/);
    expect(() => device.enqueue(q, { kind: "fill", dst: host as never, value: 1 })).toThrow(TypeError);
  });

  it("backends see the dtype on every operand range of a typed buffer, whole or sliced", async () => {
    const mock = new MockDeviceBackend();
    const device = createDevice(mock);
    const q = device.createQueue();
    const b = device.allocate(16, { dtype: "int32" });
    device.enqueue(q, { kind: "fill", dst: { buffer: b, offset: 4, bytes: 8 }, value: 0 });
    device.enqueue(q, { kind: "fill", dst: b, value: 0 });
    await device.drain(q);
    const ops = mock.calls.filter((c) => c.method === "enqueue").map((c) => c.args[2] as DeviceOp);
    expect(ops.map((op) => (op.kind === "fill" ? op.dst.dtype : undefined))).toEqual(["int32", "int32"]);
  });

  it("float16 and bfloat16 bits round to nearest even and convert back", () => {
    expect([...toFloat16Bits([1, 0.5, -2, 65504, 1e6, 2 ** -24])]).toEqual([
      0x3c00, 0x3800, 0xc000, 0x7bff, 0x7c00, 0x0001,
    ]);
    expect([...fromFloat16Bits(Uint16Array.of(0x3c00, 0xc000, 0x7c00, 0x0001))]).toEqual([
      1,
      -2,
      Number.POSITIVE_INFINITY,
      2 ** -24,
    ]);
    expect(Number.isNaN(fromFloat16Bits(toFloat16Bits([Number.NaN]))[0])).toBe(true);
    // 1 + 2^-8 is halfway between two bfloat16 values: it rounds to the even one, 1.
    expect([...toFloat16Bits([1, 1 + 2 ** -8, 1 + 3 * 2 ** -8, -3.5], "bfloat16")]).toEqual([
      0x3f80, 0x3f80, 0x3f82, 0xc060,
    ]);
    expect([...fromFloat16Bits(Uint16Array.of(0x3f80, 0xc060), "bfloat16")]).toEqual([1, -3.5]);
  });
});

describe("memory info, synchronous copies, pinned host memory (runtime-semantics §1.4)", () => {
  it("§1.4 Memory info: free and total per device follow allocations", () => {
    const device = createDevice(new MockDeviceBackend({ devices: 2, memoryBytes: 1 << 20 }));
    const before = device.memGetInfo(1);
    expect(before).toEqual({ freeBytes: 1 << 20, totalBytes: 1 << 20 });
    const b = device.allocate(4096, { device: 1 });
    expect(device.memGetInfo(1).freeBytes).toBeLessThanOrEqual(before.freeBytes - 4096);
    expect(device.memGetInfo(0)).toEqual(before);
    device.release(b);
    expect(device.memGetInfo(1)).toEqual(before);
    expect(codeOf(() => device.memGetInfo(2))).toBe("INVALID_PARAM");
  });

  it("reserveBytes reserves more from the backend while the buffer keeps the size asked for", () => {
    const device = createDevice(new MockDeviceBackend());
    const b = device.allocate(100, { reserveBytes: 160 });
    expect(b.bytes).toBe(100);
    expect(device.memoryInfo().bytesInUse).toBeGreaterThanOrEqual(160);
    expect(codeOf(() => device.allocate(100, { reserveBytes: 99 }))).toBe("INVALID_PARAM");
  });

  it("memcpy and memset settle once the bytes moved, without a queue of the caller's", async () => {
    const device = createDevice(new MockDeviceBackend());
    const b = device.allocate(8, { dtype: "uint8" });
    await device.memset({ dst: b, value: 9 });
    const out = new Uint8Array(8);
    await device.memcpy({ src: b, dst: out });
    expect([...out]).toEqual(new Array(8).fill(9));
    await device.memcpy({ src: Uint8Array.of(1, 2, 3), dst: b });
    await device.memcpy({ src: b, dst: out, bytes: 3 });
    expect([...out.subarray(0, 3)]).toEqual([1, 2, 3]);
  });

  it("memcpy rejects with the copy's own coded error, where drain() would resolve", async () => {
    const device = createDevice(new MockDeviceBackend());
    const b = device.allocate(8);
    const pending = device.memcpy({ src: new Uint8Array(8), dst: b });
    device.release(b); // freed under the queued copy (aclrtFree semantics): the copy fails
    await expect(pending).rejects.toMatchObject({ code: "INVALID_HANDLE" });
    await expect(
      device.memcpy({ src: new Uint8Array(8), dst: new Uint8Array(8) as never }),
    ).rejects.toMatchObject({
      code: "INVALID_PARAM",
    });
  });

  it("pinned host arrays are typed, flagged on the copies that use them, and released once", async () => {
    const mock = new MockDeviceBackend();
    const device = createDevice(mock);
    const q = device.createQueue();
    const pinned = device.allocateHost(16, { dtype: "float32" });
    expect(pinned).toBeInstanceOf(Float32Array);
    expect(device.isPinned(pinned)).toBe(true);
    expect(device.pinnedHostBytes).toBe(16);
    const b = device.allocate(16);
    device.enqueue(q, { kind: "copy", src: pinned, dst: b });
    device.enqueue(q, { kind: "copy", src: new Float32Array(4), dst: b });
    await device.drain(q);
    const copies = mock.calls.filter((c) => c.method === "enqueue").map((c) => c.args[2] as DeviceOp);
    expect(
      copies.map((op) => (op.kind === "copy" && op.direction === "h2d" ? op.pinned : undefined)),
    ).toEqual([true, false]);
    device.releaseHost(pinned);
    expect(device.pinnedHostBytes).toBe(0);
    expect(codeOf(() => device.releaseHost(pinned))).toBe("INVALID_PARAM");
    expect(codeOf(() => device.allocateHost(6, { dtype: "int32" }))).toBe("INVALID_PARAM");
  });

  it("memory.allocated events carry a non-default dtype", () => {
    const device = createDevice(new MockDeviceBackend());
    const seen: InstrumentationEvent[] = [];
    device.instrumentation.subscribe((e) => seen.push(e));
    device.allocate(8, { dtype: "int8" });
    device.allocate(8);
    const allocs = seen.filter((e) => e.type === "memory.allocated");
    expect(allocs.map((e) => ("dtype" in e ? e.dtype : undefined))).toEqual(["int8", undefined]);
  });
});
