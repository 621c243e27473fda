import { describe, expect, it, vi } from "vitest";
import { DEFAULT_HOST_COSTS } from "../src/index.js";
import { IDEAL, setup, sleep, timed } from "./harness.js";

describe("host time", () => {
  it("API calls advance the host's virtual time by their costs", () => {
    const s = setup({ preset: "tiny" });
    const c = DEFAULT_HOST_COSTS;
    const now = () => s.device.clock.now();
    expect(now()).toBe(0);
    const q = s.queue();
    expect(now()).toBe(c.queueCreateNs);
    const counter = s.device.createCounter();
    s.device.enqueue(q, timed(10));
    expect(now()).toBe(c.queueCreateNs + c.launchNs);
    s.device.enqueue(q, { kind: "signal", counter, value: 1 });
    s.device.enqueue(q, { kind: "wait", counter, value: 1 });
    expect(now()).toBe(c.queueCreateNs + c.launchNs + c.recordNs + c.waitNs);
    s.device.signalCounter(counter, 2);
    expect(now()).toBe(c.queueCreateNs + c.launchNs + c.recordNs + c.waitNs + c.callbackDispatchNs);
    // The host sees its own signal at once.
    expect(s.device.counterValue(counter)).toBe(2);
    s.device.close();
  });

  it("an op does not start before the host time it was enqueued at", async () => {
    const s = setup({ ...IDEAL, hostCosts: { ...IDEAL.hostCosts, launchNs: 3_000 } });
    const q = s.queue();
    for (let i = 0; i < 3; i++) s.device.enqueue(q, timed(10));
    await s.device.drain(q);
    expect(s.done(q).map((c) => c.startNs)).toEqual([3_000, 6_000, 9_000]);
  });

  it("synchronizing after every kernel costs (K-1)·(D + wake-up) more than spreading them over queues", async () => {
    const K = 6;
    const D = 20_000;
    const config = { preset: "tiny" as const, aiCores: 8, kernelLaunchNs: 0 };
    const { launchNs: L, syncWakeNs: W } = DEFAULT_HOST_COSTS;
    // The closed forms below assume the kernels outlast the launches and a wake-up is shorter
    // than a launch (so each completion finds the host idle).
    expect(D).toBeGreaterThan((K - 1) * L);
    expect(L).toBeGreaterThan(W);

    const sync = setup(config);
    const q = sync.queue();
    const t0 = sync.device.clock.now();
    for (let i = 0; i < K; i++) {
      sync.device.enqueue(q, timed(D));
      await sync.device.drain(q);
    }
    const syncTime = sync.device.clock.now() - t0;

    const spread = setup(config);
    const queues = Array.from({ length: K }, () => spread.queue());
    const t1 = spread.device.clock.now();
    for (const each of queues) spread.device.enqueue(each, timed(D));
    await spread.device.idle();
    const spreadTime = spread.device.clock.now() - t1;

    expect(syncTime).toBe(K * (L + D + W));
    expect(spreadTime).toBe(K * L + D + W);
    expect(syncTime - spreadTime).toBe((K - 1) * (D + W));
    // On the device, the spread kernels overlapped.
    const starts = queues.map((each) => spread.done(each)[0]!.startNs);
    expect(starts).toEqual(Array.from({ length: K }, (_, i) => t1 + (i + 1) * L));
  });

  it("timers are simulation events: they fire at their virtual instant, in order with completions", async () => {
    const s = setup(IDEAL);
    const q = s.queue();
    const clock = s.device.clock;
    const fired: [string, number][] = [];
    s.device.enqueue(q, timed(100_000));
    clock.setTimer(10_000, () => fired.push(["a", clock.now()]));
    const cancelled = clock.setTimer(20_000, () => fired.push(["cancelled", clock.now()]));
    clock.setTimer(30_000, () => fired.push(["b", clock.now()]));
    clock.clearTimer(cancelled);
    clock.clearTimer(9999);
    await sleep(clock, 50_000);
    // The host woke at 50 µs, before the kernel ends: it can still submit work that starts now.
    expect(clock.now()).toBe(50_000);
    expect(fired).toEqual([
      ["a", 10_000],
      ["b", 30_000],
    ]);
    const late = s.queue();
    s.device.enqueue(late, timed(10));
    await s.device.idle();
    expect(s.done(late)[0]!.startNs).toBe(50_000);
    expect(s.done(q)[0]!.endNs).toBe(100_000);
  });

  it("setting a timer wakes an idle engine; a throwing timer callback does not stop it", async () => {
    const s = setup(IDEAL);
    const errors = vi.spyOn(console, "error").mockImplementation(() => {});
    s.device.clock.setTimer(1_000, () => {
      throw new Error("timer bug");
    });
    await sleep(s.device.clock, 2_000);
    expect(s.device.clock.now()).toBe(2_000);
    expect(errors).toHaveBeenCalledTimes(1);
    errors.mockRestore();
    expect(() => s.device.clock.setTimer(Number.NaN, () => {})).toThrow();
  });

  it("a timeout in virtual time is deterministic", async () => {
    const race = async () => {
      const s = setup({ preset: "tiny", seed: 5, jitter: 0.3 });
      const q = s.queue();
      for (let i = 0; i < 10; i++) s.device.enqueue(q, timed(10_000));
      const timedOut = await Promise.race([
        s.device.drain(q).then(() => false),
        sleep(s.device.clock, 60_000).then(() => true),
      ]);
      return { timedOut, now: s.device.clock.now(), pending: s.device.pending(q) };
    };
    const first = await race();
    expect(first.timedOut).toBe(true);
    expect(await race()).toEqual(first);
  });

  it("a cleared timer does not move device time: later work starts at the host's time", async () => {
    const s = setup(IDEAL);
    const q = s.queue();
    // A synchronize with a 10 ms timeout that the kernel beats.
    const timeout = s.device.clock.setTimer(10_000_000, () => {});
    s.device.enqueue(q, timed(1_000));
    await s.device.drain(q);
    s.device.clock.clearTimer(timeout);
    // The host yields to the event loop (I/O, another library) before submitting more; the
    // engine runs meanwhile and must not jump to the cleared timer's instant.
    await new Promise((resolve) => setImmediate(resolve));
    s.device.enqueue(q, timed(1_000));
    await s.device.drain(q);
    expect(s.done(q).map((c) => c.startNs)).toEqual([0, 1_000]);
    expect(s.device.clock.now()).toBe(2_000);
  });
});
