// Issue 10 defect 9: a chain run without a `clock` option used wall time even beside a
// virtual-time device, so a seeded program's results differed from run to run. The device's
// clock is the default wherever one is known: inside a device's host callback (core's
// currentDeviceClock, set by @npurt/streams), and in a CallbackScheduler serving a
// StreamManager (core's HostExecutor.useClock).
import { createDevice, currentDeviceClock, wallClock } from "@npurt/core";
import { MockDeviceBackend, VirtualClock } from "@npurt/core/testing";
import { StreamManager } from "@npurt/streams";
import { describe, expect, it } from "vitest";
import { CallbackChain, CallbackScheduler } from "../src/index.js";

/** A step that takes 20 ms of wall time and no time on a virtual clock. */
function busy20ms(x: number): number {
  const end = performance.now() + 20;
  while (performance.now() < end) {
    // spin: synchronous host work
  }
  return x + 1;
}

function virtualDevice() {
  return createDevice(new MockDeviceBackend());
}

describe("the device's clock is the default clock of host-side scheduling", () => {
  it("a chain run inside a host callback times its steps on the device's (virtual) clock", async () => {
    const device = virtualDevice();
    expect(device.clock.mode).toBe("virtual");
    const manager = new StreamManager(device);
    const chain = CallbackChain.start<number>().step(busy20ms);
    // On wall time the 20 ms step exceeds a 2 ms timeout; on the virtual clock no time passes.
    const outside = await chain.run(1, { timeoutMs: 2 }).then(
      () => "ok",
      (e: { code: string }) => e.code,
    );
    expect(outside).toBe("CALLBACK_TIMEOUT");
    let inside: Promise<number> | undefined;
    let seen: unknown;
    const s = manager.create();
    s.launchHostCallback(() => {
      seen = currentDeviceClock();
      inside = chain.run(1, { timeoutMs: 2 });
    });
    await s.synchronize();
    expect(seen).toBe(device.clock);
    await expect(inside).resolves.toBe(2);
    expect(currentDeviceClock()).toBeUndefined(); // only while the callback runs
    manager.close();
  });

  it("an explicit clock option still wins inside a host callback", async () => {
    const manager = new StreamManager(virtualDevice());
    const chain = CallbackChain.start<number>().step(busy20ms);
    let inside: Promise<string> | undefined;
    const s = manager.create();
    s.launchHostCallback(() => {
      inside = chain.run(1, { timeoutMs: 2, clock: wallClock() }).then(
        () => "ok",
        (e: { code: string }) => e.code,
      );
    });
    await s.synchronize();
    await expect(inside).resolves.toBe("CALLBACK_TIMEOUT");
    manager.close();
  });

  it("a CallbackScheduler without a clock adopts the clock of the device whose streams it serves", () => {
    const device = virtualDevice();
    const scheduler = new CallbackScheduler();
    expect(scheduler.clock.mode).toBe("wall");
    const manager = new StreamManager(device, { executor: scheduler });
    expect(scheduler.clock).toBe(device.clock);
    manager.close();
    const own = new VirtualClock();
    const kept = new CallbackScheduler({ clock: own });
    new StreamManager(virtualDevice(), { executor: kept }).close();
    expect(kept.clock).toBe(own);
    expect(() => scheduler.useClock({} as never)).toThrow(TypeError);
  });
});
