import { expect } from "vitest";
import type { OpCompletion } from "../../backend/device-backend.js";
import type { QueueHandle } from "../../device/device-handles.js";
import {
  type ConformanceOptions,
  makeHarness,
  noopKernel,
  type SuiteApi,
  settle,
  settleUntil,
  VITEST,
} from "./context.js";

/** Completion reports: exactly once, timestamps, asynchrony, re-entrancy. */
export function completionTests(options: ConformanceOptions, api: SuiteApi = VITEST): void {
  api.describe("completions", () => {
    api.it("reports each op exactly once, with startNs <= endNs", async (ctx) => {
      const h = await makeHarness(options, ctx);
      const queues = [h.queue(), h.queue(), h.queue()];
      const ids = new Set<number>();
      for (let i = 0; i < 60; i++) ids.add(h.device.enqueue(queues[i % 3]!, noopKernel(100 + (i % 7) * 10)));
      await h.device.idle();
      const all = queues.flatMap((q) => h.completions(q));
      expect(all).toHaveLength(60);
      expect(new Set(all.map((c) => c.opId))).toEqual(ids);
      for (const c of all) {
        expect(c.status).toBe("ok");
        expect(c.startNs).toBeLessThanOrEqual(c.endNs);
      }
      // The device drops a second report of an op (and one out of queue order) and says so.
      await settle();
      expect(h.violations()).toEqual([]);
    });

    api.it("never completes an op inside the enqueue call", async (ctx) => {
      const h = await makeHarness(options, ctx);
      const q = h.queue();
      h.device.enqueue(q, noopKernel(0));
      expect(h.completions(q)).toHaveLength(0);
      await h.device.drain(q);
      expect(h.completions(q)).toHaveLength(1);
    });

    api.it("accepts new work from inside a completion (re-entrancy)", async (ctx) => {
      const h = await makeHarness(options, ctx);
      const seen: OpCompletion[] = [];
      let q = undefined as unknown as ReturnType<typeof h.device.createQueue>;
      let chained = 0;
      q = h.device.createQueue({
        onComplete: (c) => {
          seen.push(c);
          if (chained < 5) {
            chained++;
            h.device.enqueue(q, noopKernel(10));
          }
        },
      });
      h.device.enqueue(q, noopKernel(10));
      // Drain repeatedly: the listener keeps adding work until the chain ends.
      while (h.device.pending(q) > 0) await h.device.drain(q);
      expect(seen).toHaveLength(6);
    });

    api.it("accepts abort, destroy and close from inside a completion", async (ctx) => {
      const h = await makeHarness(options, ctx);
      const gate = h.device.createCounter();
      const statuses: string[] = [];
      let aborting: QueueHandle | undefined;
      aborting = h.device.createQueue({
        onComplete: (c) => {
          statuses.push(c.status);
          if (statuses.length === 1) h.device.abortQueue(aborting!);
        },
      });
      // The wait keeps the last kernel queued when the first completion aborts the queue.
      h.device.enqueue(aborting, noopKernel());
      h.device.enqueue(aborting, { kind: "wait", counter: gate, value: 1 });
      h.device.enqueue(aborting, noopKernel());
      let destroying: QueueHandle | undefined;
      destroying = h.device.createQueue({ onComplete: () => h.device.destroyQueue(destroying!) });
      h.device.enqueue(destroying, noopKernel());
      // A drain issued before the listener destroys the queue still resolves.
      const destroyed = h.device.drain(destroying);
      await h.device.drain(aborting);
      await destroyed;
      expect(statuses).toEqual(["ok", "aborted", "aborted"]);
      expect(h.device.isLive(destroying)).toBe(false);

      const closing: OpCompletion[] = [];
      const last = h.device.createQueue({
        onComplete: (c) => {
          closing.push(c);
          h.device.close();
        },
      });
      h.device.enqueue(last, noopKernel());
      h.device.enqueue(last, noopKernel());
      await settleUntil(() => closing.length >= 2);
      // The second op is the device's own DEVICE_CLOSED report; the backend reported nothing more.
      expect(closing.map((c) => [c.status, c.failure?.code])).toEqual([
        ["ok", undefined],
        ["aborted", "DEVICE_CLOSED"],
      ]);
      expect(h.violations()).toEqual([]);
    });

    api.it("reports device time that never runs backwards within a queue", async (ctx) => {
      const h = await makeHarness(options, ctx);
      // Stated durations are honoured only where time is modelled.
      if (!h.device.capabilities.timing || h.device.capabilities.timeModel !== "virtual")
        ctx.skip("the manifest claims no virtual-time timing");
      const q = h.queue();
      h.enqueueAll(q, [noopKernel(1_000), noopKernel(2_000), noopKernel(3_000)]);
      await h.device.drain(q);
      const done = h.completions(q);
      expect(done[2]!.endNs - done[0]!.startNs).toBeGreaterThanOrEqual(6_000);
    });

    api.it(
      "stops a kernel that runs past its timeoutNs with TASK_TIMEOUT; the queue goes on",
      async (ctx) => {
        const h = await makeHarness(options, ctx);
        if (h.device.capabilities.opTimeouts !== true) ctx.skip("the manifest does not claim opTimeouts");
        const q = h.queue();
        h.enqueueAll(q, [
          { kind: "kernel", name: "noop", cost: { durationNs: 1_000_000 }, timeoutNs: 10_000 },
          { kind: "kernel", name: "noop", cost: { durationNs: 1_000 }, timeoutNs: 1_000_000 }, // within it
          noopKernel(1_000),
        ]);
        await h.device.drain(q);
        const [late, within, plain] = h.completions(q);
        expect([late?.status, late?.failure?.code]).toEqual(["error", "TASK_TIMEOUT"]);
        expect([within?.status, plain?.status]).toEqual(["ok", "ok"]);
        // Where time is modelled, the stopped kernel ends at its timeout, not at its full duration.
        if (h.device.capabilities.timing && h.device.capabilities.timeModel === "virtual")
          expect(late!.endNs - late!.startNs).toBe(10_000);
        expect(h.violations()).toEqual([]);
      },
    );
  });
}
