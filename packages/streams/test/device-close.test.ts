import { describe, expect, it } from "vitest";
import { BACKENDS, BOTH_PROFILES, noop, rejection, settle, setup, thrown } from "./backends.js";

describe.each(BACKENDS)("the device closed under a live manager on $name", (factory) => {
  it.each(BOTH_PROFILES)(
    "pending stream, device, event and callback waits reject with DEVICE_CLOSED instead of hanging (%s)",
    async (profile) => {
      const { manager, device, bed } = setup(factory, { profile });
      const s = manager.create();
      const t = manager.create();
      const ev = manager.createEvent();
      bed.hangNext("stuck");
      s.launch({ name: "stuck" });
      s.record(ev);
      let waited: string | undefined;
      t.launchHostCallback(async (ctx) => {
        waited = await ctx.waitFor(ev).then(
          () => "resolved",
          (e: { code: string }) => e.code,
        );
      });
      t.launch(noop());
      await settle();
      const streamSync = rejection(s.synchronize());
      const timedSync = rejection(s.synchronize({ timeoutMs: 1e6 }));
      const deviceSync = rejection(manager.synchronize());
      const eventSync = rejection(ev.synchronize());
      const otherSync = rejection(t.synchronize());
      device.close();
      expect((await streamSync)?.code).toBe("DEVICE_CLOSED");
      expect((await timedSync)?.code).toBe("DEVICE_CLOSED");
      expect((await deviceSync)?.code).toBe("DEVICE_CLOSED");
      expect((await eventSync)?.code).toBe("DEVICE_CLOSED");
      expect((await otherSync)?.code).toBe("DEVICE_CLOSED");
      await settle();
      expect(waited).toBe("DEVICE_CLOSED");
      // the state and query stay truthful: the queued work is gone
      expect(s.state).toBe("ABORTED");
      expect(thrown(() => s.query()).code).toBe("DEVICE_CLOSED");
      expect(thrown(() => ev.query()).code).toBe("DEVICE_CLOSED");
      // later calls fail at once with the same code, none hangs
      expect((await rejection(s.synchronize()))?.code).toBe("DEVICE_CLOSED");
      expect((await rejection(manager.synchronize()))?.code).toBe("DEVICE_CLOSED");
      expect((await rejection(ev.synchronize()))?.code).toBe("DEVICE_CLOSED");
      expect(thrown(() => s.launch(noop())).code).toBe("DEVICE_CLOSED");
      expect(thrown(() => manager.create()).code).toBe("DEVICE_CLOSED");
      expect(thrown(() => manager.resetDevice()).code).toBe("DEVICE_CLOSED");
      // destroy does not wait for work that can never finish, whatever the profile
      await s.destroy();
      expect(manager.stats()).toMatchObject({ draining: 0, pooled: 0 });
      const tId = t.id;
      const report = manager.close();
      expect(report.streams).toEqual([tId]);
      expect(report.stats.streams).toMatchObject({ created: 2, released: 1 }); // t leaked
      expect(report.stats.callbacks.released).toBe(1);
    },
  );

  it("a destroy waiting for a drain ('cann') settles when the device closes", async () => {
    const { manager, device, bed } = setup(factory, { profile: "cann" });
    const s = manager.create();
    bed.hangNext("stuck");
    s.launch({ name: "stuck" });
    let destroyed = false;
    const destroy = s.destroy().then(() => {
      destroyed = true;
    });
    await settle();
    expect(destroyed).toBe(false);
    device.close();
    await destroy;
    expect(manager.stats()).toMatchObject({ draining: 0, queues: 0 });
    expect(manager.close().streams).toEqual([]);
  });

  it("a manager created on a closed device refuses work with DEVICE_CLOSED", async () => {
    const { device } = setup(factory);
    device.close();
    const { StreamManager } = await import("../src/index.js");
    const manager = new StreamManager(device);
    expect(thrown(() => manager.create()).code).toBe("DEVICE_CLOSED");
    expect((await rejection(manager.synchronize()))?.code).toBe("DEVICE_CLOSED");
    expect(manager.close()).toMatchObject({ streams: [], events: [] });
  });
});
