import { describe, expect, it } from "vitest";
import { CANN_EVENT_FLAGS as A, CUDA_EVENT_FLAGS as C } from "../src/index.js";
import { BACKENDS, noop, setup, thrown } from "./backends.js";

const code = (fn: () => unknown): string => thrown(fn).code;

describe.each(BACKENDS)("events as the real APIs create them on $name", (factory) => {
  describe("§1.2 Create flags", () => {
    it("cann: plain, with-flag and Ex events, their getters, and the flag checks of CANN's runtime", () => {
      const { manager } = setup(factory, { profile: "cann" });
      const plain = manager.createEvent();
      expect({ api: plain.api, flags: plain.flags, timing: plain.timing }).toEqual({
        api: "plain",
        flags: 0,
        timing: true,
      });
      const flagged = manager.createEvent({ flags: A.SYNC | A.TIME_LINE });
      expect({ api: flagged.api, flags: flagged.flags, timing: flagged.timing }).toEqual({
        api: "with-flag",
        flags: 0x9,
        timing: true,
      });
      const ex = manager.createEvent({ api: "ex", flags: A.SYNC });
      expect({ api: ex.api, timing: ex.timing }).toEqual({ api: "ex", timing: false });
      // As EventCreate / EventCreateEx check: a known bit is required, nothing else, and the
      // stand-alone flags alone.
      expect(code(() => manager.createEvent({ api: "with-flag" }))).toBe("INVALID_PARAM");
      expect(code(() => manager.createEvent({ api: "with-flag", flags: 0x100 }))).toBe("INVALID_PARAM");
      expect(code(() => manager.createEvent({ flags: A.DEVICE_USE_ONLY | A.SYNC }))).toBe("INVALID_PARAM");
      expect(code(() => manager.createEvent({ flags: A.EXTERNAL | A.TIME_LINE }))).toBe("INVALID_PARAM");
      expect(code(() => manager.createEvent({ flags: A.IPC }))).toBe("INVALID_PARAM"); // Ex only
      expect(code(() => manager.createEvent({ api: "ex", flags: A.IPC | A.SYNC }))).toBe("INVALID_PARAM");
      expect(manager.createEvent({ api: "ex", flags: A.IPC }).flags).toBe(A.IPC);
      expect(code(() => manager.createEvent({ api: "plain", flags: A.SYNC }))).toBe("INVALID_PARAM");
      expect(code(() => manager.createEvent({ flags: A.SYNC, timing: true }))).toBe("INVALID_PARAM");
      expect(code(() => manager.createEvent({ api: "other" as never }))).toBe("INVALID_PARAM");
      expect(code(() => manager.createEvent({ flags: 1.5 }))).toBe("INVALID_PARAM");
      expect(() => manager.createEvent({ flags: "1" as never })).toThrow(TypeError);
    });

    it("cuda: cudaEventCreateWithFlags flags and their checks", () => {
      const { manager } = setup(factory, { profile: "cuda" });
      const ev = manager.createEvent();
      expect({ api: ev.api, flags: ev.flags, timing: ev.timing, blockingSync: ev.blockingSync }).toEqual({
        api: "cuda",
        flags: 0,
        timing: true,
        blockingSync: false,
      });
      const quiet = manager.createEvent({ flags: C.DISABLE_TIMING | C.BLOCKING_SYNC });
      expect({ timing: quiet.timing, blockingSync: quiet.blockingSync }).toEqual({
        timing: false,
        blockingSync: true,
      });
      expect(manager.createEvent({ timing: false }).flags).toBe(C.DISABLE_TIMING);
      expect(manager.createEvent({ flags: C.INTERPROCESS | C.DISABLE_TIMING }).flags).toBe(6);
      // "cudaEventInterprocess ... must be used with cudaEventDisableTiming".
      expect(code(() => manager.createEvent({ flags: C.INTERPROCESS }))).toBe("INVALID_PARAM");
      expect(code(() => manager.createEvent({ flags: 0x8 }))).toBe("INVALID_PARAM");
      expect(code(() => manager.createEvent({ api: "ex" }))).toBe("INVALID_PARAM");
      expect(code(() => manager.createEvent({ flags: C.DISABLE_TIMING, timing: true }))).toBe(
        "INVALID_PARAM",
      );
    });
  });

  describe("§1.2 Query before first record / Stream waits on never-recorded event", () => {
    it("cann: plain and with-flag events are not ready and refuse waits; Ex events stand for no work", async () => {
      const { manager } = setup(factory, { profile: "cann" });
      const s = manager.create();
      const plain = manager.createEvent();
      const flagged = manager.createEvent({ flags: A.SYNC });
      const ex = manager.createEvent({ api: "ex", flags: A.SYNC });
      expect(plain.query()).toBe("not-ready");
      expect(flagged.query()).toBe("not-ready");
      expect(ex.query()).toBe("complete");
      expect(code(() => s.waitEvent(plain))).toBe("INVALID_PARAM");
      expect(code(() => s.waitEvent(flagged))).toBe("INVALID_PARAM");
      expect(s.waitEvent(ex).status).toBe("done"); // "wait first, return suc": no wait task
      await s.synchronize();
    });

    it("cuda: an event never recorded is empty work", async () => {
      const { manager } = setup(factory, { profile: "cuda" });
      const s = manager.create();
      const ev = manager.createEvent();
      expect(ev.query()).toBe("complete");
      expect(s.waitEvent(ev).status).toBe("done");
      await ev.synchronize();
    });
  });

  describe("§1.2 Flag requirement for waits", () => {
    it("cann: waits need ACL_EVENT_SYNC (or EXTERNAL) on with-flag and Ex events", async () => {
      const { manager } = setup(factory, { profile: "cann" });
      const a = manager.create();
      const b = manager.create();
      const timeOnly = manager.createEvent({ flags: A.TIME_LINE });
      const exTimeOnly = manager.createEvent({ api: "ex", flags: A.TIME_LINE });
      const external = manager.createEvent({ flags: A.EXTERNAL });
      const sync = manager.createEvent({ flags: A.SYNC });
      for (const ev of [timeOnly, exTimeOnly, external, sync]) a.record(ev);
      expect(code(() => b.waitEvent(timeOnly))).toBe("INVALID_PARAM");
      expect(code(() => b.waitEvent(exTimeOnly))).toBe("INVALID_PARAM");
      expect(code(() => b.waitEvent(timeOnly, { future: true }))).toBe("INVALID_PARAM");
      b.waitEvent(external);
      b.waitEvent(sync);
      await manager.synchronize();
      // A timestamp-only event is still an event to time and query.
      expect(timeOnly.query()).toBe("complete");
      expect(timeOnly.elapsedTime(timeOnly)).toBe(0);
    });

    it("§1.2 Elapsed time: timestamps need TIME_LINE (cann) and are off with DISABLE_TIMING (cuda)", async () => {
      for (const [profile, opts] of [
        ["cann", { flags: A.SYNC }],
        ["cuda", { flags: C.DISABLE_TIMING }],
      ] as const) {
        const { manager } = setup(factory, { profile });
        const s = manager.create();
        const ev = manager.createEvent(opts);
        s.record(ev);
        await s.synchronize();
        expect(code(() => ev.elapsedTime(ev))).toBe("EVENT_TIMESTAMP_INVALID");
      }
    });
  });

  describe("§1.2 event limit (Flag requirement for waits: SYNC events count against the device's limit)", () => {
    it("cann: with-flag SYNC events count at creation, plain ones at their first record, Ex ones never", async () => {
      const { manager } = setup(factory, { profile: "cann" }, { maxCounters: 3 });
      expect(manager.availableEvents()).toBe(3);
      const limited = [manager.createEvent({ flags: A.SYNC }), manager.createEvent({ flags: A.EXTERNAL })];
      expect(manager.availableEvents()).toBe(1);
      const plain = manager.createEvent();
      const plain2 = manager.createEvent();
      expect(manager.availableEvents()).toBe(1); // not until recorded
      const exs = Array.from({ length: 5 }, () => manager.createEvent({ api: "ex", flags: A.SYNC }));
      manager.createEvent({ flags: A.TIME_LINE }); // no SYNC: not limited
      expect(manager.availableEvents()).toBe(1);
      const s = manager.create();
      s.launch(noop(1_000_000));
      s.record(plain);
      expect(manager.availableEvents()).toBe(0);
      expect(code(() => manager.createEvent({ flags: A.SYNC }))).toBe("NO_EVENT_RESOURCE");
      // aclrtCreateEvent's first record takes the resource; CANN blocks there, npurt refuses.
      expect(code(() => s.record(plain2))).toBe("NO_EVENT_RESOURCE");
      // Destroyed before its record ran: the resource comes back when the record has.
      plain.destroy();
      expect(manager.availableEvents()).toBe(0);
      await s.synchronize();
      expect(manager.availableEvents()).toBe(1);
      limited[0]!.destroy();
      expect(manager.availableEvents()).toBe(2);
      expect(manager.resourceStats().events).toMatchObject({ created: 11, succeeded: 10 });
      for (const ev of exs) ev.destroy();
    });

    it("cuda: events are not limited", () => {
      const { manager } = setup(factory, { profile: "cuda" }, { maxCounters: 2 });
      for (let i = 0; i < 5; i++) manager.createEvent();
      expect(manager.availableEvents()).toBe(2);
    });
  });

  describe("§1.2 Reset", () => {
    it("cann: refused for every event but with-flag SYNC ones, as CANN refuses it; cuda has no reset", () => {
      const { manager } = setup(factory, { profile: "cann" });
      const s = manager.create();
      expect(code(() => s.resetEvent(manager.createEvent()))).toBe("FEATURE_NOT_SUPPORTED");
      expect(code(() => s.resetEvent(manager.createEvent({ api: "ex", flags: A.SYNC })))).toBe(
        "FEATURE_NOT_SUPPORTED",
      );
      expect(code(() => s.resetEvent(manager.createEvent({ flags: A.TIME_LINE })))).toBe(
        "FEATURE_NOT_SUPPORTED",
      );
      expect(code(() => s.resetEvent(manager.createEvent({ flags: A.DEVICE_USE_ONLY })))).toBe(
        "INVALID_PARAM",
      );
      expect(s.resetEvent(manager.createEvent({ flags: A.SYNC })).kind).toBe("reset");
      const cuda = setup(factory, { profile: "cuda" }).manager;
      expect(code(() => cuda.create().resetEvent(cuda.createEvent()))).toBe("FEATURE_NOT_SUPPORTED");
    });

    it("cann: a reset is a task in its stream's order; a query sees the record until it ran", async () => {
      const { manager } = setup(factory, { profile: "cann" });
      const producer = manager.create();
      const consumer = manager.create();
      const ev = manager.createEvent({ flags: A.SYNC });
      producer.record(ev);
      await producer.synchronize();
      expect(ev.query()).toBe("complete");
      consumer.launch(noop(1_000_000));
      const reset = consumer.resetEvent(ev);
      expect(reset.status).toBe("pending");
      expect(ev.query()).toBe("complete"); // the reset task has not run yet
      await consumer.synchronize();
      expect(reset.status).toBe("done");
      expect(reset.endNs).toBeGreaterThanOrEqual(1_000_000);
      expect(ev.query()).toBe("not-ready");
      await ev.synchronize(); // nothing recorded since the reset: nothing to wait for
      expect(manager.resourceStats().eventRecords).toEqual({
        created: 1,
        succeeded: 1,
        released: 1,
        releaseSucceeded: 1,
      });
    });

    it("cann: a wait issued after a reset waits for the next record (CANN's wait task)", async () => {
      const { manager } = setup(factory, { profile: "cann" });
      const producer = manager.create();
      const consumer = manager.create();
      const ev = manager.createEvent({ flags: A.SYNC });
      // The loop CANN's guide describes: record, wait, reset in the waiting stream, reuse.
      producer.record(ev);
      consumer.waitEvent(ev);
      consumer.resetEvent(ev);
      await manager.synchronize();
      const wait = consumer.waitEvent(ev);
      const after = consumer.launch(noop(10));
      await new Promise((r) => setTimeout(r, 5));
      expect(consumer.state).toBe("BLOCKED");
      expect(wait.status).toBe("pending");
      producer.launch(noop(50_000));
      const record = producer.record(ev);
      await consumer.synchronize();
      expect(after.startNs!).toBeGreaterThanOrEqual(record.endNs!);
      // A timed wait needs a record to wait for.
      consumer.resetEvent(ev);
      expect(code(() => consumer.waitEvent(ev, { timeoutMs: 5 }))).toBe("INVALID_PARAM");
      await manager.synchronize();
    });
  });

  describe("§1.2 Wait-status query and DEVICE_USE_ONLY", () => {
    it("the wait-status query is refused for Ex events and in cuda; device-only events refuse host calls", async () => {
      const { manager } = setup(factory, { profile: "cann" });
      const s = manager.create();
      expect(manager.createEvent({ flags: A.SYNC }).waitStatus()).toBe("complete");
      expect(code(() => manager.createEvent({ api: "ex", flags: A.SYNC }).waitStatus())).toBe(
        "FEATURE_NOT_SUPPORTED",
      );
      const deviceOnly = manager.createEvent({ flags: A.DEVICE_USE_ONLY });
      s.record(deviceOnly);
      expect(code(() => deviceOnly.query())).toBe("INVALID_PARAM");
      await expect(deviceOnly.synchronize()).rejects.toMatchObject({ code: "INVALID_PARAM" });
      await s.synchronize();
      const cuda = setup(factory, { profile: "cuda" }).manager;
      expect(code(() => cuda.createEvent().waitStatus())).toBe("FEATURE_NOT_SUPPORTED");
    });
  });

  describe("§1.5 Sync vs async errors: sticky errors from event creation and allocation (cuda)", () => {
    it("after a device failure in cuda, createEvent and allocate return the sticky error", async () => {
      const { manager, bed } = setup(factory, { profile: "cuda" });
      const s = manager.create();
      bed.failNext("bad");
      s.launch({ name: "bad" });
      await expect(s.synchronize()).rejects.toMatchObject({ code: "KERNEL_FAILED" });
      expect(code(() => manager.createEvent())).toBe("KERNEL_FAILED");
      expect(code(() => manager.allocate(64))).toBe("KERNEL_FAILED");
      // CANN's failures are not sticky: both still work.
      const cann = setup(factory, { profile: "cann" });
      const t = cann.manager.create();
      cann.bed.failNext("bad");
      t.launch({ name: "bad" });
      await expect(t.synchronize()).rejects.toMatchObject({ code: "KERNEL_FAILED" });
      cann.manager.createEvent();
      cann.manager.release(cann.manager.allocate(64));
    });
  });
});
