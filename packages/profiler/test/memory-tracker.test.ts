import { StreamManager } from "@npurt/streams";
import { describe, expect, it } from "vitest";
import { MemoryTracker } from "../src/index.js";
import { mockDevice, pipeline, simDevice } from "./fixtures.js";

describe("MemoryTracker", () => {
  it("gives current and peak bytes per device, tag and stream, with time series", async () => {
    const device = simDevice();
    const memory = new MemoryTracker().attach(device);
    await pipeline(device, 2);
    const dev = memory.byDevice().get(0)!;
    expect(dev.peakBytes).toBe(1024 + 4096);
    expect(dev.currentBytes).toBe(0);
    expect(dev.points.map((p) => p.bytes)).toEqual([1024, 5120, 4096, 0]);
    const kv = memory.byTag().get("kv-cache")!;
    expect(kv).toMatchObject({ peakBytes: 4096, currentBytes: 0 });
    // The producer touches input and kv; the consumer only kv.
    const streams = memory.byStream();
    expect(streams.get(1)!.peakBytes).toBe(5120);
    expect(streams.get(2)!.peakBytes).toBe(4096);
    expect(streams.get(2)!.currentBytes).toBe(0);
    for (const s of [dev, kv, streams.get(1)!]) {
      for (let i = 1; i < s.points.length; i++)
        expect(s.points[i]!.timeNs).toBeGreaterThanOrEqual(s.points[i - 1]!.timeNs);
    }
  });

  it("checkpoints device (and sampled host) memory around each host callback", async () => {
    const device = mockDevice();
    let host = 100;
    const memory = new MemoryTracker({ hostMemory: () => (host += 10) }).attach(device);
    const manager = new StreamManager(device);
    const s = manager.create();
    let grown: unknown;
    s.launchHostCallback(
      () => {
        grown = 1;
      },
      { label: "decode" },
    );
    await s.synchronize();
    const cp = memory.checkpoints();
    expect(grown).toBe(1);
    expect(cp).toHaveLength(1);
    expect(cp[0]).toMatchObject({
      label: "decode",
      stream: 1,
      deviceBytesAtStart: 0,
      deviceBytesAtFinish: 0,
      hostBytesAtStart: 110,
      hostBytesAtFinish: 120,
    });
    expect(cp[0]!.finishedNs).toBeGreaterThanOrEqual(cp[0]!.startedNs);
    expect(() => new MemoryTracker({ hostMemory: 5 as never })).toThrow(TypeError);
  });
});
