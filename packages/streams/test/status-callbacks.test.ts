import type { NpuError } from "@npurt/core";
import { describe, expect, it } from "vitest";
import { BACKENDS, noop, settle, setup } from "./backends.js";

// runtime-semantics §1.3 "Device error before callback": cudaStreamAddCallback's callback runs
// and gets the error; cudaLaunchHostFunc's host function is not called after a device error.
describe.each(BACKENDS)("status-receiving callbacks on $name", (factory) => {
  it("§1.3 Device error before callback (cuda, sticky): the status callback runs once with the error, the host function not", async () => {
    const { manager, bed } = setup(factory, { profile: "cuda" });
    const s = manager.create();
    const calls: string[] = [];
    let seen: NpuError | undefined;
    bed.failNext("bad");
    s.launch(noop(1_000, "bad"));
    const hostFn = s.launchHostCallback(() => calls.push("host function"));
    const withStatus = s.launchHostCallback(
      (ctx) => {
        calls.push("status callback");
        seen = ctx.error;
      },
      { receivesStatus: true },
    );
    await expect(s.synchronize()).rejects.toMatchObject({ code: "KERNEL_FAILED" });
    await settle(20);
    expect(calls).toEqual(["status callback"]);
    expect(seen?.code).toBe("KERNEL_FAILED");
    expect(hostFn.status).toBe("aborted");
    expect(withStatus.status).toBe("done");
  });

  it("§1.3 Device error before callback (cann, continue): both run; the status callback sees the stream's failure", async () => {
    const { manager, bed } = setup(factory, { profile: "cann" });
    const s = manager.create();
    const errors: (string | undefined)[] = [];
    bed.failNext("bad");
    s.launch(noop(1_000, "bad"));
    s.launchHostCallback((ctx) => errors.push(ctx.error?.code ?? "plain:none"));
    s.launchHostCallback((ctx) => errors.push(ctx.error?.code), { receivesStatus: true });
    await expect(s.synchronize()).rejects.toMatchObject({ code: "KERNEL_FAILED" });
    expect(errors).toEqual(["plain:none", "KERNEL_FAILED"]);
    // No error before it: ctx.error is undefined.
    const clean: (string | undefined)[] = [];
    s.launchHostCallback((ctx) => clean.push(ctx.error?.code), { receivesStatus: true });
    await s.synchronize();
    expect(clean).toEqual([undefined]);
  });

  it("abort() discards a status callback like any other; bad options are refused", async () => {
    const { manager, bed } = setup(factory);
    const s = manager.create();
    const ran: string[] = [];
    bed.hangNext("stuck");
    s.launch(noop(1_000, "stuck"));
    const cb = s.launchHostCallback(() => ran.push("x"), { receivesStatus: true });
    s.abort();
    await settle(20);
    expect(ran).toEqual([]);
    expect(cb.status).toBe("aborted");
    expect(() => s.launchHostCallback(() => {}, { receivesStatus: "yes" as never })).toThrow(TypeError);
  });
});
