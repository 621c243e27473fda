import { describe, expect, it } from "vitest";
import { CANN_STREAM_FLAGS as A, CUDA_STREAM_FLAGS as C, CANN_EVENT_FLAGS } from "../src/index.js";
import { BACKENDS, noop, settle, setup, thrown } from "./backends.js";

const code = (fn: () => unknown): string => thrown(fn).code;

describe.each(BACKENDS)("stream creation flags on $name", (factory) => {
  describe("§1.1 Create / Attributes (flags getter)", () => {
    it("cann: the flags getter is the OR of the known flags; unknown bits give a plain stream", () => {
      const { manager } = setup(factory, { profile: "cann" });
      expect(manager.create().flags).toBe(0);
      expect(manager.create({ flags: A.FAST_LAUNCH | A.FAST_SYNC }).flags).toBe(3);
      expect(manager.create({ flags: A.HUGE }).flags).toBe(A.HUGE);
      expect(manager.create({ flags: 0x40 }).flags).toBe(0);
      expect(manager.create({ flags: 0x41 }).flags).toBe(A.FAST_LAUNCH);
      expect(code(() => manager.create({ flags: A.PERSISTENT | A.DEVICE_USE_ONLY }))).toBe("INVALID_PARAM");
      expect(code(() => manager.create({ flags: -1 }))).toBe("INVALID_PARAM");
      expect(() => manager.create({ flags: "1" as never })).toThrow(TypeError);
      expect(manager.defaultStream().flags).toBe(0);
    });

    it("cann: FAST_LAUNCH takes the hardware queue at creation, a plain stream at first use (§1.1 Lazy vs eager resources)", async () => {
      const { manager } = setup(factory, { profile: "cann" });
      const plain = manager.create();
      expect(manager.stats().queues).toBe(0);
      const fast = manager.create({ flags: A.FAST_LAUNCH });
      expect(manager.stats().queues).toBe(1);
      plain.launch(noop());
      expect(manager.stats().queues).toBe(2);
      fast.launch(noop());
      expect(manager.stats().queues).toBe(2);
      await manager.synchronize();
    });

    it("cuda: cudaStreamNonBlocking as a flag, other bits refused", () => {
      const { manager } = setup(factory, { profile: "cuda" });
      const s = manager.create({ flags: C.NON_BLOCKING });
      expect({ flags: s.flags, nonBlocking: s.nonBlocking }).toEqual({ flags: 1, nonBlocking: true });
      expect(manager.create({ nonBlocking: true }).flags).toBe(C.NON_BLOCKING);
      expect(manager.create().flags).toBe(C.DEFAULT);
      expect(code(() => manager.create({ flags: 2 }))).toBe("INVALID_PARAM");
      expect(code(() => manager.create({ flags: C.NON_BLOCKING, nonBlocking: false }))).toBe("INVALID_PARAM");
    });
  });

  describe("§1.1 Create: PERSISTENT streams", () => {
    it("kernels, copies and fills are kept, not run; query and synchronize return at once", async () => {
      const { manager } = setup(factory, { profile: "cann" });
      const graph = manager.create({ flags: A.PERSISTENT });
      const buffer = manager.allocate(64);
      const kept = [
        graph.launch(noop(5_000)),
        graph.fill({ dst: buffer, value: 1 }),
        graph.launch(noop(5_000)),
      ];
      expect(graph.persistentTasks).toBe(3);
      expect(graph.query()).toBe("complete");
      await graph.synchronize();
      await settle();
      expect(kept.map((op) => op.status)).toEqual(["pending", "pending", "pending"]);
      const target = manager.create();
      const first = graph.executeOn(target);
      const second = graph.executeOn(target);
      await target.synchronize();
      expect([...first, ...second].map((op) => op.status)).toEqual(Array(6).fill("done"));
      expect([...first, ...second].map((op) => op.kind)).toEqual([
        "kernel",
        "fill",
        "kernel",
        "kernel",
        "fill",
        "kernel",
      ]);
      for (let i = 1; i < 6; i++) {
        const prev = [...first, ...second][i - 1]!;
        expect([...first, ...second][i]!.startNs!).toBeGreaterThanOrEqual(prev.endNs!);
      }
      expect(graph.persistentTasks).toBe(3); // kept for the next run
      graph.cleanPersistentTasks();
      expect(graph.persistentTasks).toBe(0);
      expect(kept.map((op) => op.status)).toEqual(["aborted", "aborted", "aborted"]);
      await expect(kept[0]!.finished).rejects.toMatchObject({ code: "STREAM_ABORT" });
      manager.release(buffer);
    });

    it("refuses events and callbacks on a persistent stream, and bad executeOn targets; destroy drops its tasks", async () => {
      const { manager } = setup(factory, { profile: "cann" });
      const graph = manager.create({ flags: A.PERSISTENT });
      const ev = manager.createEvent({ flags: CANN_EVENT_FLAGS.SYNC });
      expect(code(() => graph.record(ev))).toBe("FEATURE_NOT_SUPPORTED");
      expect(code(() => graph.waitEvent(ev))).toBe("FEATURE_NOT_SUPPORTED");
      expect(code(() => graph.launchHostCallback(() => {}))).toBe("FEATURE_NOT_SUPPORTED");
      expect(code(() => graph.executeOn(manager.create({ flags: A.PERSISTENT })))).toBe("INVALID_PARAM");
      const plain = manager.create();
      expect(code(() => plain.executeOn(graph))).toBe("INVALID_PARAM");
      expect(code(() => plain.cleanPersistentTasks())).toBe("INVALID_PARAM");
      const op = graph.launch(noop());
      await graph.destroy();
      expect(op.status).toBe("aborted");
    });
  });

  describe("§1.1 Create: DEVICE_USE_ONLY and CPU_SCHEDULE streams", () => {
    it("take no host work; query and synchronize return at once", async () => {
      const { manager } = setup(factory, { profile: "cann" });
      for (const flags of [A.DEVICE_USE_ONLY, A.CPU_SCHEDULE]) {
        const s = manager.create({ flags });
        expect(s.flags).toBe(flags);
        expect(code(() => s.launch(noop()))).toBe("FEATURE_NOT_SUPPORTED");
        expect(code(() => s.launchHostCallback(() => {}))).toBe("FEATURE_NOT_SUPPORTED");
        expect(s.query()).toBe("complete");
        await s.synchronize();
      }
    });
  });
});
