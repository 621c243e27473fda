import { describe, expect, it } from "vitest";
import { simulatedNpu } from "../src/index.js";
import { codeOf, IDEAL, setup, timed } from "./harness.js";

describe("copy engines", () => {
  it("serve copies in issue order whatever the queues' priorities; kernels are arbitrated by priority (§1.6)", async () => {
    // Runtime semantics §1.6, "Effect": priorities affect compute kernels only, not H2D/D2H copies.
    const s = setup({ ...IDEAL, aiCores: 1 });
    const gate = s.device.createCounter();
    const low = s.queue(7);
    const high = s.queue(0);
    const a = s.device.allocate(10_000);
    const b = s.device.allocate(10_000);
    for (const [q, buf] of [
      [low, a],
      [high, b],
    ] as const) {
      s.device.enqueue(q, { kind: "wait", counter: gate, value: 1 });
      s.device.enqueue(q, { kind: "copy", src: new Uint8Array(10_000), dst: buf });
      s.device.enqueue(q, timed(1_000));
    }
    s.device.signalCounter(gate, 1);
    await s.device.idle();
    // One h2d engine at 10 GB/s: 1 µs per copy. The low-priority queue issued first, so its
    // copy runs first...
    expect(s.done(low)[1]).toMatchObject({ startNs: 0, endNs: 1_000 });
    expect(s.done(high)[1]).toMatchObject({ startNs: 1_000, endNs: 2_000 });
    // ...and the kernels follow their copies (low's is ready first; nothing to arbitrate).
    expect(s.done(low)[2]).toMatchObject({ startNs: 1_000, endNs: 2_000 });
    expect(s.done(high)[2]).toMatchObject({ startNs: 2_000, endNs: 3_000 });
  });

  it("two engines of one direction share the host link: together they move no more than one", async () => {
    // tiny at 10 GB/s with two h2d engines: 50 kB alone take 5 µs.
    const s = setup({
      ...IDEAL,
      copyEnginesPerDirection: 2,
      hostCosts: { ...IDEAL.hostCosts, launchNs: 2_500 },
    });
    const q1 = s.queue();
    const q2 = s.queue();
    const a = s.device.allocate(50_000);
    const b = s.device.allocate(50_000);
    s.device.enqueue(q1, { kind: "copy", src: new Uint8Array(50_000), dst: a }); // ready at 2.5 µs
    s.device.enqueue(q2, { kind: "copy", src: new Uint8Array(50_000), dst: b }); // ready at 5 µs
    await s.device.idle();
    // The first runs alone for 2.5 µs (half done), then both share the link: the first
    // finishes its other half at half speed (5 µs), the second then runs alone.
    expect(s.done(q1)[0]).toMatchObject({ startNs: 2_500, endNs: 10_000 });
    expect(s.done(q2)[0]).toMatchObject({ startNs: 5_000, endNs: 12_500 });
    // 100 kB in 10 µs: the link's 10 GB/s, not 20.
  });

  it("a copy's fixed latency takes no link bandwidth; an aborted transfer gives its share back", async () => {
    const s = setup({ ...IDEAL, copyEnginesPerDirection: 2, copyLatencyNs: 1_000 });
    const q1 = s.queue();
    const q2 = s.queue();
    const q3 = s.queue();
    const a = s.device.allocate(40_000);
    const b = s.device.allocate(40_000);
    const c = s.device.allocate(40_000);
    s.device.enqueue(q1, { kind: "copy", src: new Uint8Array(40_000), dst: a });
    s.device.enqueue(q2, { kind: "copy", src: new Uint8Array(40_000), dst: b });
    s.device.enqueue(q3, { kind: "copy", src: new Uint8Array(40_000), dst: c }); // third: waits for an engine
    await new Promise<void>((resolve) => s.device.clock.setTimer(3_000, resolve));
    // Both spent 1 µs of latency, then shared the link for 2 µs: 1 µs of work each done.
    s.device.abortQueue(q2);
    await s.device.idle();
    expect(s.done(q2)[0]).toMatchObject({ status: "aborted", startNs: 0, endNs: 3_000 });
    // q1 alone from 3 µs: 3 µs of work left. q3 took q2's engine at 3 µs: latency to 4 µs, then
    // shares with q1 until q1 ends: q1 does 1 µs alone (to 4), 2 µs shared (to 8)...
    expect(s.done(q1)[0]).toMatchObject({ status: "ok", startNs: 0, endNs: 8_000 });
    // ...and q3, 2 µs done by 8 µs, finishes its last 2 µs alone.
    expect(s.done(q3)[0]).toMatchObject({ status: "ok", startNs: 3_000, endNs: 10_000 });
  });

  it("shared-link timelines replay bit for bit with jitter", async () => {
    const run = async () => {
      const s = setup({ preset: "ascend910", jitter: 0.3, seed: 5 });
      const queues = [s.queue(), s.queue(), s.queue()];
      const bufs = queues.map(() => s.device.allocate(1 << 20));
      for (let i = 0; i < 6; i++) {
        for (const [k, q] of queues.entries()) {
          s.device.enqueue(q, { kind: "copy", src: new Uint8Array(1 << 20), dst: bufs[k]! });
          s.device.enqueue(q, { kind: "copy", src: bufs[k]!, dst: new Uint8Array(1 << 20) });
        }
      }
      await s.device.idle();
      return s.log.map((c) => [c.opId, c.status, c.startNs, c.endNs]);
    };
    const first = await run();
    expect(first.every((c) => c[1] === "ok")).toBe(true);
    expect(await run()).toEqual(first);
  });
});

describe("priority levels", () => {
  it("priorityLevels: 1 is a device without priority support: range [0, 0], first come first served", async () => {
    const npu = simulatedNpu({ ...IDEAL, priorityLevels: 1 });
    expect(npu.capabilities.priorities).toEqual({ supported: false, greatest: 0, least: 0 });
    const s = setup({ ...IDEAL, aiCores: 1, priorityLevels: 1 });
    expect(codeOf(() => s.device.createQueue({ priority: 1 }))).toBe("INVALID_PARAM");
    const gate = s.device.createCounter();
    const queues = [s.queue(0), s.queue(0), s.queue()];
    for (const q of queues) {
      s.device.enqueue(q, { kind: "wait", counter: gate, value: 1 });
      s.device.enqueue(q, timed(100));
    }
    s.device.signalCounter(gate, 1);
    await s.device.idle();
    expect(queues.map((q) => s.done(q)[1]!.startNs)).toEqual([0, 100, 200]);
  });

  it("other level counts set the manifest's range; out-of-range counts are refused", () => {
    expect(simulatedNpu({ priorityLevels: 3 }).capabilities.priorities).toEqual({
      supported: true,
      greatest: 0,
      least: 2,
    });
    expect(simulatedNpu().capabilities.priorities).toEqual({ supported: true, greatest: 0, least: 7 });
    for (const bad of [0, 33, 1.5, Number.NaN, Number.POSITIVE_INFINITY, -1]) {
      expect(codeOf(() => simulatedNpu({ priorityLevels: bad }))).toBe("INVALID_PARAM");
    }
    expect(() => simulatedNpu({ priorityLevels: "8" as unknown as number })).toThrow(TypeError);
  });
});
