import type { InstrumentationEvent, PoolAllocatedEvent } from "@npurt/core";
import { describe, expect, it } from "vitest";
import { BACKENDS, BOTH_PROFILES, noop, rejection, setup, thrown } from "./backends.js";

const KEEP = { releaseThreshold: Number.POSITIVE_INFINITY } as const;
const ONLY_STREAM_ORDER = {
  ...KEEP,
  reuseFollowEventDependencies: false,
  reuseAllowOpportunistic: false,
  reuseAllowInternalDependencies: false,
} as const;

function poolEvents(events: InstrumentationEvent[]): PoolAllocatedEvent[] {
  return events.filter((e): e is PoolAllocatedEvent => e.type === "pool.allocated");
}

describe.each(BACKENDS)(
  "stream-ordered memory pools on $name (runtime-semantics §1.4 Stream-ordered alloc)",
  (factory) => {
    describe.each(BOTH_PROFILES)("profile %s", (profile) => {
      it("§1.4 Stream-ordered alloc: the buffer is returned at once and usable by later work on the stream", async () => {
        const { manager } = setup(factory, { profile });
        const s = manager.create();
        const buffer = s.allocAsync(16, { dtype: "uint8" });
        expect(buffer.dtype).toBe("uint8");
        s.fill({ dst: buffer, value: 5 });
        const out = new Uint8Array(16);
        s.copy({ src: buffer, dst: out });
        s.freeAsync(buffer);
        await s.synchronize();
        expect([...out]).toEqual(new Array(16).fill(5));
      });

      it("§1.4 Stream-ordered alloc: a free returns the block to the pool, and the same stream reuses it", async () => {
        const { manager, device } = setup(factory, { profile });
        const pool = manager.createMemPool(KEEP);
        const s = manager.create();
        const before = device.memoryInfo().allocations;
        const a = s.allocAsync(256, { pool });
        s.launch({ ...noop(5_000), outputs: [a] });
        s.freeAsync(a);
        const b = s.allocAsync(256, { pool });
        expect(b).toBe(a); // the same block, no device allocation
        expect(device.memoryInfo().allocations).toBe(before + 1);
        expect(pool.stats()).toMatchObject({
          reservedBytes: 256,
          usedBytes: 256,
          allocations: 1,
          idleBlocks: 0,
          reused: { sameStream: 1 },
        });
        s.freeAsync(b);
        await s.synchronize();
        // Freed memory stays in the pool (release threshold above it), not on the device.
        expect(pool.stats()).toMatchObject({
          reservedBytes: 256,
          usedBytes: 0,
          idleBlocks: 1,
          usedHighBytes: 256,
        });
        expect(device.memoryInfo().allocations).toBe(before + 1);
      });

      it("§1.4 Stream-ordered alloc: another stream reuses a free only through an event recorded after it", async () => {
        const { manager } = setup(factory, { profile });
        const pool = manager.createMemPool(ONLY_STREAM_ORDER);
        const producer = manager.create();
        const consumer = manager.create();
        const a = producer.allocAsync(64, { pool });
        producer.launch({ ...noop(10_000), outputs: [a] });
        producer.freeAsync(a);
        // No ordering between the streams yet: the block must not be handed over.
        const fresh = consumer.allocAsync(64, { pool });
        expect(fresh).not.toBe(a);
        const done = manager.createEvent();
        producer.record(done);
        consumer.waitEvent(done);
        pool.setAttribute("reuseFollowEventDependencies", true);
        expect(consumer.allocAsync(64, { pool })).toBe(a);
        expect(pool.stats().reused.eventDependency).toBe(1);
        consumer.freeAsync(a);
        consumer.freeAsync(fresh);
        await manager.synchronize();
      });

      it("§1.4 Stream-ordered alloc: with reuse-follow-event-dependencies off, an event-ordered free is not reused", async () => {
        const { manager } = setup(factory, { profile });
        const pool = manager.createMemPool(ONLY_STREAM_ORDER);
        const producer = manager.create();
        const consumer = manager.create();
        const a = producer.allocAsync(64, { pool });
        producer.freeAsync(a);
        const done = manager.createEvent();
        producer.record(done);
        consumer.waitEvent(done);
        expect(consumer.allocAsync(64, { pool })).not.toBe(a);
        await manager.synchronize();
      });

      it("§1.4 Stream-ordered alloc: opportunistic reuse takes a free that has completed on the device, and can be turned off", async () => {
        const { manager } = setup(factory, { profile });
        const pool = manager.createMemPool({ ...ONLY_STREAM_ORDER, reuseAllowOpportunistic: true });
        const s1 = manager.create();
        const s2 = manager.create();
        const a = s1.allocAsync(128, { pool });
        s1.launch({ ...noop(), outputs: [a] });
        s1.freeAsync(a);
        await s1.synchronize(); // the free has run
        expect(s2.allocAsync(128, { pool })).toBe(a);
        expect(pool.stats().reused.opportunistic).toBe(1);
        s2.freeAsync(a);
        await s2.synchronize();
        pool.setAttribute("reuseAllowOpportunistic", false);
        const s3 = manager.create();
        expect(s3.allocAsync(128, { pool })).not.toBe(a);
      });

      it("§1.4 Stream-ordered alloc: internal-dependency reuse makes the allocating stream wait for the freeing one", async () => {
        const { manager } = setup(factory, { profile });
        const pool = manager.createMemPool({ ...ONLY_STREAM_ORDER, reuseAllowInternalDependencies: true });
        const s1 = manager.create();
        const s2 = manager.create();
        const a = s1.allocAsync(128, { pool });
        const writer = s1.launch({ ...noop(50_000), outputs: [a] });
        s1.freeAsync(a);
        const b = s2.allocAsync(128, { pool });
        expect(b).toBe(a);
        expect(pool.stats().reused.internalDependency).toBe(1);
        const next = s2.launch({ ...noop(1_000), outputs: [b] });
        s2.freeAsync(b);
        await manager.synchronize();
        expect(next.startNs!).toBeGreaterThanOrEqual(writer.endNs!);
      });

      it("§1.4 Stream-ordered alloc: idle memory above the release threshold goes back at the next synchronize; trimTo overrides", async () => {
        const { manager, device } = setup(factory, { profile });
        const base = device.memoryInfo();
        const pool = manager.createMemPool(); // threshold 0, the runtimes' default
        const s = manager.create();
        const a = s.allocAsync(4096, { pool });
        const b = s.allocAsync(4096, { pool });
        s.freeAsync(a);
        s.freeAsync(b);
        expect(pool.stats().reservedBytes).toBe(8192);
        await s.synchronize();
        expect(pool.stats()).toMatchObject({ reservedBytes: 0, reservedHighBytes: 8192, idleBlocks: 0 });
        expect(device.memoryInfo().allocations).toBe(base.allocations);
        pool.setAttribute("releaseThreshold", 4096);
        s.freeAsync(s.allocAsync(4096, { pool }));
        s.freeAsync(s.allocAsync(2048, { pool }));
        const c = s.allocAsync(4096, { pool }); // reuses the first block (same stream)
        s.freeAsync(c);
        await s.synchronize();
        expect(pool.stats().reservedBytes).toBeLessThanOrEqual(4096);
        expect(pool.trimTo(0)).toBeGreaterThan(0);
        expect(pool.stats().reservedBytes).toBe(0);
        pool.resetHighWatermarks();
        expect(pool.stats().reservedHighBytes).toBe(0);
      });

      it("§1.4 Stream-ordered alloc: a device synchronize gives idle memory above the threshold back too", async () => {
        const { manager, device } = setup(factory, { profile });
        const base = device.memoryInfo();
        const pool = manager.createMemPool(); // threshold 0
        const s = manager.create();
        s.freeAsync(s.allocAsync(4096, { pool }));
        expect(pool.stats().reservedBytes).toBe(4096);
        await manager.synchronize();
        expect(pool.stats().reservedBytes).toBe(0);
        expect(device.memoryInfo().allocations).toBe(base.allocations);
      });

      it("§1.4 Stream-ordered alloc: trimTo keeps a block whose free has not run yet", async () => {
        const { manager } = setup(factory, { profile });
        const pool = manager.createMemPool(KEEP);
        const s = manager.create();
        const a = s.allocAsync(512, { pool });
        s.launch({ ...noop(100_000), outputs: [a] });
        s.freeAsync(a);
        expect(pool.trimTo(0)).toBe(0);
        await s.synchronize();
        expect(pool.trimTo(0)).toBe(512);
      });

      it("§2 item 8: the pool emits allocation and free events naming stream, pool, address and size", async () => {
        const { manager, device } = setup(factory, { profile });
        const events: InstrumentationEvent[] = [];
        device.instrumentation.subscribe((e) => events.push(e));
        const pool = manager.createMemPool(KEEP);
        const s1 = manager.create();
        const s2 = manager.create();
        const a = s1.allocAsync(64, { pool });
        s1.freeAsync(a);
        await s1.synchronize();
        const b = s2.allocAsync(64, { pool });
        s2.freeAsync(b);
        const allocs = poolEvents(events);
        expect(allocs.map((e) => [e.stream, e.pool, e.ptr, e.bytes, e.reuse, e.freedOn])).toEqual([
          [s1.id, pool.id, a.address, 64, "new", undefined],
          [s2.id, pool.id, a.address, 64, "opportunistic", s1.id],
        ]);
        const frees = events.filter((e) => e.type === "pool.freed");
        expect(frees.map((e) => (e.type === "pool.freed" ? [e.stream, e.ptr] : []))).toEqual([
          [s1.id, a.address],
          [s2.id, a.address],
        ]);
        await s2.synchronize();
      });

      it("§2 item 8: pool events name the stream's hardware queue once it has one, and the tag", async () => {
        const { manager, device } = setup(factory, { profile });
        const events: InstrumentationEvent[] = [];
        device.instrumentation.subscribe((e) => events.push(e));
        const s = manager.create();
        const fresh = s.allocAsync(64, { tag: "kv" }); // no work yet: no queue
        s.launch({ ...noop(), outputs: [fresh] });
        const queue = events.find((e) => e.type === "op.enqueued")!;
        const later = s.allocAsync(64);
        s.freeAsync(fresh);
        s.freeAsync(later);
        await s.synchronize();
        const allocs = poolEvents(events);
        expect(allocs.map((e) => [e.queue, e.tag])).toEqual([
          [undefined, "kv"],
          [queue.type === "op.enqueued" ? queue.queue : -1, undefined],
        ]);
        expect(
          events.filter((e) => e.type === "pool.freed").map((e) => (e.type === "pool.freed" ? e.queue : -1)),
        ).toEqual([allocs[1]!.queue, allocs[1]!.queue]);
        expect(allocs[1]!.queue).toEqual(expect.any(Number));
      });

      it("refuses misuse: double free, foreign memory, a pool of another device, bad attributes", async () => {
        const { manager } = setup(factory, { profile }, { devices: 2 });
        const s = manager.create();
        const a = s.allocAsync(32);
        s.freeAsync(a);
        expect(thrown(() => s.freeAsync(a)).code).toBe("INVALID_PARAM");
        const plain = manager.allocate(32);
        expect(thrown(() => s.freeAsync(plain)).code).toBe("INVALID_PARAM");
        expect(() => s.freeAsync(42 as never)).toThrow(TypeError);
        const other = manager.createMemPool({ device: 1 });
        expect(other.device).toBe(1);
        expect(thrown(() => s.allocAsync(32, { pool: other })).code).toBe("INVALID_PARAM");
        expect(thrown(() => s.allocAsync(0)).code).toBe("INVALID_PARAM");
        expect(thrown(() => manager.createMemPool({ releaseThreshold: -1 })).code).toBe("INVALID_PARAM");
        expect(() => manager.createMemPool({ reuseAllowOpportunistic: "yes" as never })).toThrow(TypeError);
        expect(thrown(() => manager.defaultMemPool().destroy()).code).toBe("INVALID_PARAM");
        other.destroy();
        expect(thrown(() => other.stats()).code).toBe("INVALID_HANDLE");
        expect(thrown(() => other.destroy()).code).toBe("INVALID_HANDLE");
        const rejected = await rejection(manager.free(s.allocAsync(32)));
        expect(rejected?.code).toBe("INVALID_PARAM");
        await s.synchronize();
      });

      it("pool memory is refused by release and free; a block released behind the pool's back is not handed out", async () => {
        const { manager, device } = setup(factory, { profile });
        const pool = manager.createMemPool(KEEP);
        const s = manager.create();
        const a = s.allocAsync(64, { pool });
        expect(thrown(() => manager.release(a)).code).toBe("INVALID_PARAM");
        s.freeAsync(a);
        device.release(a); // core's own release knows nothing of pools
        const b = s.allocAsync(64, { pool });
        expect(b).not.toBe(a);
        expect(device.isLive(b)).toBe(true);
        expect(pool.stats().reservedBytes).toBe(64);
        s.freeAsync(b);
        await s.synchronize();
      });

      it("a stopped device refuses stream-ordered allocation like a launch", async () => {
        const { manager, bed } = setup(factory, { profile });
        const s = manager.create({ failureMode: "stop" });
        bed.failNext("bad");
        s.launch({ name: "bad" });
        await rejection(s.synchronize());
        const code = profile === "cuda" ? "KERNEL_FAILED" : "STOPPED_ON_FAILURE";
        expect(thrown(() => s.allocAsync(64)).code).toBe(code);
        manager.resetDevice();
        if (profile === "cann") s.freeAsync(s.allocAsync(64));
      });

      it("close reports pool blocks still allocated as leaks, not idle ones", async () => {
        const { manager, device } = setup(factory, { profile });
        const pool = manager.createMemPool(KEEP);
        const s = manager.create();
        const kept = s.allocAsync(64, { pool });
        s.freeAsync(s.allocAsync(128, { pool }));
        await s.synchronize();
        await s.destroy();
        const report = manager.close();
        expect(report.allocations).toEqual([String(kept)]);
        expect(device.liveBuffers()).toEqual([kept]);
      });

      it("on out of memory a pool gives idle blocks back to the device and retries", async () => {
        const { manager, device } = setup(factory, { profile });
        const capacity = device.info().memoryBytes;
        const pool = manager.createMemPool(KEEP);
        const s = manager.create();
        const big = Math.floor(capacity * 0.6);
        s.freeAsync(s.allocAsync(big, { pool }));
        await s.synchronize();
        expect(pool.stats().reservedBytes).toBe(big);
        // Another size cannot reuse the idle block, and both do not fit: the idle one goes.
        const other = s.allocAsync(big + 4, { pool });
        expect(pool.stats().reservedBytes).toBe(big + 4);
        s.freeAsync(other);
        await s.synchronize();
      });
    });
  },
);
