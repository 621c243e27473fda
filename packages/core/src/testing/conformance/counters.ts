import { expect } from "vitest";
import {
  type ConformanceOptions,
  makeHarness,
  noopKernel,
  type SuiteApi,
  settle,
  VITEST,
} from "./context.js";

/** Timeline counters: signal, wait on a reached or a future value, capture at call time. */
export function counterTests(options: ConformanceOptions, api: SuiteApi = VITEST): void {
  api.describe("counters", () => {
    api.it(
      "a signal op raises the counter when it executes, not when enqueued; lower signals leave it unchanged",
      async (ctx) => {
        const h = await makeHarness(options, ctx);
        const q = h.queue();
        const gate = h.device.createCounter();
        const c = h.device.createCounter();
        expect(h.device.counterValue(c)).toBe(0);
        h.enqueueAll(q, [
          { kind: "wait", counter: gate, value: 1 },
          { kind: "signal", counter: c, value: 3 },
          { kind: "signal", counter: c, value: 2 },
        ]);
        await settle();
        // The signals sit behind a wait that nothing has released: they have not executed.
        expect(h.device.counterValue(c)).toBe(0);
        h.device.signalCounter(gate, 1);
        await h.device.drain(q);
        expect(h.device.counterValue(c)).toBe(3);
      },
    );

    api.it("a wait on a value already reached does not hold the queue", async (ctx) => {
      const h = await makeHarness(options, ctx);
      const q = h.queue();
      const c = h.device.createCounter();
      h.device.signalCounter(c, 5);
      h.enqueueAll(q, [
        { kind: "wait", counter: c, value: 5 },
        { kind: "wait", counter: c, value: 0 },
        noopKernel(),
      ]);
      await h.device.drain(q);
      expect(h.completions(q).map((x) => x.status)).toEqual(["ok", "ok", "ok"]);
    });

    api.it("a wait on a future value holds its queue until another queue signals it", async (ctx) => {
      const h = await makeHarness(options, ctx);
      const producer = h.queue();
      const consumer = h.queue();
      const gate = h.device.createCounter();
      const c = h.device.createCounter();
      h.enqueueAll(consumer, [{ kind: "wait", counter: c, value: 1 }, noopKernel(100)]);
      h.enqueueAll(producer, [
        { kind: "wait", counter: gate, value: 1 },
        noopKernel(5_000),
        { kind: "signal", counter: c, value: 1 },
      ]);
      await settle();
      expect(h.completions(consumer)).toHaveLength(0);
      h.device.signalCounter(gate, 1);
      await h.device.idle();
      expect(h.completions(consumer).map((x) => x.status)).toEqual(["ok", "ok"]);
      if (h.device.capabilities.timing) {
        const signal = h.completions(producer)[2]!;
        const after = h.completions(consumer)[1]!;
        expect(after.startNs).toBeGreaterThanOrEqual(signal.endNs);
      }
    });

    api.it("a host signal releases a waiting queue", async (ctx) => {
      const h = await makeHarness(options, ctx);
      const q = h.queue();
      const c = h.device.createCounter();
      h.enqueueAll(q, [{ kind: "wait", counter: c, value: 1 }, noopKernel()]);
      await settle();
      expect(h.device.pending(q)).toBe(2);
      h.device.signalCounter(c, 1);
      await h.device.drain(q);
      expect(h.completions(q).map((x) => x.status)).toEqual(["ok", "ok"]);
    });

    api.it(
      "a wait is for the value it names (captured at call time), not for signals enqueued later",
      async (ctx) => {
        const h = await makeHarness(options, ctx);
        const producer = h.queue();
        const consumer = h.queue();
        const gate = h.device.createCounter();
        const c = h.device.createCounter();
        // Two records on the producer: the second is held by the gate. The consumer's wait was
        // issued for the first one (value 1), so the second record must not hold it, even though
        // it was enqueued before the wait.
        h.enqueueAll(producer, [
          { kind: "signal", counter: c, value: 1 },
          { kind: "wait", counter: gate, value: 1 },
          { kind: "signal", counter: c, value: 2 },
        ]);
        h.enqueueAll(consumer, [{ kind: "wait", counter: c, value: 1 }, noopKernel()]);
        // Bounded: a backend that wrongly holds the consumer must fail here, not hang the suite.
        await Promise.race([h.device.drain(consumer), settle(100)]);
        expect(h.completions(consumer).map((x) => x.status)).toEqual(["ok", "ok"]);
        expect(h.device.counterValue(c)).toBe(1);
        expect(h.device.pending(producer)).toBe(2);
        // A later, higher value satisfies a wait for a lower one (counters only grow).
        h.enqueueAll(consumer, [{ kind: "wait", counter: c, value: 2 }, noopKernel()]);
        h.device.signalCounter(gate, 1);
        await h.device.idle();
        expect(h.completions(consumer).map((x) => x.status)).toEqual(["ok", "ok", "ok", "ok"]);
        expect(h.device.counterValue(c)).toBe(2);
      },
    );

    api.it("a counter handle is refused after destroy", async (ctx) => {
      const h = await makeHarness(options, ctx);
      const c = h.device.createCounter();
      h.device.destroyCounter(c);
      expect(() => h.device.counterValue(c)).toThrow(expect.objectContaining({ code: "INVALID_HANDLE" }));
    });
  });
}
