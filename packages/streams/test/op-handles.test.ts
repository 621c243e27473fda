import { NpuError } from "@npurt/core";
import { describe, expect, it } from "vitest";
import type { OpHandle } from "../src/index.js";
import { BACKENDS, BOTH_PROFILES, noop, setup } from "./backends.js";

/** What `finished` settled with: the handle, or the error's code. */
async function finishedOf(op: OpHandle): Promise<OpHandle | string> {
  try {
    return await op.finished;
  } catch (error) {
    return NpuError.isInstance(error) ? error.code : `not an NpuError: ${String(error)}`;
  }
}

// issue 8 "Op handles": launch, copy, fill, record, waitEvent and launchHostCallback return a
// handle with status, device start and end time, the error, and a promise.
describe.each(BACKENDS)("op handles on $name", (factory) => {
  it("launch, copy, fill and record return pending handles that turn done with device times", async () => {
    const { manager } = setup(factory);
    const s = manager.create();
    const buf = manager.allocate(16);
    const ev = manager.createEvent();
    const ops = [
      s.fill({ dst: buf, value: 1 }),
      s.launch(noop(5_000)),
      s.copy({ src: buf, dst: new Uint8Array(16) }),
      s.record(ev),
    ];
    expect(ops.map((o) => o.kind)).toEqual(["fill", "kernel", "copy", "record"]);
    for (const op of ops) {
      expect(op.status).toBe("pending");
      expect(op.stream).toBe(s.id);
      expect(op.startNs).toBeUndefined();
      expect(op.error).toBeUndefined();
    }
    expect(await ops[1]!.finished).toBe(ops[1]);
    await s.synchronize();
    let previousEnd = Number.NEGATIVE_INFINITY;
    for (const op of ops) {
      expect(op.status).toBe("done");
      expect(op.startNs!).toBeLessThanOrEqual(op.endNs!);
      // One stream: each op starts after the one before it ended.
      expect(op.startNs!).toBeGreaterThanOrEqual(previousEnd);
      previousEnd = op.endNs!;
    }
    expect(ops[1]!.endNs! - ops[1]!.startNs!).toBeGreaterThanOrEqual(5_000);
  });

  it.each(BOTH_PROFILES)(
    "a failed kernel's handle is failed with its error; finished rejects (%s)",
    async (profile) => {
      const { manager, bed } = setup(factory, { profile });
      const s = manager.create();
      bed.failNext("bad");
      const op = s.launch(noop(1_000, "bad"));
      expect(await finishedOf(op)).toBe("KERNEL_FAILED");
      expect(op.status).toBe("failed");
      expect(op.error?.code).toBe("KERNEL_FAILED");
      // The stream's synchronize still reports the failure as well.
      await expect(s.synchronize()).rejects.toMatchObject({ code: "KERNEL_FAILED" });
    },
  );

  it("ops discarded by abort() are aborted, with STREAM_ABORT", async () => {
    const { manager, bed } = setup(factory);
    const s = manager.create();
    bed.hangNext("stuck");
    const running = s.launch(noop(1_000, "stuck"));
    const queued = s.launch(noop());
    const late = s.launchHostCallback(() => {});
    s.abort();
    for (const op of [running, queued, late]) expect(await finishedOf(op)).toBe("STREAM_ABORT");
    expect([running.status, queued.status, late.status]).toEqual(["aborted", "aborted", "aborted"]);
  });

  it("a host callback's handle settles when its function ends, done or failed", async () => {
    const { manager } = setup(factory);
    const s = manager.create();
    const order: string[] = [];
    const ok = s.launchHostCallback(() => {
      order.push("ran");
    });
    const bad = s.launchHostCallback(
      () => {
        throw new Error("boom");
      },
      { label: "thrower" },
    );
    expect(ok.kind).toBe("callback");
    expect(ok.status).toBe("pending");
    expect(await ok.finished).toBe(ok);
    expect(order).toEqual(["ran"]);
    expect(ok.startNs!).toBeLessThanOrEqual(ok.endNs!);
    expect(await finishedOf(bad)).toBe("CALLBACK_FAILED");
    expect(bad.error?.message).toContain("boom");
    await expect(s.synchronize()).rejects.toMatchObject({ code: "CALLBACK_FAILED" });
  });

  it("waitEvent's handle: done when the record it waits for is, at once when nothing is pending", async () => {
    const { manager } = setup(factory);
    const producer = manager.create();
    const consumer = manager.create();
    const ev = manager.createEvent();
    producer.launch(noop(10_000));
    const rec = producer.record(ev);
    const wait = consumer.waitEvent(ev);
    const after = consumer.launch(noop());
    expect(wait.kind).toBe("wait");
    expect(wait.status).toBe("pending");
    await after.finished;
    expect(wait.status).toBe("done");
    expect(wait.endNs!).toBeGreaterThanOrEqual(rec.endNs!);
    // Satisfied already: a done handle, no device op.
    const again = consumer.waitEvent(ev);
    expect(again.status).toBe("done");
    // Recorded on this very stream: FIFO order covers it; the wait is done with the record.
    const own = manager.createEvent();
    producer.launch(noop(1_000));
    const ownRecord = producer.record(own);
    const ownWait = producer.waitEvent(own);
    expect(ownWait.status).toBe("pending");
    await ownWait.finished;
    expect(ownRecord.status).toBe("done");
    expect(ownWait.endNs).toBe(ownRecord.endNs);
  });

  it("a wait's handle is aborted when the record it follows is discarded", async () => {
    const { manager, bed } = setup(factory);
    const s = manager.create();
    const ev = manager.createEvent();
    bed.hangNext("stuck");
    s.launch(noop(1_000, "stuck"));
    s.record(ev);
    const wait = s.waitEvent(ev); // same stream: follows the record
    s.abort();
    expect(await finishedOf(wait)).toBe("STREAM_ABORT");
  });

  it("ops lost when the device closes under the manager are aborted with DEVICE_CLOSED", async () => {
    const { manager, device, bed } = setup(factory);
    const s = manager.create();
    bed.hangNext("stuck");
    const op = s.launch(noop(1_000, "stuck"));
    device.close();
    expect(await finishedOf(op)).toBe("DEVICE_CLOSED");
    expect(op.status).toBe("aborted");
  });

  it("finished read after the op settled gives the same outcome; refused ops return no handle", async () => {
    const { manager } = setup(factory);
    const s = manager.create();
    const op = s.launch(noop());
    await s.synchronize();
    expect(op.status).toBe("done");
    expect(await op.finished).toBe(op);
    expect(op.finished).toBe(op.finished); // one promise per handle
    expect(() => s.launch({ name: 3 } as never)).toThrow(TypeError);
  });
});
