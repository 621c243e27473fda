import { expect } from "vitest";
import { NpuError } from "../../errors/npu-error.js";
import { type ConformanceOptions, makeHarness, noopKernel, type SuiteApi, VITEST } from "./context.js";

/** Queue lifecycle: create, use, destroy, limits, abort. */
export function queueLifecycleTests(options: ConformanceOptions, api: SuiteApi = VITEST): void {
  api.describe("queue lifecycle", () => {
    api.it("creates a queue, runs work on it, and destroys it once drained", async (ctx) => {
      const h = await makeHarness(options, ctx);
      const q = h.queue();
      h.enqueueAll(q, [noopKernel(), noopKernel()]);
      expect(h.device.pending(q)).toBe(2);
      await h.device.drain(q);
      expect(h.device.pending(q)).toBe(0);
      h.device.destroyQueue(q);
      expect(() => h.device.enqueue(q, noopKernel())).toThrow(
        expect.objectContaining({ code: "INVALID_HANDLE" }),
      );
    });

    api.it("refuses to destroy a queue with pending work, then destroys it after draining", async (ctx) => {
      const h = await makeHarness(options, ctx);
      const q = h.queue();
      h.device.enqueue(q, noopKernel());
      expect(() => h.device.destroyQueue(q)).toThrow(expect.objectContaining({ code: "NOT_READY" }));
      await h.device.drain(q);
      h.device.destroyQueue(q);
    });

    api.it("destroying twice is INVALID_HANDLE", async (ctx) => {
      const h = await makeHarness(options, ctx);
      const q = h.device.createQueue();
      h.device.destroyQueue(q);
      expect(() => h.device.destroyQueue(q)).toThrow(expect.objectContaining({ code: "INVALID_HANDLE" }));
    });

    api.it(
      "enforces the device's queue limit with NO_STREAM_RESOURCE, and frees a slot on destroy",
      async (ctx) => {
        const h = await makeHarness(options, ctx);
        const limit = h.device.info(0).maxQueues;
        if (!Number.isFinite(limit) || limit > 4096) {
          // Unbounded (or huge) devices: many queues must simply work.
          const queues = Array.from({ length: 256 }, () => h.device.createQueue());
          for (const q of queues) h.device.destroyQueue(q);
          return;
        }
        const queues = Array.from({ length: limit }, () => h.device.createQueue());
        let error: unknown;
        try {
          h.device.createQueue();
        } catch (e) {
          error = e;
        }
        expect(NpuError.isInstance(error, "NO_STREAM_RESOURCE")).toBe(true);
        h.device.destroyQueue(queues.pop()!);
        queues.push(h.device.createQueue());
        for (const q of queues) h.device.destroyQueue(q);
      },
    );

    api.it(
      "abort discards queued work: each op completes once as 'aborted' with STREAM_ABORT, after the call",
      async (ctx) => {
        const h = await makeHarness(options, ctx);
        const gate = h.device.createCounter();
        const c = h.device.createCounter();
        const q = h.queue();
        const other = h.queue();
        // The wait holds the queue, so the ops behind it are still queued when we abort.
        const ids = h.enqueueAll(q, [
          { kind: "wait", counter: gate, value: 1 },
          noopKernel(),
          { kind: "signal", counter: c, value: 1 },
        ]);
        h.enqueueAll(other, [{ kind: "wait", counter: gate, value: 1 }, noopKernel()]);
        h.device.abortQueue(q);
        // Reported after abortQueue returns, never inside it (the caller may hold state).
        expect(h.completions(q)).toHaveLength(0);
        await h.device.drain(q);
        const done = h.completions(q);
        expect(done.map((x) => x.opId)).toEqual(ids);
        for (const x of done) {
          expect(x.status).toBe("aborted");
          expect(x.failure?.code).toBe("STREAM_ABORT");
          expect(x.startNs).toBeLessThanOrEqual(x.endNs);
        }
        // An aborted op has no effect: the discarded signal did not raise its counter.
        expect(h.device.counterValue(c)).toBe(0);
        // Another queue is not touched by the abort.
        expect(h.device.pending(other)).toBe(2);
        h.device.signalCounter(gate, 1);
        await h.device.drain(other);
        expect(h.completions(other).map((x) => x.status)).toEqual(["ok", "ok"]);
        // The queue stays usable after an abort.
        h.device.enqueue(q, noopKernel());
        await h.device.drain(q);
        expect(done.at(-1)?.status).toBe("ok");
        expect(h.violations()).toEqual([]);
      },
    );

    api.it("many queues run independently to completion", async (ctx) => {
      const h = await makeHarness(options, ctx);
      const count = Math.min(16, h.device.info(0).maxQueues);
      const queues = Array.from({ length: count }, () => h.queue());
      for (const q of queues) h.enqueueAll(q, [noopKernel(), noopKernel(), noopKernel()]);
      await h.device.idle();
      for (const q of queues) expect(h.completions(q).map((c) => c.status)).toEqual(["ok", "ok", "ok"]);
    });
  });
}
