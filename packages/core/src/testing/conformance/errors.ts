import { expect } from "vitest";
import { createDevice } from "../../device/create-device.js";
import {
  type ConformanceOptions,
  codeOf,
  makeHarness,
  noopKernel,
  type SuiteApi,
  VITEST,
} from "./context.js";

/** Bad input gets coded errors; failures surface as completions, not exceptions. */
export function errorTests(options: ConformanceOptions, api: SuiteApi = VITEST): void {
  api.describe("errors", () => {
    api.it("refuses bad allocation sizes with INVALID_PARAM (TypeError for non-numbers)", async (ctx) => {
      const h = await makeHarness(options, ctx);
      for (const bad of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
        expect(
          codeOf(() => h.device.allocate(bad)),
          String(bad),
        ).toBe("INVALID_PARAM");
      }
      expect(() => h.device.allocate("8" as unknown as number)).toThrow(TypeError);
      expect(codeOf(() => h.device.allocate(h.device.info(0).memoryBytes + 1))).toBe("MEMORY_ALLOCATION");
    });

    api.it("releasing twice is INVALID_HANDLE", async (ctx) => {
      const h = await makeHarness(options, ctx);
      const b = h.device.allocate(64);
      h.device.release(b);
      expect(codeOf(() => h.device.release(b))).toBe("INVALID_HANDLE");
    });

    api.it("refuses forged handles and handles of another device", async (ctx) => {
      const h = await makeHarness(options, ctx);
      const other = createDevice(await options.factory());
      ctx.defer(() => other.close());
      const foreign = other.createQueue();
      const q = h.device.createQueue();
      const forged = { ...q, kind: "queue", slot: q.slot, generation: q.generation };
      expect(codeOf(() => h.device.enqueue(forged as typeof q, noopKernel()))).toBe("INVALID_HANDLE");
      expect(codeOf(() => h.device.enqueue(foreign, noopKernel()))).toBe("INVALID_HANDLE");
      expect(() => h.device.enqueue(42 as unknown as typeof q, noopKernel())).toThrow(TypeError);
    });

    api.it("refuses a priority that is not a number, or out of the manifest's range", async (ctx) => {
      const h = await makeHarness(options, ctx);
      const { greatest, least } = h.device.capabilities.priorities;
      expect(codeOf(() => h.device.createQueue({ priority: "high" as unknown as number }))).toBe(
        "INVALID_PARAM",
      );
      expect(codeOf(() => h.device.createQueue({ priority: Number.NaN }))).toBe("INVALID_PARAM");
      expect(codeOf(() => h.device.createQueue({ priority: greatest - 1 }))).toBe("INVALID_PARAM");
      expect(codeOf(() => h.device.createQueue({ priority: least + 1 }))).toBe("INVALID_PARAM");
    });

    api.it(
      "refuses ops with an unknown kind, a bad blockDim or an out-of-range buffer slice",
      async (ctx) => {
        const h = await makeHarness(options, ctx);
        const q = h.device.createQueue();
        const b = h.device.allocate(64);
        const units = h.device.info(0).computeUnits;
        expect(codeOf(() => h.device.enqueue(q, { kind: "teleport" } as never))).toBe("INVALID_PARAM");
        expect(codeOf(() => h.device.enqueue(q, noopKernel(10, units + 1)))).toBe("INVALID_PARAM");
        expect(codeOf(() => h.device.enqueue(q, noopKernel(10, 0)))).toBe("INVALID_PARAM");
        expect(
          codeOf(() =>
            h.device.enqueue(q, { kind: "fill", dst: { buffer: b, offset: 60, bytes: 8 }, value: 0 }),
          ),
        ).toBe("INVALID_PARAM");
        expect(codeOf(() => h.device.enqueue(q, { kind: "fill", dst: b, value: 256 }))).toBe("INVALID_PARAM");
        expect(h.device.pending(q)).toBe(0);
      },
    );

    api.it("refuses work on a destroyed queue and on a closed device", async (ctx) => {
      const h = await makeHarness(options, ctx);
      const q = h.device.createQueue();
      h.device.destroyQueue(q);
      expect(codeOf(() => h.device.enqueue(q, noopKernel()))).toBe("INVALID_HANDLE");
      const q2 = h.device.createQueue();
      h.device.close();
      expect(codeOf(() => h.device.enqueue(q2, noopKernel()))).toBe("DEVICE_CLOSED");
      expect(codeOf(() => h.device.allocate(8))).toBe("DEVICE_CLOSED");
    });
  });
}
