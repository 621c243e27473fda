import { describe, expect, it } from "vitest";
import { IDEAL, setup, timed } from "./harness.js";

describe("priority arbitration and resources", () => {
  it("among ready work, the more urgent queue goes first", async () => {
    const s = setup({ ...IDEAL, aiCores: 1 });
    const gate = s.device.createCounter();
    const priorities = [3, 1, 0, 2];
    const queues = priorities.map((p) => s.queue(p));
    for (const q of queues) {
      s.device.enqueue(q, { kind: "wait", counter: gate, value: 1 });
      s.device.enqueue(q, timed(100));
    }
    s.device.signalCounter(gate, 1);
    await s.device.idle();
    const starts = queues.map((q) => s.done(q)[1]!.startNs);
    // Priority 0 at 0 ns, then 1, 2, 3, one core each 100 ns.
    expect(starts).toEqual([300, 100, 0, 200]);
  });

  it("never preempts running work, and never backfills past a head that does not fit", async () => {
    // Each launch costs the host 100 ns, so low is ready at 100, high at 200, small at 300.
    const s = setup({ ...IDEAL, aiCores: 4, hostCosts: { ...IDEAL.hostCosts, launchNs: 100 } });
    const low = s.queue(7);
    const high = s.queue(0);
    const small = s.queue(0);
    s.device.enqueue(low, timed(1_000, 3));
    s.device.enqueue(high, timed(1_000, 2));
    s.device.enqueue(small, timed(500, 1));
    await s.device.idle();
    expect(s.done(low)[0]).toMatchObject({ startNs: 100, endNs: 1_100 });
    // high needs 2 cores but only 1 is free until low ends; small (same priority, ready later)
    // waits behind it rather than taking the free core.
    expect(s.done(high)[0]).toMatchObject({ startNs: 1_100, endNs: 2_100 });
    expect(s.done(small)[0]).toMatchObject({ startNs: 1_100, endNs: 1_600 });
  });

  it("kernels share the AI cores: blockDim decides how many run at once", async () => {
    const s = setup({ ...IDEAL, aiCores: 4 });
    const queues = [s.queue(), s.queue(), s.queue()];
    for (const q of queues) s.device.enqueue(q, timed(1_000, 2));
    await s.device.idle();
    expect(queues.map((q) => s.done(q)[0]!.startNs)).toEqual([0, 0, 1_000]);
  });

  it("copy engines run alongside compute; copies of one direction share their engines", async () => {
    // tiny: 10 GB/s each way, one engine per direction; IDEAL: no fixed copy latency.
    const s = setup(IDEAL);
    const compute = s.queue();
    const up1 = s.queue();
    const up2 = s.queue();
    const down = s.queue();
    const a = s.device.allocate(50_000);
    const b = s.device.allocate(50_000);
    s.device.enqueue(compute, timed(10_000, 4));
    s.device.enqueue(up1, { kind: "copy", src: new Uint8Array(50_000), dst: a });
    s.device.enqueue(up2, { kind: "copy", src: new Uint8Array(50_000), dst: b });
    s.device.enqueue(down, { kind: "copy", src: b, dst: new Uint8Array(50_000) });
    await s.device.idle();
    expect(s.done(compute)[0]).toMatchObject({ startNs: 0, endNs: 10_000 });
    expect(s.done(up1)[0]).toMatchObject({ startNs: 0, endNs: 5_000 });
    expect(s.done(up2)[0]).toMatchObject({ startNs: 5_000, endNs: 10_000 });
    expect(s.done(down)[0]).toMatchObject({ startNs: 0, endNs: 5_000 });
  });

  it("derives durations from the roofline model when no duration is stated", async () => {
    // tiny: 4 cores, 1 TFLOP/s, 100 GB/s; a kernel on 2 cores gets half of each roof.
    const s = setup({ preset: "tiny", hostCosts: IDEAL.hostCosts!, kernelLaunchNs: 700, copyLatencyNs: 300 });
    const q = s.queue();
    const x = s.device.allocate(4_000);
    const y = s.device.allocate(4_000);
    s.device.enqueue(q, { kind: "kernel", name: "noop", blockDim: 2, cost: { flops: 1e6, bytes: 1e3 } });
    s.device.enqueue(q, { kind: "kernel", name: "noop", blockDim: 4, cost: { flops: 1, bytes: 1e6 } });
    // add: 1 flop and 12 bytes per element (1000 elements), on 1 core.
    s.device.enqueue(q, { kind: "kernel", name: "add", inputs: [x, x], outputs: [y] });
    s.device.enqueue(q, { kind: "copy", src: x, dst: y });
    s.device.enqueue(q, { kind: "fill", dst: y, value: 1 });
    await s.device.drain(q);
    const d = s.done(q).map((c) => c.endNs - c.startNs);
    expect(d[0]).toBe(700 + 2_000); // compute-bound: 1e6 / 0.5e12 s
    expect(d[1]).toBe(700 + 10_000); // memory-bound: 1e6 / 100e9 s
    expect(d[2]).toBe(700 + 480); // 12e3 bytes / 25e9 B/s
    expect(d[3]).toBe(300 + 80); // 4e3 / 50e9 (d2d)
    expect(d[4]).toBe(300 + 80);
  });

  it("below createDevice: a kernel asking for more cores than the device has fails; a bad priority is refused", async () => {
    const { simulatedNpu } = await import("../src/index.js");
    const npu = simulatedNpu(IDEAL);
    const seen: unknown[] = [];
    npu.connect({
      complete: (c) => {
        seen.push(c);
        return false;
      },
    });
    const q = npu.createQueue(0, { priority: 0 });
    npu.enqueue(q, 1, {
      kind: "kernel",
      name: "noop",
      blockDim: 5,
      inputs: [],
      outputs: [],
      params: undefined,
      cost: undefined,
    });
    npu.enqueue(q, 2, {
      kind: "kernel",
      name: "noop",
      blockDim: 1,
      inputs: [],
      outputs: [],
      params: undefined,
      cost: undefined,
    });
    await new Promise((r) => setTimeout(r, 5));
    expect(seen).toMatchObject([
      { opId: 1, status: "error", failure: { code: "INVALID_PARAM" } },
      { opId: 2, status: "ok" },
    ]);
    // A priority outside the manifest's range is refused at once, not when the engine runs.
    expect(() => npu.createQueue(0, { priority: 9 })).toThrow(/priority/);
    expect(() => npu.createQueue(0, { priority: -1 })).toThrow(/priority/);
  });
});

describe("abort", () => {
  it("stops a running kernel at the abort instant (STREAM_ABORT) and frees its cores; queued ops are aborted", async () => {
    // Runtime semantics §1.1, "Abort / stop" (CANN aclrtStreamAbort stops the running task).
    const s = setup({ ...IDEAL, aiCores: 1 });
    const busy = s.queue(0);
    const q = s.queue(7);
    s.device.enqueue(busy, timed(1_000));
    s.device.enqueue(q, timed(500)); // ready, waiting for the core
    s.device.enqueue(q, timed(500));
    const running = s.queue(0);
    s.device.enqueue(running, timed(2_000, 1));
    const other = s.queue(7);
    s.device.enqueue(other, timed(300)); // waits for the core behind `running`
    await new Promise<void>((resolve) => s.device.clock.setTimer(1_500, resolve));
    // Now: busy is done, `running` holds the core (priority 0), q's head is ready behind it.
    s.device.abortQueue(q);
    s.device.abortQueue(running);
    s.device.enqueue(running, timed(100));
    await s.device.idle();
    expect(s.done(q).map((c) => c.status)).toEqual(["aborted", "aborted"]);
    expect(s.done(q).map((c) => c.endNs)).toEqual([1_500, 1_500]);
    expect(s.done(running).map((c) => [c.status, c.failure?.code, c.startNs, c.endNs])).toEqual([
      ["aborted", "STREAM_ABORT", 1_000, 1_500],
      ["ok", undefined, 1_500, 1_600],
    ]);
    // The stopped kernel's core went back at 1.5 µs, where the urgent op enqueued on `running`
    // after the abort took it; `other` followed (without the stop it would wait until 3 µs).
    expect(s.done(other)[0]).toMatchObject({ status: "ok", startNs: 1_600, endNs: 1_900 });
    // The aborted queue takes new work normally.
    s.device.enqueue(q, timed(10));
    await s.device.drain(q);
    expect(s.done(q)[2]).toMatchObject({ status: "ok" });
  });

  it("stops a running copy: it ends at the abort instant and leaves its destination untouched", async () => {
    const s = setup(IDEAL); // tiny: 10 GB/s h2d, so 40 kB take 4 µs
    const q = s.queue();
    const buf = s.device.allocate(40_000);
    s.device.enqueue(q, { kind: "fill", dst: buf, value: 7 });
    await s.device.drain(q);
    s.device.enqueue(q, { kind: "copy", src: new Uint8Array(40_000).fill(1), dst: buf });
    const start = s.device.clock.now();
    await new Promise<void>((resolve) => s.device.clock.setTimer(1_000, resolve));
    s.device.abortQueue(q);
    await s.device.idle();
    expect(s.done(q)[1]).toMatchObject({ status: "aborted", startNs: start, endNs: start + 1_000 });
    const out = s.download(q, buf);
    await s.device.drain(q);
    expect(out.every((v) => v === new Float32Array(new Uint8Array(4).fill(7).buffer)[0])).toBe(true);
  });

  it("an op that ends at the abort instant keeps its own result", async () => {
    const s = setup({ ...IDEAL, aiCores: 1 });
    const q = s.queue();
    s.device.enqueue(q, timed(1_000));
    s.device.enqueue(q, timed(1_000));
    await new Promise<void>((resolve) => s.device.clock.setTimer(1_000, resolve));
    s.device.abortQueue(q);
    await s.device.idle();
    expect(s.done(q).map((c) => [c.status, c.startNs, c.endNs])).toEqual([
      ["ok", 0, 1_000],
      ["aborted", 1_000, 1_000],
    ]);
  });

  it("after aborting a ready kernel, the queue's next op waits for its own resource only", async () => {
    const s = setup({ ...IDEAL, aiCores: 1 });
    const busy = s.queue(0);
    const q = s.queue(7);
    s.device.enqueue(busy, timed(10_000));
    s.device.enqueue(q, timed(500)); // ready, waiting for the only core
    await new Promise<void>((resolve) => s.device.clock.setTimer(1_000, resolve));
    s.device.abortQueue(q);
    const buf = s.device.allocate(16);
    s.device.enqueue(q, { kind: "copy", src: new Float32Array([1, 2, 3, 4]), dst: buf });
    s.device.enqueue(q, timed(100));
    const out = s.download(q, buf);
    await s.device.idle();
    expect(s.done(q).map((c) => [c.status, c.startNs, c.endNs])).toEqual([
      ["aborted", 1_000, 1_000],
      // The copy runs on the h2d engine at once, not on the core once `busy` frees it.
      ["ok", 1_000, 1_002],
      ["ok", 10_000, 10_100],
      ["ok", 10_100, 10_102],
    ]);
    expect(Array.from(out)).toEqual([1, 2, 3, 4]);
  });
});
