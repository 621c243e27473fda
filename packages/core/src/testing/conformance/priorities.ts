import { expect } from "vitest";
import { type ConformanceOptions, makeHarness, noopKernel, type SuiteApi, VITEST } from "./context.js";

/** Priority arbitration, for backends whose manifest claims it (and timing, to observe it). */
export function priorityTests(options: ConformanceOptions, api: SuiteApi = VITEST): void {
  api.describe("priorities", () => {
    api.it("dispatches a more urgent queue's ready work first", async (ctx) => {
      const h = await makeHarness(options, ctx);
      const { supported, greatest, least } = h.device.capabilities.priorities;
      // Dispatch order is read from start times, so it is checked where the manifest claims both.
      if (!supported || greatest === least || !h.device.capabilities.timing)
        ctx.skip("the manifest claims no priority range or no timing");
      const units = h.device.info(0).computeUnits;
      const gate = h.device.createCounter();
      const low = h.queue(least);
      const high = h.queue(greatest);
      // Both queues become ready at the same instant (the gate), and each kernel fills the whole
      // device, so they must run one at a time: the order shows the arbitration.
      h.enqueueAll(low, [
        { kind: "wait", counter: gate, value: 1 },
        ...Array.from({ length: 4 }, () => noopKernel(1_000, units)),
      ]);
      h.enqueueAll(high, [
        { kind: "wait", counter: gate, value: 1 },
        ...Array.from({ length: 4 }, () => noopKernel(1_000, units)),
      ]);
      h.device.signalCounter(gate, 1);
      await h.device.idle();
      const lastHighStart = Math.max(
        ...h
          .completions(high)
          .slice(1)
          .map((c) => c.startNs),
      );
      const firstLowStart = Math.min(
        ...h
          .completions(low)
          .slice(1)
          .map((c) => c.startNs),
      );
      expect(lastHighStart).toBeLessThan(firstLowStart);
    });

    api.it("does not preempt running work", async (ctx) => {
      const h = await makeHarness(options, ctx);
      const { supported, greatest, least } = h.device.capabilities.priorities;
      // Dispatch order is read from start times, so it is checked where the manifest claims both.
      if (!supported || greatest === least || !h.device.capabilities.timing)
        ctx.skip("the manifest claims no priority range or no timing");
      const units = h.device.info(0).computeUnits;
      const low = h.queue(least);
      const high = h.queue(greatest);
      h.device.enqueue(low, noopKernel(10_000, units));
      // Let the low-priority kernel start before the urgent one arrives.
      await Promise.resolve();
      h.device.enqueue(high, noopKernel(1_000, units));
      await h.device.idle();
      const lowDone = h.completions(low)[0]!;
      const highDone = h.completions(high)[0]!;
      if (lowDone.startNs < highDone.startNs) expect(highDone.startNs).toBeGreaterThanOrEqual(lowDone.endNs);
      else expect(lowDone.startNs).toBeGreaterThanOrEqual(highDone.endNs);
    });
  });
}
