import { expect } from "vitest";
import type { OpSpec } from "../../device/op-spec.js";
import {
  type ConformanceOptions,
  makeHarness,
  noopKernel,
  type SuiteApi,
  settle,
  VITEST,
} from "./context.js";

/** FIFO order within a queue; nothing promised across queues. */
export function orderingTests(options: ConformanceOptions, api: SuiteApi = VITEST): void {
  api.describe("ordering", () => {
    api.it("runs the ops of one queue in enqueue order, each after the previous ended", async (ctx) => {
      const h = await makeHarness(options, ctx);
      const q = h.queue();
      const counter = h.device.createCounter();
      const specs: OpSpec[] = [];
      for (let i = 0; i < 40; i++) {
        specs.push(i % 3 === 0 ? { kind: "signal", counter, value: i + 1 } : noopKernel(500 + i));
      }
      const ids = h.enqueueAll(q, specs);
      await h.device.drain(q);
      const done = h.completions(q);
      expect(done.map((c) => c.opId)).toEqual(ids);
      if (h.device.capabilities.timing) {
        for (let i = 1; i < done.length; i++)
          expect(done[i]!.startNs).toBeGreaterThanOrEqual(done[i - 1]!.endNs);
      }
      expect(h.violations()).toEqual([]);
    });

    api.it("applies memory ops of one queue in order (fill, then copy, then read back)", async (ctx) => {
      const h = await makeHarness(options, ctx);
      if (
        !h.device.capabilities.ops.includes("fill") ||
        !h.device.capabilities.copyDirections.includes("d2h")
      )
        ctx.skip("the manifest claims no fill or no d2h copy");
      const q = h.queue();
      const a = h.device.allocate(256);
      const b = h.device.allocate(256);
      const out = new Uint8Array(256);
      h.device.enqueue(q, { kind: "fill", dst: a, value: 1 });
      h.device.enqueue(q, { kind: "fill", dst: { buffer: a, offset: 128 }, value: 9 });
      h.device.enqueue(q, { kind: "copy", src: a, dst: b });
      h.device.enqueue(q, { kind: "copy", src: b, dst: out });
      await h.device.drain(q);
      expect(out.subarray(0, 128).every((v) => v === 1)).toBe(true);
      expect(out.subarray(128).every((v) => v === 9)).toBe(true);
    });

    api.it("round-trips host data through the device (h2d then d2h)", async (ctx) => {
      const h = await makeHarness(options, ctx);
      const dirs = h.device.capabilities.copyDirections;
      if (!dirs.includes("h2d") || !dirs.includes("d2h"))
        ctx.skip("the manifest claims no h2d or no d2h copy");
      const q = h.queue();
      const data = Float32Array.from({ length: 64 }, (_, i) => i * 0.5);
      const buf = h.device.allocate(data.byteLength);
      const back = new Float32Array(64);
      h.device.enqueue(q, { kind: "copy", src: data, dst: buf });
      h.device.enqueue(q, { kind: "copy", src: buf, dst: back });
      await h.device.drain(q);
      expect(Array.from(back)).toEqual(Array.from(data));
    });

    api.it("completes work on every queue without promising an order across queues", async (ctx) => {
      const h = await makeHarness(options, ctx);
      const a = h.queue();
      const b = h.queue();
      h.enqueueAll(a, [noopKernel(3_000), noopKernel(3_000)]);
      h.enqueueAll(b, [noopKernel(100)]);
      await h.device.idle();
      expect(h.completions(a)).toHaveLength(2);
      expect(h.completions(b)).toHaveLength(1);
    });

    api.it("a queue held by a wait does not hold work enqueued later on other queues", async (ctx) => {
      const h = await makeHarness(options, ctx);
      const held = h.queue();
      const free = h.queue();
      const gate = h.device.createCounter();
      h.enqueueAll(held, [{ kind: "wait", counter: gate, value: 1 }, noopKernel()]);
      h.enqueueAll(free, [noopKernel(), noopKernel()]);
      // Bounded: a backend with one FIFO for all queues must fail here, not hang the suite.
      await Promise.race([h.device.drain(free), settle(100)]);
      expect(h.completions(free).map((c) => c.status)).toEqual(["ok", "ok"]);
      expect(h.completions(held)).toHaveLength(0);
      h.device.signalCounter(gate, 1);
      await h.device.drain(held);
      expect(h.completions(held).map((c) => c.status)).toEqual(["ok", "ok"]);
    });
  });
}
