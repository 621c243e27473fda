import { createDevice } from "@npurt/core";
import { MockDeviceBackend } from "@npurt/core/testing";
import { describe, expect, it } from "vitest";
import { StreamManager } from "../src/index.js";
import { BACKENDS, noop, setup, thrown } from "./backends.js";

const code = (fn: () => unknown): string => thrown(fn).code;

describe.each(BACKENDS)("§1.7 Op execution timeout on $name", (factory) => {
  it("cann: a kernel running past the timeout is stopped with TASK_TIMEOUT; shorter ones run", async () => {
    const { manager } = setup(factory, { profile: "cann" });
    const s = manager.create();
    manager.setOpExecuteTimeout(0.5); // 500 µs of device time
    const long = s.launch(noop(2_000_000));
    const short = s.launch(noop(1_000));
    await expect(s.synchronize()).rejects.toMatchObject({ code: "TASK_TIMEOUT" });
    expect(long.status).toBe("failed");
    expect(long.error?.code).toBe("TASK_TIMEOUT");
    expect(long.endNs! - long.startNs!).toBe(500_000);
    expect(short.status).toBe("done");
    // A kernel's own stated timeout wins over the manager's.
    const own = s.launch({ ...noop(2_000_000), timeoutNs: 100_000 });
    await expect(s.synchronize()).rejects.toMatchObject({ code: "TASK_TIMEOUT" });
    expect(own.endNs! - own.startNs!).toBe(100_000);
    manager.setOpExecuteTimeout(undefined);
    const free = s.launch(noop(2_000_000));
    await s.synchronize();
    expect(free.status).toBe("done");
  });

  it("cann: a hung kernel ends at the timeout instead of holding its stream forever", async () => {
    const { manager, bed } = setup(factory, { profile: "cann" });
    const s = manager.create();
    manager.setOpExecuteTimeout(1);
    bed.hangNext("stuck");
    const hung = s.launch(noop(1_000, "stuck"));
    const after = s.launch(noop(1_000));
    await expect(s.synchronize()).rejects.toMatchObject({ code: "TASK_TIMEOUT" });
    expect(hung.endNs! - hung.startNs!).toBe(1_000_000);
    expect(after.status).toBe("done");
    expect(manager.findDeadlocks()).toEqual([]);
  });

  it("refuses bad values, the cuda API model, and kernel timeouts a backend would ignore", () => {
    const { manager } = setup(factory, { profile: "cann" });
    expect(code(() => manager.setOpExecuteTimeout(0))).toBe("INVALID_PARAM");
    expect(code(() => manager.setOpExecuteTimeout(-1))).toBe("INVALID_PARAM");
    expect(code(() => manager.setOpExecuteTimeout(Number.POSITIVE_INFINITY))).toBe("INVALID_PARAM");
    expect(() => manager.setOpExecuteTimeout("5" as never)).toThrow(TypeError);
    expect(code(() => manager.create().launch({ ...noop(), timeoutNs: 0 }))).toBe("INVALID_PARAM");
    const cuda = setup(factory, { profile: "cuda" }).manager;
    expect(code(() => cuda.setOpExecuteTimeout(5))).toBe("FEATURE_NOT_SUPPORTED");
  });
});

describe("op timeouts on a backend that does not claim them", () => {
  it("is FEATURE_NOT_SUPPORTED, not silently ignored", () => {
    const backend = new MockDeviceBackend();
    Object.defineProperty(backend, "capabilities", { value: { ...backend.capabilities, opTimeouts: false } });
    const manager = new StreamManager(createDevice(backend));
    expect(code(() => manager.setOpExecuteTimeout(5))).toBe("FEATURE_NOT_SUPPORTED");
    expect(code(() => manager.create().launch({ name: "k", timeoutNs: 5 }))).toBe("FEATURE_NOT_SUPPORTED");
  });
});
