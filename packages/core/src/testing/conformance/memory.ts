import { expect } from "vitest";
import { NpuError } from "../../errors/npu-error.js";
import { type ConformanceOptions, makeHarness, type SuiteApi, VITEST } from "./context.js";

/** Memory accounting, out-of-memory and recovery. */
export function memoryTests(options: ConformanceOptions, api: SuiteApi = VITEST): void {
  api.describe("memory", () => {
    api.it(
      "accounting returns to its baseline after release, and peak remembers the high point",
      async (ctx) => {
        const h = await makeHarness(options, ctx);
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
      },
    );

    api.it("distinct live allocations do not overlap", async (ctx) => {
      const h = await makeHarness(options, ctx);
      const buffers = Array.from({ length: 32 }, (_, i) => h.device.allocate(100 + i * 37));
      const ranges = buffers
        .map((b) => [b.address, b.address + b.bytes] as const)
        .sort((x, y) => x[0] - y[0]);
      for (let i = 1; i < ranges.length; i++) expect(ranges[i]![0]).toBeGreaterThanOrEqual(ranges[i - 1]![1]);
    });

    api.it("out of memory is MEMORY_ALLOCATION, and later allocations still work", async (ctx) => {
      const h = await makeHarness(options, ctx);
      const base = h.device.memoryInfo();
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
      // The failed allocation took nothing: accounting covers exactly what is held.
      const full = h.device.memoryInfo();
      expect(full.allocations).toBe(base.allocations + held.length);
      for (const b of held) h.device.release(b);
      const small = h.device.allocate(1024);
      h.device.release(small);
      const after = h.device.memoryInfo();
      expect(after.allocations).toBe(base.allocations);
      expect(after.bytesInUse).toBe(base.bytesInUse);
    });
  });
}
