import { describe, expect, it } from "vitest";
import { BACKENDS, noop, outcome, setup } from "./backends.js";

describe.each(BACKENDS)("timed-out synchronizes withdraw cleanly on $name (issue 10 defect 8)", (factory) => {
  it("many synchronizes timing out in any order leave the others waiting, and the stream's failure to those", async () => {
    const { manager, bed } = setup(factory);
    const s = manager.create();
    const gate = manager.createEvent();
    s.waitEvent(gate, { future: true });
    bed.failNext("bad");
    s.launch({ name: "bad" });
    // 200 synchronizes: the odd ones time out (longest timeout first registered), the even ones wait.
    const waits = Array.from({ length: 200 }, (_, i) =>
      outcome(s.synchronize(i % 2 === 1 ? { timeoutMs: 1 + ((200 - i) % 7) } : undefined)),
    );
    const timedOut = await Promise.all(waits.filter((_, i) => i % 2 === 1));
    expect(timedOut.every((r) => !r.ok && (r.error as { code: string }).code === "STREAM_SYNC_TIMEOUT")).toBe(
      true,
    );
    const p = manager.create();
    p.launch(noop(1_000));
    p.record(gate);
    const rest = await Promise.all(waits.filter((_, i) => i % 2 === 0));
    // Every synchronize still waiting covers the failure and reports it; the timed-out ones took
    // nothing, and once reported it is gone.
    const codes = rest.map((r) => (r.ok ? "ok" : (r.error as { code: string }).code));
    expect(codes).toEqual(Array.from({ length: 100 }, () => "KERNEL_FAILED"));
    await expect(s.synchronize()).resolves.toBeUndefined();
  });
});

describe.each(BACKENDS)(
  "a timed-out device synchronize on $name (found by the soak, seed 1800)",
  (factory) => {
    it("gives a taken failure back only to its own stream, never to a new stream reusing its pooled record", async () => {
      const { manager, bed } = setup(factory);
      const busy = manager.create();
      bed.hangNext("stuck");
      busy.launch({ name: "stuck" }); // keeps the device synchronize waiting until its timeout
      const a = manager.create();
      bed.failNext("bad");
      a.launch({ name: "bad" });
      const sync = outcome(manager.synchronize({ timeoutMs: 5 })); // takes a's failure when a drains
      await a.destroy(); // a is done: its record goes back to the pool
      const c = manager.create();
      expect(manager.stats().reused).toBe(1);
      const r = await sync;
      expect(r.ok ? "ok" : (r.error as { code: string }).code).toBe("STREAM_SYNC_TIMEOUT");
      c.launch(noop(1_000));
      await expect(c.synchronize()).resolves.toBeUndefined(); // not a's KERNEL_FAILED
      busy.abort();
    });
  },
);

describe.each(BACKENDS)("synchronizes at different points of one stream on $name", (factory) => {
  it("each settles when the stream reaches its own point, with timed-out ones between them skipped", async () => {
    const { manager } = setup(factory);
    const s = manager.create();
    const gate = manager.createEvent();
    s.waitEvent(gate, { future: true }); // holds the stream until the gate is recorded
    const settled: string[] = [];
    const track = (name: string, p: Promise<void>) =>
      outcome(p).then((r) => {
        settled.push(r.ok ? name : `${name}:${(r.error as { code: string }).code}`);
      });
    s.launch(noop(1_000));
    const a = track("a", s.synchronize({ timeoutMs: 1 })); // the oldest: withdrawn at the head
    s.launch(noop(1_000));
    const b = track("b", s.synchronize());
    s.launch(noop(1_000));
    const c = track("c", s.synchronize({ timeoutMs: 1 })); // withdrawn between two waiting ones
    s.launch(noop(1_000));
    const d = track("d", s.synchronize());
    await Promise.all([a, c]);
    expect(settled).toEqual(["a:STREAM_SYNC_TIMEOUT", "c:STREAM_SYNC_TIMEOUT"]);
    const p = manager.create();
    p.record(gate);
    await Promise.all([b, d]);
    expect(settled).toEqual(["a:STREAM_SYNC_TIMEOUT", "c:STREAM_SYNC_TIMEOUT", "b", "d"]);
  });
});
