// Stream-ordered pool memory and the race detector (runtime-semantics §2 item 8: cross-stream
// memory reuse without ordering corrupts data). The pool itself never hands a block to a stream
// that is not ordered after its last use; a user who touches pool memory from another stream
// without an event is reported.
import { createDevice } from "@npurt/core";
import { MockDeviceBackend } from "@npurt/core/testing";
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
    // The read races with the write before it, and with the free after it (nothing orders the
    // free after the side stream's read either).
    expect(races.races().map((r) => [r.first.op, r.second.op])).toEqual([
      ["mul", "copy d2h"],
      ["copy d2h", "freeAsync to pool 1"],
    ]);
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

// The allocation and the free themselves are writes on their stream, at their place among its
// ops: a use on another stream must be ordered after the allocation, and the free after every
// other stream's use.
describe.each([
  ["device-sim", simDevice],
  ["mock", mockDevice],
] as const)("pool allocations and frees as accesses on %s", (_name, make) => {
  function setup() {
    const device = make();
    const races = new RaceDetector().attach(device);
    const manager = new StreamManager(device, { profile: "cuda" });
    return { device, races, manager, s1: manager.create(), s2: manager.create() };
  }
  const sides = (races: RaceDetector) =>
    races.races().map((r) => [r.first.op, r.first.stream, r.second.op, r.second.stream]);

  it("a block allocated on one stream and used on another with no event is a race (stream without work yet)", async () => {
    const { races, manager, s1, s2 } = setup();
    const buffer = s1.allocAsync(256, { tag: "activations" });
    s2.launch({ name: "relu", outputs: [buffer] });
    await manager.synchronize();
    const pool = manager.defaultMemPool().id;
    expect(sides(races)).toEqual([[`allocAsync from pool ${pool}`, s1.id, "relu", s2.id]]);
    const r = races.races()[0]!;
    expect(r).toMatchObject({ buffer: buffer.address, tag: "activations" });
    expect(r.first).toMatchObject({ access: "write", offset: 0, bytes: 256 });
    expect(r.first.opId).toBeLessThan(0);
    expect(r.description).toBe(
      `race on buffer 0x${buffer.address.toString(16)} (tag "activations"): write of bytes [0, 256) by allocAsync from pool ${pool} on stream ${s1.id}, then write of bytes [0, 256) by relu (op ${r.second.opId}) on stream ${s2.id}, with no event or synchronize between them`,
    );
    expect(() => races.assertNoRaces()).toThrow(/allocAsync/);
  });

  it("an allocation after a record is not ordered by a wait on that record; one before it is", async () => {
    const { races, manager, s1, s2 } = setup();
    s1.launch({ name: "noop" }); // s1 has a queue and work before the allocations
    const before = manager.createEvent();
    s1.record(before);
    const late = s1.allocAsync(128);
    const early = manager.createEvent();
    const mine = s1.allocAsync(64);
    s1.record(early);
    s2.waitEvent(before);
    s2.launch({ name: "add", outputs: [late] }); // waited for a record made before `late` existed
    s2.waitEvent(early);
    s2.launch({ name: "mul", outputs: [mine] }); // waited for a record made after `mine`
    await manager.synchronize();
    expect(sides(races).map((r) => r.slice(2))).toEqual([["add", s2.id]]);
    expect(races.races()[0]!.buffer).toBe(late.address);
  });

  it("an allocation on a stream with no work yet is ordered by that stream's first record", async () => {
    const { races, manager, s1, s2 } = setup();
    const buffer = s1.allocAsync(64); // s1 has no queue yet: the record below is its first op
    const ready = manager.createEvent();
    s1.record(ready);
    s1.launch({ name: "relu", inputs: [buffer] }); // its own stream: ordered after the allocation
    s2.waitEvent(ready);
    s2.launch({ name: "add", outputs: [buffer] }); // ordered after the allocation, not after relu
    await manager.synchronize();
    expect(sides(races).map((r) => [r[0], r[2]])).toEqual([["relu", "add"]]);
  });

  it("a stream, device or event synchronize orders the allocation before later work", async () => {
    const { races, manager, s1, s2 } = setup();
    const a = s1.allocAsync(64);
    await s1.synchronize(); // nothing queued on s1, yet the host is now ordered after the allocation
    s2.launch({ name: "add", outputs: [a] });
    const b = s1.allocAsync(64);
    await manager.synchronize();
    s2.launch({ name: "mul", outputs: [b] });
    const ev = manager.createEvent();
    const c = s1.allocAsync(64);
    s1.record(ev);
    await ev.synchronize();
    s2.launch({ name: "gelu", outputs: [c] });
    await manager.synchronize();
    expect(races.races()).toEqual([]);
  });

  it("a synchronize that timed out orders nothing", async () => {
    const { device, races, manager, s1, s2 } = setup();
    const stuck = manager.create();
    stuck.launch({ name: "relu", cost: { durationNs: 50_000_000 } });
    const a = s1.allocAsync(64);
    const waited = await manager.synchronize({ timeoutMs: 1 }).catch((e: unknown) => e);
    expect((waited as { code?: string }).code).toBe("STREAM_SYNC_TIMEOUT");
    s2.launch({ name: "add", outputs: [a] });
    await manager.synchronize();
    expect(sides(races).map((r) => r[2])).toEqual(["add"]);
    expect(device.clock.now()).toBeGreaterThan(0);
  });

  it("a free while another stream may still use the block is a race; ordered by an event it is not", async () => {
    const { races, manager, s1, s2 } = setup();
    const buffer = s1.allocAsync(256);
    s1.launch({ name: "mul", outputs: [buffer] });
    const written = manager.createEvent();
    s1.record(written);
    s2.waitEvent(written);
    s2.copy({ src: buffer, dst: new Uint8Array(256) });
    s1.freeAsync(buffer); // nothing orders the free after s2's copy
    await manager.synchronize();
    const pool = manager.defaultMemPool().id;
    expect(sides(races)).toEqual([["copy d2h", s2.id, `freeAsync to pool ${pool}`, s1.id]]);

    const clean = setup();
    const b = clean.s1.allocAsync(256);
    clean.s1.launch({ name: "mul", outputs: [b] });
    const w = clean.manager.createEvent();
    clean.s1.record(w);
    clean.s2.waitEvent(w);
    clean.s2.copy({ src: b, dst: new Uint8Array(256) });
    const read = clean.manager.createEvent();
    clean.s2.record(read);
    clean.s1.waitEvent(read);
    clean.s1.freeAsync(b);
    await clean.manager.synchronize();
    expect(clean.races.races()).toEqual([]);
  });

  it("a use on another stream ordered only before the free is a race with the free", async () => {
    const { races, manager, s1, s2 } = setup();
    const buffer = s1.allocAsync(64);
    s1.launch({ name: "mul", outputs: [buffer] });
    const ev = manager.createEvent();
    s1.record(ev);
    s1.freeAsync(buffer); // after the record: a wait on it is not ordered after the free
    s2.waitEvent(ev);
    s2.launch({ name: "add", inputs: [buffer] });
    await manager.synchronize();
    expect(sides(races).map((r) => [r[0], r[2]])).toEqual([
      [`freeAsync to pool ${manager.defaultMemPool().id}`, "add"],
    ]);
  });

  it("reuse of a freed block by another stream, as the pool orders it, is not a race", async () => {
    const { races, manager, s1, s2 } = setup();
    const pool = manager.createMemPool({ releaseThreshold: Number.POSITIVE_INFINITY });
    const a = s1.allocAsync(256, { pool });
    s1.launch({ name: "mul", outputs: [a] });
    s1.freeAsync(a);
    await s1.synchronize();
    const b = s2.allocAsync(256, { pool }); // opportunistic: the free has run
    expect(b).toBe(a);
    s2.launch({ name: "add", outputs: [b] });
    s2.freeAsync(b);
    const freed = manager.createEvent();
    s2.record(freed);
    s1.waitEvent(freed);
    const c = s1.allocAsync(256, { pool }); // same block again, after an event from s2's free
    expect(c).toBe(a);
    s1.launch({ name: "gelu", outputs: [c] });
    s1.freeAsync(c);
    await manager.synchronize();
    expect(races.races()).toEqual([]);
  });
});

describe("pool accesses and a device synchronize", () => {
  it("a synchronize of another device does not order an allocation; one of its own device does", async () => {
    const device = createDevice(new MockDeviceBackend({ devices: 2 }));
    const races = new RaceDetector().attach(device);
    const manager = new StreamManager(device, { profile: "cuda" });
    const [s1, s2] = [manager.create(), manager.create()];
    const a = s1.allocAsync(64);
    await manager.synchronize({ device: 1 });
    s2.launch({ name: "add", outputs: [a] });
    const b = s1.allocAsync(64);
    await manager.synchronize({ device: 0 });
    s2.launch({ name: "mul", outputs: [b] });
    await manager.synchronize();
    expect(races.races().map((r) => [r.first.op.split(" ")[0], r.second.op, r.buffer])).toEqual([
      ["allocAsync", "add", a.address],
    ]);
  });
});
