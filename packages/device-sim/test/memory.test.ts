import { NpuError } from "@npurt/core";
import { describe, expect, it } from "vitest";
import { codeOf, setup, thrown } from "./harness.js";

const cann = (bytes: number) => Math.ceil(bytes / 32) * 32 + 32;

describe("HBM allocator", () => {
  it("rounds sizes as CANN does (multiple of 32, plus 32) and aligns addresses to 64 bytes", () => {
    const s = setup({ preset: "tiny" });
    const sizes = [1, 31, 32, 33, 100, 4096, 65_537, 7, 1000];
    let expected = 0;
    for (const n of sizes) {
      const b = s.device.allocate(n);
      expected += cann(n);
      expect(b.address % 64).toBe(0);
      expect(s.device.memoryInfo().bytesInUse).toBe(expected);
    }
    expect(cann(1)).toBe(64);
    expect(cann(33)).toBe(96);
    expect(s.device.memoryInfo()).toMatchObject({ allocations: sizes.length, peakBytes: expected });
  });

  it("fragments: freed holes do not combine until neighbours are freed; OOM names requested and free bytes", () => {
    // 64 KiB of HBM: 16 blocks of 4064 bytes reserve 4096 each and fill it.
    const s = setup({ preset: "tiny", hbmBytes: 65_536 });
    const blocks = Array.from({ length: 16 }, () => s.device.allocate(4064));
    expect(s.device.memoryInfo()).toMatchObject({ bytesInUse: 65_536, largestFreeBlock: 0 });
    for (let i = 0; i < 16; i += 2) s.device.release(blocks[i]!);
    const info = s.device.memoryInfo();
    expect(info.bytesInUse).toBe(32_768);
    expect(info.largestFreeBlock).toBe(4096);
    const error = thrown(() => s.device.allocate(8000));
    expect(NpuError.isInstance(error, "MEMORY_ALLOCATION")).toBe(true);
    expect((error as Error).message).toMatch(/8000 bytes/);
    expect((error as Error).message).toMatch(/32768 bytes free/);
    expect((error as NpuError).details).toMatchObject({
      requested: 8000,
      free: 32_768,
      largestFreeBlock: 4096,
    });
    // Later allocations still work, first fit: the lowest hole.
    const small = s.device.allocate(4000);
    expect(small.address).toBe(blocks[0]!.address);
    // Freeing block 3 coalesces it with the holes on both sides (2 and 4) into 12 KiB.
    s.device.release(blocks[3]!);
    expect(s.device.memoryInfo().largestFreeBlock).toBe(12_288);
    s.device.release(small);
    for (let i = 1; i < 16; i += 2) if (i !== 3) s.device.release(blocks[i]!);
    expect(s.device.memoryInfo()).toMatchObject({
      allocations: 0,
      bytesInUse: 0,
      largestFreeBlock: 65_536,
      peakBytes: 65_536,
    });
  });

  it("gives each device its own memory and accounting", () => {
    const s = setup({ preset: "tiny", devices: 2 });
    const a = s.device.allocate(100, { device: 0 });
    const b = s.device.allocate(100, { device: 1 });
    expect(a.address).not.toBe(b.address);
    expect(s.device.memoryInfo(0).allocations).toBe(1);
    expect(s.device.memoryInfo(1).allocations).toBe(1);
    s.device.release(b);
    expect(s.device.memoryInfo(1).bytesInUse).toBe(0);
    expect(s.device.memoryInfo(0).bytesInUse).toBe(cann(100));
    expect(codeOf(() => s.npu.release(12345))).toBe("MEMORY_FREE");
    expect(codeOf(() => s.npu.release(a.address + 64))).toBe("MEMORY_FREE");
  });
});

describe("lazily backed memory", () => {
  it("a 64 GiB device costs no host memory until written, and only the written pages after", async () => {
    const s = setup({ preset: "ascend910", hbmBytes: 64 * 2 ** 30 });
    const before = process.memoryUsage().arrayBuffers;
    const big = s.device.allocate(48 * 2 ** 30);
    expect(s.device.memoryInfo().bytesInUse).toBe(cann(48 * 2 ** 30));
    expect(s.npu.hostBackedBytes()).toBe(0);
    const q = s.queue();
    // Zero-filling untouched memory backs nothing (it already reads as zeros).
    s.device.enqueue(q, { kind: "fill", dst: { buffer: big, offset: 2 ** 34, bytes: 1 << 20 }, value: 0 });
    const data = Uint8Array.from({ length: 100 }, (_, i) => i);
    s.device.enqueue(q, { kind: "copy", src: data, dst: { buffer: big, offset: 40 * 2 ** 30 } });
    const back = new Uint8Array(100);
    s.device.enqueue(q, { kind: "copy", src: { buffer: big, offset: 40 * 2 ** 30, bytes: 100 }, dst: back });
    const unwritten = new Uint8Array(16).fill(9);
    s.device.enqueue(q, { kind: "copy", src: { buffer: big, offset: 12345, bytes: 16 }, dst: unwritten });
    await s.device.drain(q);
    expect(Array.from(back)).toEqual(Array.from(data));
    expect(Array.from(unwritten)).toEqual(new Array(16).fill(0));
    expect(s.npu.hostBackedBytes()).toBe(64 * 1024);
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 * 2 ** 20);
    s.device.release(big);
    expect(s.npu.hostBackedBytes()).toBe(0);
  });

  it("copies across page boundaries, between devices, and fills", async () => {
    const s = setup({ preset: "tiny", devices: 2 });
    const q = s.queue();
    const n = 200_000;
    const data = Uint8Array.from({ length: n }, (_, i) => (i * 7) & 0xff);
    const a = s.device.allocate(n);
    const b = s.device.allocate(n, { device: 1 });
    s.device.enqueue(q, { kind: "copy", src: data, dst: a });
    s.device.enqueue(q, { kind: "copy", src: a, dst: b });
    s.device.enqueue(q, { kind: "fill", dst: { buffer: b, offset: 65_000, bytes: 1000 }, value: 255 });
    const back = new Uint8Array(n);
    s.device.enqueue(q, { kind: "copy", src: b, dst: back });
    await s.device.drain(q);
    const want = data.slice();
    want.fill(255, 65_000, 66_000);
    expect(back.every((v, i) => v === want[i])).toBe(true);
  });

  it("an op whose memory was released before it ran fails with INVALID_HANDLE", async () => {
    const s = setup({ preset: "tiny" });
    const q = s.queue();
    const gate = s.device.createCounter();
    const buf = s.device.allocate(64);
    s.device.enqueue(q, { kind: "wait", counter: gate, value: 1 });
    s.device.enqueue(q, { kind: "copy", src: buf, dst: new Uint8Array(64) });
    s.device.enqueue(q, { kind: "kernel", name: "relu", inputs: [buf], outputs: [buf] });
    s.device.release(buf);
    s.device.signalCounter(gate, 1);
    await s.device.drain(q);
    expect(s.log.map((c) => c.failure?.code)).toEqual([undefined, "INVALID_HANDLE", "INVALID_HANDLE"]);
  });
});
