import { StreamManager } from "@npurt/streams";
import { describe, expect, it } from "vitest";
import { formatSummary, summarize, TraceRecorder } from "../src/index.js";
import { mockDevice, pipeline, simDevice } from "./fixtures.js";

async function run(durationNs: number, kernels: number, device = simDevice()) {
  const recorder = new TraceRecorder().attach(device);
  const manager = new StreamManager(device);
  const s = manager.create();
  for (let i = 0; i < kernels; i++) s.launch({ name: i % 2 ? "add" : "mul", cost: { durationNs } });
  await s.synchronize();
  await s.destroy();
  return summarize(recorder.recording());
}

describe("summary", () => {
  it("gives per-kernel counts and exact percentiles of stated durations", async () => {
    const device = mockDevice();
    const recorder = new TraceRecorder().attach(device);
    const manager = new StreamManager(device);
    const s = manager.create();
    // 100 kernels "k" of 1 … 100 µs: p50 = 50 µs, p95 = 95 µs, p99 = 99 µs (nearest rank).
    for (let i = 1; i <= 100; i++) s.launch({ name: "k", cost: { durationNs: i * 1000 } });
    await s.synchronize();
    const k = summarize(recorder.recording()).kernels.find((x) => x.name === "k")!;
    expect(k).toMatchObject({
      count: 100,
      totalNs: 5_050_000,
      meanNs: 50_500,
      p50Ns: 50_000,
      p95Ns: 95_000,
      p99Ns: 99_000,
    });
  });

  it("says a stream of tiny kernels is bound by host submission, and long kernels by compute", async () => {
    const tiny = await run(10, 50);
    expect(tiny.criticalPath.boundBy).toBe("host-submission");
    expect(tiny.hostBusyFraction).toBeGreaterThan(0.5);
    const long = await run(1_000_000, 50);
    expect(long.criticalPath.boundBy).toBe("compute");
    expect(long.engines.find((e) => e.engine === "compute")!.utilisation).toBeGreaterThan(0.9);
    expect(long.criticalPath.opIds.length).toBe(50);
  });

  it("reports copies overlapping compute across streams", async () => {
    const device = simDevice();
    const recorder = new TraceRecorder().attach(device);
    const manager = new StreamManager(device);
    const a = manager.create();
    const b = manager.create();
    const buf = manager.allocate(1 << 20);
    for (let i = 0; i < 4; i++) {
      a.launch({ name: "add", cost: { durationNs: 200_000 } });
      b.copy({ src: new Uint8Array(1 << 20), dst: buf });
    }
    await manager.synchronize();
    const s = summarize(recorder.recording());
    expect(s.overlap.bothNs).toBeGreaterThan(0);
    expect(s.overlap.fraction).toBeGreaterThan(0.5);
    const text = formatSummary(s);
    expect(text).toMatch(/copy time hidden behind compute/);
    expect(text).toMatch(/^add +4 /m);
  });

  it("prints the same text for the same seed, and refuses what is not a recording", async () => {
    const text = async () => {
      const device = simDevice(3);
      const r = new TraceRecorder().attach(device);
      await pipeline(device, 4);
      return formatSummary(summarize(r.recording()));
    };
    expect(await text()).toBe(await text());
    expect(() => summarize(undefined as never)).toThrow(TypeError);
    expect(formatSummary(summarize(new TraceRecorder().recording()))).toMatch(/no kernels/);
  });
});
