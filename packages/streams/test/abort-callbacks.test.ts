import { describe, expect, it } from "vitest";
import { BACKENDS, BOTH_PROFILES, rejection, settle, setup } from "./backends.js";

function gate(): { promise: Promise<void>; open: () => void } {
  let open!: () => void;
  const promise = new Promise<void>((r) => {
    open = r;
  });
  return { promise, open };
}

describe.each(BACKENDS)("callbacks not started when their stream is aborted on $name", (factory) => {
  it.each(BOTH_PROFILES)(
    "a callback waiting in the executor never runs after force destroy or abort (%s)",
    async (profile) => {
      const { manager, device } = setup(factory, { profile });
      const finished: string[] = [];
      device.instrumentation.subscribe((e) => {
        if (e.type === "callback.finished") finished.push(`${e.label}:${e.status}`);
      });
      const holder = manager.create();
      const g = gate();
      holder.launchHostCallback(() => g.promise, { label: "holder" });
      await settle();
      // The serial executor runs the holder; these two reach their callbacks and queue behind it.
      const s = manager.create();
      const t = manager.create();
      const u = manager.create();
      const ran: string[] = [];
      s.launchHostCallback(() => ran.push("s"), { label: "s" });
      t.launchHostCallback(() => ran.push("t"), { label: "t", blocking: false });
      u.launchHostCallback(() => ran.push("u"), { label: "u", blocking: false });
      await settle();
      expect(manager.executor).toMatchObject({ queued: 3 });
      const tSync = rejection(t.synchronize());
      await s.destroy({ force: true });
      await u.destroy({ force: true }); // nothing left on its queue, only the callback
      t.abort();
      expect((await tSync)?.code).toBe("STREAM_ABORT");
      g.open();
      await manager.synchronize();
      await settle();
      expect(ran).toEqual([]);
      expect(finished.sort()).toEqual(["holder:ok", "s:aborted", "t:aborted", "u:aborted"]);
      expect(manager.resourceStats().callbacks).toEqual({
        created: 4,
        succeeded: 1,
        released: 4,
        releaseSucceeded: 4,
      });
      expect(t.state).toBe("COMPLETED");
      expect(manager.stats().draining).toBe(0);
    },
  );

  it("a stop-on-failure stop discards callbacks waiting in the executor on every stream of the device", async () => {
    const { manager, bed } = setup(factory, { profile: "cann" });
    const holder = manager.create();
    const g = gate();
    holder.launchHostCallback(() => g.promise);
    await settle();
    const s = manager.create({ failureMode: "stop" });
    const t = manager.create();
    const ran: string[] = [];
    t.launchHostCallback(() => ran.push("t"));
    await settle();
    bed.failNext("bad");
    s.launch({ name: "bad" });
    expect((await rejection(s.synchronize()))?.code).toBe("KERNEL_FAILED");
    expect((await rejection(t.synchronize()))?.code).toBe("KERNEL_FAILED");
    g.open();
    await settle();
    expect(ran).toEqual([]);
    expect(t.state).toBe("ABORTED");
  });
});
