import { describe, expect, it } from "vitest";
import { BACKENDS, BOTH_PROFILES, noop, rejection, setup } from "./backends.js";

describe.each(BACKENDS)("memory outside streams on $name (runtime-semantics §1.4)", (factory) => {
  it("§1.4 Sync malloc: 'cann' rounds up to 32 bytes and adds 32 of padding; 'cuda' reserves the size asked for", async () => {
    const reserved = async (profile: "cann" | "cuda", bytes: number) => {
      const { manager, device } = setup(factory, { profile });
      const before = device.memoryInfo().bytesInUse;
      const buffer = await manager.malloc(bytes);
      expect(buffer.bytes).toBe(bytes);
      return device.memoryInfo().bytesInUse - before;
    };
    // What the backend itself reserves for a request of n bytes (its own alignment).
    const backendReserves = (n: number) => {
      const { device } = setup(factory);
      const before = device.memoryInfo().bytesInUse;
      device.allocate(n);
      return device.memoryInfo().bytesInUse - before;
    };
    expect(await reserved("cuda", 4096)).toBe(backendReserves(4096));
    expect(await reserved("cann", 4096)).toBe(backendReserves(4096 + 32));
    expect(await reserved("cann", 100)).toBe(backendReserves(128 + 32));
    expect(await reserved("cann", 4096)).toBeGreaterThan(await reserved("cuda", 4096));
  });

  it.each(BOTH_PROFILES)("§1.4 Sync malloc: size 0 is INVALID_PARAM (%s)", async (profile) => {
    const { manager } = setup(factory, { profile });
    expect((await rejection(manager.malloc(0)))?.code).toBe("INVALID_PARAM");
  });

  it("§1.4 Sync malloc: a size whose rounding overflows is INVALID_PARAM in 'cann'; too large is MEMORY_ALLOCATION in 'cuda'", async () => {
    const huge = Number.MAX_SAFE_INTEGER - 1;
    expect((await rejection(setup(factory, { profile: "cann" }).manager.malloc(huge)))?.code).toBe(
      "INVALID_PARAM",
    );
    expect((await rejection(setup(factory, { profile: "cuda" }).manager.malloc(huge)))?.code).toBe(
      "MEMORY_ALLOCATION",
    );
  });

  it.each(BOTH_PROFILES)("allocate, malloc and allocAsync take a dtype (%s)", async (profile) => {
    const { manager } = setup(factory, { profile });
    expect(manager.allocate(16, { dtype: "int32" }).dtype).toBe("int32");
    expect((await manager.malloc(16, { dtype: "bfloat16" })).elements).toBe(8);
    expect(manager.create().allocAsync(16, { dtype: "int64" }).elements).toBe(2);
  });

  it("§1.4 Free: free(null) is a no-op in 'cuda' and INVALID_PARAM in 'cann'", async () => {
    expect(await rejection(setup(factory, { profile: "cuda" }).manager.free(null))).toBeUndefined();
    expect((await rejection(setup(factory, { profile: "cann" }).manager.free(null)))?.code).toBe(
      "INVALID_PARAM",
    );
  });

  it("§1.4 Free: 'cann' frees at once under queued work (its ops fail: the documented hazard); 'cuda' waits for the device", async () => {
    const run = async (profile: "cann" | "cuda") => {
      const { manager } = setup(factory, { profile });
      const s = manager.create();
      const buffer = await manager.malloc(64);
      const op = s.launch({ ...noop(20_000), outputs: [buffer] });
      await manager.free(buffer);
      const statusAtFree = op.status;
      await s.synchronize().catch(() => {});
      return { statusAtFree, final: op.status, code: op.error?.code };
    };
    expect(await run("cann")).toMatchObject({ final: "failed", code: "INVALID_HANDLE" });
    expect(await run("cuda")).toEqual({ statusAtFree: "done", final: "done", code: undefined });
  });

  it.each(BOTH_PROFILES)(
    "§1.4 Free: freeWithDeviceSync waits for the work that uses the memory (%s)",
    async (profile) => {
      const { manager, device } = setup(factory, { profile });
      const s = manager.create();
      const buffer = await manager.malloc(64);
      const op = s.launch({ ...noop(20_000), outputs: [buffer] });
      const before = device.memoryInfo().allocations;
      await manager.freeWithDeviceSync(buffer);
      expect(op.status).toBe("done");
      expect(device.memoryInfo().allocations).toBe(before - 1);
      expect((await rejection(manager.freeWithDeviceSync(buffer)))?.code).toBe("INVALID_HANDLE");
    },
  );

  it.each(BOTH_PROFILES)(
    "memcpy and memset settle once done and reject with the op's own error (%s)",
    async (profile) => {
      const { manager } = setup(factory, { profile });
      const buffer = await manager.malloc(8, { dtype: "uint8" });
      await manager.memset({ dst: buffer, value: 3 });
      const out = new Uint8Array(8);
      await manager.memcpy({ src: buffer, dst: out });
      expect([...out]).toEqual(new Array(8).fill(3));
      const pending = manager.memcpy({ src: new Uint8Array(8), dst: buffer });
      manager.release(buffer); // freed under the queued copy
      expect((await rejection(pending))?.code).toBe("INVALID_HANDLE");
    },
  );
});

describe("synchronous copies and the profile's implicit synchronization (runtime-semantics §1.4, §1.8)", () => {
  const sim = BACKENDS.find((b) => b.name.startsWith("device-sim"))!;

  it("§1.4 Sync malloc: 'cuda' malloc synchronizes the device first, 'cann' does not", async () => {
    const run = async (profile: "cann" | "cuda") => {
      const { manager } = setup(sim, { profile });
      const s = manager.create();
      s.launch(noop(50_000));
      await manager.malloc(32);
      return s.query();
    };
    expect(await run("cuda")).toBe("complete");
    expect(await run("cann")).toBe("not-ready");
  });

  it("'cuda': memcpy runs on the legacy default stream, after the work issued on blocking streams", async () => {
    const { manager } = setup(sim, { profile: "cuda" });
    const s = manager.create();
    const buffer = await manager.malloc(1024);
    s.launch({ ...noop(200_000), outputs: [buffer] });
    await manager.memcpy({ src: new Uint8Array(1024), dst: buffer });
    expect(s.query()).toBe("complete");
  });

  it("'cann': memcpy is ordered after nothing (every stream is non-blocking)", async () => {
    const { manager } = setup(sim, { profile: "cann" });
    const s = manager.create();
    const busy = await manager.malloc(1024);
    const other = await manager.malloc(1024);
    s.launch({ ...noop(200_000), outputs: [busy] });
    await manager.memcpy({ src: new Uint8Array(1024), dst: other });
    expect(s.query()).toBe("not-ready");
    await s.synchronize();
  });
});
