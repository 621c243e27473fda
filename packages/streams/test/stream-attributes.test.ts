import type { InstrumentationEvent } from "@npurt/core";
import { describe, expect, it } from "vitest";
import { BACKENDS, BOTH_PROFILES, noop, setup } from "./backends.js";

describe.each(BACKENDS)("stream attributes and hooks on $name", (factory) => {
  it("§1.1 State-change hooks: create-post after create, destroy-pre before destroy, default streams included", async () => {
    const { manager } = setup(factory);
    const seen: string[] = [];
    const off = manager.onStreamState("audit", (stream, state) => {
      // destroy-pre comes while the handle is still usable.
      seen.push(`${state}:${stream.id}:${stream.state}`);
    });
    const s = manager.create();
    const d = manager.defaultStream();
    await s.destroy();
    expect(seen).toEqual([`create-post:1:READY`, `create-post:2:READY`, `destroy-pre:1:READY`]);
    expect(() => manager.onStreamState("audit", () => {})).toThrow(
      expect.objectContaining({ code: "INVALID_PARAM" }),
    );
    expect(() => manager.onStreamState("x", "nope" as never)).toThrow(TypeError);
    expect(() => manager.onStreamState(3 as never, () => {})).toThrow(TypeError);
    const defaultId = d.id;
    manager.close();
    expect(seen.at(-1)).toBe(`destroy-pre:${defaultId}:READY`);
    off();
  });

  it("§1.1 State-change hooks: a throwing listener is reported and the create goes on", () => {
    const { manager, device } = setup(factory);
    const errors: InstrumentationEvent[] = [];
    device.instrumentation.subscribe((e) => {
      if (e.type === "error") errors.push(e);
    });
    manager.onStreamState("bad", () => {
      throw Object.create(null);
    });
    const s = manager.create();
    expect(s.state).toBe("READY");
    expect(errors).toHaveLength(1);
  });

  it("§1.1 Stream count limit: availableStreams is the limit less the streams held, pooled ones free", async () => {
    const { manager } = setup(factory, {}, { maxQueues: 4 });
    expect(manager.availableStreams()).toBe(4);
    const a = manager.create();
    manager.defaultStream(); // the default stream counts too
    expect(manager.availableStreams(0)).toBe(2);
    a.launch(noop());
    await a.destroy(); // drained: back to the pool, which a new stream may evict
    expect(manager.availableStreams()).toBe(3);
    manager.create();
    manager.create();
    manager.create();
    expect(manager.availableStreams()).toBe(0);
    expect(() => manager.availableStreams(1)).toThrow(expect.objectContaining({ code: "INVALID_PARAM" }));
  });

  it.each(BOTH_PROFILES)(
    "§1.5 Failure mode per stream: settable once after creation (%s)",
    async (profile) => {
      const { manager, bed } = setup(factory, { profile, stickyErrors: false });
      const s = manager.create();
      const other = manager.create();
      s.setFailureMode("stop");
      expect(s.failureMode).toBe("stop");
      expect(() => s.setFailureMode("continue")).toThrow(expect.objectContaining({ code: "ILLEGAL_STATE" }));
      expect(() => manager.create({ failureMode: "continue" }).setFailureMode("stop")).toThrow(
        expect.objectContaining({ code: "ILLEGAL_STATE" }),
      );
      expect(() => other.setFailureMode("halt" as never)).toThrow(
        expect.objectContaining({ code: "INVALID_PARAM" }),
      );
      // Stop on failure: the device stops, other streams refuse new work.
      bed.failNext("bad");
      s.launch(noop(1_000, "bad"));
      await expect(s.synchronize()).rejects.toMatchObject({ code: "KERNEL_FAILED" });
      expect(() => other.launch(noop())).toThrow(expect.objectContaining({ code: "STOPPED_ON_FAILURE" }));
    },
  );
});

describe.each(BACKENDS)("exception listener on $name", (factory) => {
  it.each(BOTH_PROFILES)(
    "§1.5 Exception callback: a failed task is reported with its stream, op and code (%s)",
    async (profile) => {
      const { manager, bed } = setup(factory, { profile });
      const seen: { stream: number; opId: number | undefined; callback: number | undefined; code: string }[] =
        [];
      const off = manager.onException((info) => {
        seen.push({ stream: info.stream, opId: info.opId, callback: info.callback, code: info.code });
        expect(info.error.code).toBe(info.code);
        expect(info.device).toBe(0);
      });
      const s = manager.create();
      bed.failNext("bad");
      s.launch(noop(1_000, "bad"));
      await expect(s.synchronize()).rejects.toMatchObject({ code: "KERNEL_FAILED" });
      await Promise.resolve();
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({ stream: s.id, callback: undefined, code: "KERNEL_FAILED" });
      expect(typeof seen[0]!.opId).toBe("number");
      off();
      expect(() => manager.onException("no" as never)).toThrow(TypeError);
    },
  );

  it("§1.5 Exception callback: host callback failures too; a throwing listener does not stop the others", async () => {
    const { manager, device } = setup(factory, { profile: "cann" });
    const errors: string[] = [];
    device.instrumentation.subscribe((e) => {
      if (e.type === "error" && e.source === "streams") errors.push(e.message);
    });
    const heard: number[] = [];
    manager.onException(() => {
      throw new Error("listener bug");
    });
    manager.onException((info) => heard.push(info.callback ?? -1));
    const s = manager.create();
    s.launchHostCallback(() => {
      throw new Error("boom");
    });
    await expect(s.synchronize()).rejects.toMatchObject({ code: "CALLBACK_FAILED" });
    await new Promise((r) => setTimeout(r, 0));
    expect(heard).toHaveLength(1);
    expect(heard[0]).toBeGreaterThan(0);
    expect(errors.some((m) => m.includes("listener bug"))).toBe(true);
  });
});

describe.each(BACKENDS)("last error on $name", (factory) => {
  it.each(BOTH_PROFILES)(
    "§1.5 Last-error API: peek reads, get reads and resets; refused calls and failed tasks set it (%s)",
    async (profile) => {
      const { manager, bed } = setup(factory, { profile });
      expect(manager.peekAtLastError()).toBeUndefined();
      const s = manager.create();
      expect(() => s.launch({ name: "k", blockDim: 10_000 })).toThrow();
      expect(manager.peekAtLastError()?.code).toBe("INVALID_PARAM");
      expect(manager.peekAtLastError()?.code).toBe("INVALID_PARAM"); // peek does not reset
      expect(manager.getLastError()?.code).toBe("INVALID_PARAM");
      expect(manager.getLastError()).toBeUndefined(); // get does
      await expect(s.synchronize({ timeoutMs: -5 })).rejects.toMatchObject({ code: "INVALID_PARAM" });
      expect(manager.getLastError()?.code).toBe("INVALID_PARAM");
      bed.failNext("bad");
      s.launch(noop(1_000, "bad"));
      await expect(s.synchronize()).rejects.toMatchObject({ code: "KERNEL_FAILED" });
      expect(manager.getLastError()?.code).toBe("KERNEL_FAILED");
      if (profile === "cuda") {
        // Sticky: the error comes back with the next call it fails.
        expect(() => s.launch(noop())).toThrow(expect.objectContaining({ code: "KERNEL_FAILED" }));
        expect(manager.peekAtLastError()?.code).toBe("KERNEL_FAILED");
      } else {
        s.launch(noop());
        await s.synchronize();
        expect(manager.peekAtLastError()).toBeUndefined();
      }
      expect(() => manager.allocate(-1)).toThrow();
      expect(manager.peekAtLastError()).toBeDefined();
    },
  );

  it.each(BOTH_PROFILES)(
    "§1.5 Last-error API: a stream or device synchronize that times out or is refused sets it (%s)",
    async (profile) => {
      const { manager, bed } = setup(factory, { profile });
      const s = manager.create();
      bed.hangNext("stuck");
      s.launch({ name: "stuck" });
      await expect(s.synchronize({ timeoutMs: 1 })).rejects.toMatchObject({ code: "STREAM_SYNC_TIMEOUT" });
      expect(manager.getLastError()?.code).toBe("STREAM_SYNC_TIMEOUT");
      await expect(manager.synchronize({ timeoutMs: 1 })).rejects.toMatchObject({
        code: "STREAM_SYNC_TIMEOUT",
      });
      expect(manager.getLastError()?.code).toBe("STREAM_SYNC_TIMEOUT");
      await expect(manager.synchronize({ timeoutMs: -5 })).rejects.toMatchObject({ code: "INVALID_PARAM" });
      expect(manager.getLastError()?.code).toBe("INVALID_PARAM");
      s.abort();
    },
  );
});
