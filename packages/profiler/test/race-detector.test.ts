import { NpuError } from "@npurt/core";
import { StreamManager } from "@npurt/streams";
import { describe, expect, it } from "vitest";
import { RaceDetector } from "../src/index.js";
import { mockDevice, pipeline, simDevice } from "./fixtures.js";

function setup(device = simDevice()) {
  const races = new RaceDetector().attach(device);
  const manager = new StreamManager(device);
  const a = manager.create();
  const b = manager.create();
  const buf = manager.allocate(256, { tag: "kv-cache" });
  return { races, manager, a, b, buf };
}

describe("RaceDetector", () => {
  it("reports a write on one stream and a read on another with nothing ordering them", async () => {
    for (const device of [simDevice(), mockDevice()]) {
      const { races, manager, a, b, buf } = setup(device);
      a.launch({ name: "mul", outputs: [buf] });
      b.launch({ name: "add", inputs: [buf] });
      await manager.synchronize();
      const found = races.races();
      expect(found).toHaveLength(1);
      const r = found[0]!;
      expect(r.tag).toBe("kv-cache");
      expect(r.buffer).toBe(buf.address);
      expect(r.first).toMatchObject({ op: "mul", access: "write", stream: 1 });
      expect(r.second).toMatchObject({ op: "add", access: "read", stream: 2 });
      expect(r.description).toContain('tag "kv-cache"');
      let thrown: unknown;
      try {
        races.assertNoRaces();
      } catch (error) {
        thrown = error;
      }
      expect(NpuError.isInstance(thrown, "ILLEGAL_STATE")).toBe(true);
    }
  });

  it("tracks parts of a buffer: disjoint parts on two streams do not race, overlapping ones do", async () => {
    for (const device of [simDevice(), mockDevice()]) {
      const { races, manager, a, b, buf } = setup(device);
      // Two halves of one buffer, each written on its own stream: no race.
      a.launch({ name: "relu", outputs: [{ buffer: buf, offset: 0, bytes: 128 }] });
      b.launch({ name: "gelu", outputs: [{ buffer: buf, offset: 128, bytes: 128 }] });
      await manager.synchronize();
      expect(races.races()).toEqual([]);
      // Bytes 96–159 overlap the part stream a writes next, with nothing ordering the two.
      a.launch({ name: "mul", outputs: [{ buffer: buf, offset: 0, bytes: 128 }] });
      b.launch({ name: "add", inputs: [{ buffer: buf, offset: 96, bytes: 64 }] });
      // And a read of the part stream b wrote, ordered by the synchronize above: no race.
      a.launch({ name: "transpose", inputs: [{ buffer: buf, offset: 128, bytes: 128 }] });
      await manager.synchronize();
      const found = races.races();
      expect(found).toHaveLength(1);
      expect(found[0]!.first).toMatchObject({ op: "mul", access: "write", offset: 0, bytes: 128 });
      expect(found[0]!.second).toMatchObject({ op: "add", access: "read", offset: 96, bytes: 64 });
      expect(found[0]!.description).toContain("bytes [96, 160)");
    }
  });

  it("reports a write of the whole buffer racing with an earlier write of a part of it", async () => {
    const { races, manager, a, b, buf } = setup();
    a.launch({ name: "relu", outputs: [{ buffer: buf, offset: 64, bytes: 32 }] });
    b.launch({ name: "gelu", outputs: [buf] });
    await manager.synchronize();
    expect(races.races().map((r) => [r.first.op, r.second.op])).toEqual([["relu", "gelu"]]);
  });

  it("reports nothing once an event orders the two streams", async () => {
    const { races, manager, a, b, buf } = setup();
    const ready = manager.createEvent();
    a.launch({ name: "mul", outputs: [buf] });
    a.record(ready);
    b.waitEvent(ready);
    b.launch({ name: "add", inputs: [buf] });
    // and back: a overwrites only after b's read, ordered by a second event
    const consumed = manager.createEvent();
    b.record(consumed);
    a.waitEvent(consumed);
    a.launch({ name: "mul", outputs: [buf] });
    await manager.synchronize();
    expect(races.races()).toEqual([]);
    expect(() => races.assertNoRaces()).not.toThrow();
  });

  it("orders through a wait for a future record, once the record comes", async () => {
    const { races, manager, a, b, buf } = setup();
    const ready = manager.createEvent();
    b.waitEvent(ready, { future: true });
    b.launch({ name: "add", inputs: [buf] });
    a.launch({ name: "mul", outputs: [buf] });
    a.record(ready);
    await manager.synchronize();
    expect(races.races()).toEqual([]);
  });

  it("counts a host synchronize as ordering, and two reads as no race", async () => {
    const { races, manager, a, b, buf } = setup();
    a.launch({ name: "mul", outputs: [buf] });
    await a.synchronize();
    b.launch({ name: "add", inputs: [buf] });
    a.launch({ name: "add", inputs: [buf] });
    await manager.synchronize();
    expect(races.races()).toEqual([]);
    // After a synchronize every earlier access is ordered; two writes without one are not.
    b.launch({ name: "relu", outputs: [buf] });
    a.launch({ name: "relu", outputs: [buf] });
    await manager.synchronize();
    // A read and a later write on another stream race too.
    a.launch({ name: "add", inputs: [buf] });
    b.launch({ name: "relu", outputs: [buf] });
    await manager.synchronize();
    const found = races.races();
    expect(
      found.map((r) => [
        r.first.op,
        r.first.access,
        r.first.stream,
        r.second.op,
        r.second.access,
        r.second.stream,
      ]),
    ).toEqual([
      ["relu", "write", 2, "relu", "write", 1],
      ["add", "read", 1, "relu", "write", 2],
    ]);
  });

  it("finds no race in the event-ordered pipeline", async () => {
    const device = simDevice();
    const races = new RaceDetector().attach(device);
    await pipeline(device, 4);
    expect(races.races()).toEqual([]);
  });
});
