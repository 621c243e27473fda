// The `host.wait` instrumentation events: every public synchronize the host awaits (a stream's,
// the manager's device-wide one, an event's) reports its call and its settling, paired by id, on
// the device's bus — and only while someone listens.
import type { HostWaitEvent, InstrumentationEvent } from "@npurt/core";
import { describe, expect, it } from "vitest";
import { BACKENDS, noop, rejection, setup } from "./backends.js";

function hostWaits(seen: InstrumentationEvent[]): HostWaitEvent[] {
  return seen.filter((e): e is HostWaitEvent => e.type === "host.wait");
}

describe.each(BACKENDS)("host.wait events on $name", (factory) => {
  it("reports each synchronize's call and settling, paired by id, on the device clock", async () => {
    const { manager, device } = setup(factory);
    const seen: InstrumentationEvent[] = [];
    const off = device.instrumentation.subscribe((e) => seen.push(e));
    const s = manager.create();
    const ev = manager.createEvent();
    s.launch(noop(5_000));
    const t0 = device.clock.now();
    await s.synchronize();
    const t1 = device.clock.now();
    s.launch(noop());
    s.record(ev);
    await ev.synchronize();
    await manager.synchronize({ device: 0 });
    await manager.synchronize();
    off();
    const waits = hostWaits(seen);
    expect(waits.map((e) => [e.phase, e.target, e.id, e.outcome])).toEqual([
      ["begin", "stream", s.id, undefined],
      ["end", "stream", s.id, "ok"],
      ["begin", "event", ev.id, undefined],
      ["end", "event", ev.id, "ok"],
      ["begin", "device", 0, undefined],
      ["end", "device", 0, "ok"],
      ["begin", "device", undefined, undefined],
      ["end", "device", undefined, "ok"],
    ]);
    expect(waits[0]!.time).toBe(t0);
    expect(waits[1]!.time).toBe(t1);
    expect(t1 - t0).toBeGreaterThanOrEqual(5_000);
    // Ids pair a begin with its end and differ between waits.
    expect(waits.map((e) => e.wait)).toEqual([1, 1, 2, 2, 3, 3, 4, 4].map((k) => waits[0]!.wait + k - 1));
  });

  it("reports a timeout and a failure with their codes, and a refused call as ended at once", async () => {
    const { manager, device, bed } = setup(factory);
    const seen: InstrumentationEvent[] = [];
    device.instrumentation.subscribe((e) => seen.push(e));
    const s = manager.create();
    bed.failNext("bad");
    s.launch(noop(1_000, "bad"));
    const failed = await rejection(s.synchronize());
    const refused = await rejection(s.synchronize({ timeoutMs: "soon" as never }));
    const t = manager.create();
    bed.hangNext("stuck");
    t.launch(noop(1_000, "stuck"));
    const begin = device.clock.now();
    const timedOut = await rejection(t.synchronize({ timeoutMs: 3 }));
    const ends = hostWaits(seen).filter((e) => e.phase === "end");
    expect(ends.map((e) => [e.outcome, e.code])).toEqual([
      ["error", failed!.code],
      ["error", refused!.code],
      ["timeout", "STREAM_SYNC_TIMEOUT"],
    ]);
    expect(timedOut!.code).toBe("STREAM_SYNC_TIMEOUT");
    expect(ends[2]!.time - begin).toBe(3e6);
    t.abort();
  });

  it("reports no wait for a destroyed handle's synchronize, which is refused", async () => {
    const { manager, device } = setup(factory);
    const s = manager.create();
    s.launch(noop());
    await s.synchronize();
    const seen: InstrumentationEvent[] = [];
    const off = device.instrumentation.subscribe((e) => seen.push(e));
    await s.destroy();
    expect((await rejection(s.synchronize()))?.code).toBe("INVALID_HANDLE");
    off();
    expect(hostWaits(seen)).toEqual([]);
  });
});
