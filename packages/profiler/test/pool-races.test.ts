// Stream-ordered pool memory and the race detector (runtime-semantics §2 item 8: cross-stream
// memory reuse without ordering corrupts data). The pool itself never hands a block to a stream
// that is not ordered after its last use; a user who touches pool memory from another stream
// without an event is reported.
import { StreamManager } from "@npurt/streams";
import { describe, expect, it } from "vitest";
import { RaceDetector } from "../src/index.js";
import { mockDevice, simDevice } from "./fixtures.js";

const ONLY_INTERNAL = {
  releaseThreshold: Number.POSITIVE_INFINITY,
  reuseFollowEventDependencies: false,
  reuseAllowOpportunistic: false,
  reuseAllowInternalDependencies: true,
} as const;

describe.each([
  ["device-sim", simDevice],
  ["mock", mockDevice],
] as const)("pool memory and the race detector on %s (runtime-semantics §2 item 8)", (_name, make) => {
  it("a side stream reading pool memory written on another stream with no event is a race", async () => {
    const device = make();
    const races = new RaceDetector().attach(device);
    const manager = new StreamManager(device, { profile: "cuda" });
    const main = manager.create();
    const side = manager.create();
    const buffer = main.allocAsync(256);
    main.launch({ name: "mul", outputs: [buffer] });
    side.copy({ src: buffer, dst: new Uint8Array(256) }); // the torchrec side-stream D2H copy
    main.freeAsync(buffer);
    await manager.synchronize();
    expect(races.races()).toHaveLength(1);
    expect(races.races()[0]!.buffer).toBe(buffer.address);
  });

  it("the same use ordered by an event is not a race", async () => {
    const device = make();
    const races = new RaceDetector().attach(device);
    const manager = new StreamManager(device, { profile: "cuda" });
    const main = manager.create();
    const side = manager.create();
    const buffer = main.allocAsync(256);
    main.launch({ name: "mul", outputs: [buffer] });
    const written = manager.createEvent();
    main.record(written);
    side.waitEvent(written);
    side.copy({ src: buffer, dst: new Uint8Array(256) });
    const read = manager.createEvent();
    side.record(read);
    main.waitEvent(read); // the free must follow the side stream's use too
    main.freeAsync(buffer);
    await manager.synchronize();
    expect(races.races()).toEqual([]);
  });

  it("a block the pool hands to another stream through an internal dependency is ordered, not a race", async () => {
    const device = make();
    const races = new RaceDetector().attach(device);
    const manager = new StreamManager(device, { profile: "cuda" });
    const pool = manager.createMemPool(ONLY_INTERNAL);
    const s1 = manager.create();
    const s2 = manager.create();
    const a = s1.allocAsync(256, { pool });
    s1.launch({ name: "mul", outputs: [a], cost: { durationNs: 50_000 } });
    s1.freeAsync(a);
    const b = s2.allocAsync(256, { pool });
    expect(b).toBe(a);
    s2.launch({ name: "add", outputs: [b] });
    s2.freeAsync(b);
    await manager.synchronize();
    expect(races.races()).toEqual([]);
  });
});
