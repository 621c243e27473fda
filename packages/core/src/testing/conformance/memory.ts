import { describe, expect, it } from "vitest";
import { NpuError } from "../../errors/npu-error.js";
import { type ConformanceOptions, makeHarness } from "./context.js";

/** Memory accounting, out-of-memory and recovery. */
export function memoryTests(options: ConformanceOptions): void {
  describe("memory", () => {
    it("accounting returns to its baseline after release, and peak remembers the high point", async () => {
      const h = await makeHarness(options);
      const base = h.device.memoryInfo();
      const buffers = [1, 100, 4096, 65_537].map((n) => h.device.allocate(n));
      const during = h.device.memoryInfo();
      expect(during.allocations).toBe(base.allocations + 4);
      expect(during.bytesInUse).toBeGreaterThanOrEqual(base.bytesInUse + 1 + 100 + 4096 + 65_537);
      for (const b of buffers) h.device.release(b);
      const after = h.device.memoryInfo();
      expect(after.allocations).toBe(base.allocations);
      expect(after.bytesInUse).toBe(base.bytesInUse);
      expect(after.peakBytes).toBeGreaterThanOrEqual(during.bytesInUse);
      h.device.close();
    });

    it("distinct live allocations do not overlap", async () => {
      const h = await makeHarness(options);
      const buffers = Array.from({ length: 32 }, (_, i) => h.device.allocate(100 + i * 37));
      const ranges = buffers
        .map((b) => [b.address, b.address + b.bytes] as const)
        .sort((x, y) => x[0] - y[0]);
      for (let i = 1; i < ranges.length; i++) expect(ranges[i]![0]).toBeGreaterThanOrEqual(ranges[i - 1]![1]);
      h.device.close();
    });

    it("out of memory is MEMORY_ALLOCATION, and later allocations still work", async () => {
      const h = await makeHarness(options);
      const capacity = h.device.info(0).memoryBytes;
      const chunk = Math.min(capacity, options.oomProbeBytes ?? 64 * 2 ** 20);
      const held = [];
      let error: unknown;
      // Fill the device (or the probe budget), then ask for more than is left.
      try {
        for (let i = 0; i < 1024; i++) held.push(h.device.allocate(Math.max(1, Math.floor(chunk / 4))));
        h.device.allocate(capacity);
      } catch (e) {
        error = e;
      }
      expect(NpuError.isInstance(error, "MEMORY_ALLOCATION")).toBe(true);
      for (const b of held) h.device.release(b);
      const small = h.device.allocate(1024);
      h.device.release(small);
      expect(h.device.memoryInfo().allocations).toBe(0);
      h.device.close();
    });
  });
}
