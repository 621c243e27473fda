import { describe, expect, it } from "vitest";
import { type ConformanceOptions, makeHarness, noopKernel } from "./context.js";

/** Timeline counters: signal, wait on a reached or a future value, capture at call time. */
export function counterTests(options: ConformanceOptions): void {
  describe("counters", () => {
    it("a signal op raises the counter when it executes; lower signals leave it unchanged", async () => {
      const h = await makeHarness(options);
      const q = h.queue();
      const c = h.device.createCounter();
      expect(h.device.counterValue(c)).toBe(0);
      h.enqueueAll(q, [
        { kind: "signal", counter: c, value: 3 },
        { kind: "signal", counter: c, value: 2 },
      ]);
      await h.device.drain(q);
      expect(h.device.counterValue(c)).toBe(3);
      h.device.close();
    });

    it("a wait on a value already reached does not hold the queue", async () => {
      const h = await makeHarness(options);
      const q = h.queue();
      const c = h.device.createCounter();
      h.device.signalCounter(c, 5);
      h.enqueueAll(q, [{ kind: "wait", counter: c, value: 5 }, noopKernel()]);
      await h.device.drain(q);
      expect(h.completions(q).map((x) => x.status)).toEqual(["ok", "ok"]);
      h.device.close();
    });

    it("a wait on a future value holds its queue until another queue signals it", async () => {
      const h = await makeHarness(options);
      const producer = h.queue();
      const consumer = h.queue();
      const c = h.device.createCounter();
      h.enqueueAll(consumer, [{ kind: "wait", counter: c, value: 1 }, noopKernel(100)]);
      h.enqueueAll(producer, [noopKernel(5_000), { kind: "signal", counter: c, value: 1 }]);
      await h.device.idle();
      const signal = h.completions(producer)[1]!;
      const after = h.completions(consumer)[1]!;
      expect(after.startNs).toBeGreaterThanOrEqual(signal.endNs);
      h.device.close();
    });

    it("a host signal releases a waiting queue", async () => {
      const h = await makeHarness(options);
      const q = h.queue();
      const c = h.device.createCounter();
      h.enqueueAll(q, [{ kind: "wait", counter: c, value: 1 }, noopKernel()]);
      // Let the backend run whatever it can: the queue must stay blocked.
      await new Promise((r) => setTimeout(r, 5));
      expect(h.device.pending(q)).toBe(2);
      h.device.signalCounter(c, 1);
      await h.device.drain(q);
      expect(h.completions(q).map((x) => x.status)).toEqual(["ok", "ok"]);
      h.device.close();
    });

    it("a wait captures its value at call time: a later signal of a higher value also satisfies it", async () => {
      const h = await makeHarness(options);
      const q = h.queue();
      const c = h.device.createCounter();
      // The wait was issued for value 1 (the record current at call time); the counter jumps to 2.
      h.enqueueAll(q, [{ kind: "wait", counter: c, value: 1 }, noopKernel()]);
      h.device.signalCounter(c, 2);
      await h.device.drain(q);
      expect(h.completions(q).map((x) => x.status)).toEqual(["ok", "ok"]);
      expect(h.device.counterValue(c)).toBe(2);
      h.device.close();
    });

    it("a counter handle is refused after destroy", async () => {
      const h = await makeHarness(options);
      const c = h.device.createCounter();
      h.device.destroyCounter(c);
      expect(() => h.device.counterValue(c)).toThrow(expect.objectContaining({ code: "INVALID_HANDLE" }));
      h.device.close();
    });
  });
}
