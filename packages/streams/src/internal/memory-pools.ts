import {
  type CounterHandle,
  type DeviceBuffer,
  DTYPES,
  type DType,
  NpuError,
  NpuTypeError,
  type PoolReuseKind,
} from "@npurt/core";
import { check, describe, errorMessage, HandleTable } from "@npurt/core/internal";
import {
  type AllocAsyncOptions,
  MemPool,
  type MemPoolAttributes,
  type MemPoolOptions,
  type MemPoolPort,
  type MemPoolStats,
} from "../memory-pool.js";
import { assertNotInCallback } from "./callback-scope.js";
import type { EventRecord, StreamRecord } from "./records.js";
import type { Runtime } from "./runtime.js";
import { updateStreamState } from "./stream-status.js";

/** One piece of device memory the pool holds: allocated to a user, or idle for reuse. */
interface Block {
  readonly buffer: DeviceBuffer;
  readonly dtype: DType;
  readonly pool: PoolState;
  used: boolean;
  /** The stream of the latest stream-ordered free (idle blocks), its id then, and the free's position. */
  freeRec: StreamRecord | undefined;
  freeStreamId: number;
  freeSeq: number;
}

interface PoolState {
  readonly id: number;
  readonly device: number;
  readonly isDefault: boolean;
  handle: MemPool | undefined;
  attributes: MemPoolAttributes;
  /** Idle blocks by dtype and size, oldest first. */
  readonly idle: Record<DType, Map<number, Block[]>>;
  idleCount: number;
  reservedBytes: number;
  usedBytes: number;
  reservedHighBytes: number;
  usedHighBytes: number;
  allocations: number;
  readonly reused: {
    sameStream: number;
    eventDependency: number;
    opportunistic: number;
    internalDependency: number;
  };
  destroyed: boolean;
}

const DTYPE_NAMES = Object.keys(DTYPES) as DType[];

/** Every idle list of a pool. */
function* idleLists(pool: PoolState): IterableIterator<Block[]> {
  for (const d of DTYPE_NAMES) yield* pool.idle[d].values();
}

const ATTRIBUTE_NAMES = [
  "releaseThreshold",
  "reuseFollowEventDependencies",
  "reuseAllowOpportunistic",
  "reuseAllowInternalDependencies",
] as const;

const DEFAULT_ATTRIBUTES: MemPoolAttributes = Object.freeze({
  releaseThreshold: 0,
  reuseFollowEventDependencies: true,
  reuseAllowOpportunistic: true,
  reuseAllowInternalDependencies: true,
});

/**
 * Stream-ordered allocation (runtime-semantics §1.4): per-device memory pools, `allocAsync` and
 * `freeAsync` on streams with the reuse policies as pool attributes, the release threshold
 * applied at synchronizes, trim-to and statistics. Blocks are real device allocations (core's
 * `Device.allocate`), so leak reports and memory accounting see them; a free returns its block
 * to the pool, and a block is handed to another allocation only when a policy proves the free
 * is ordered before the new user (or the runtime adds that order as a wait).
 *
 * Ordering facts come from the streams' own counts: a free at position `f` of stream F has
 * completed once F's `completed >= f`; "S waited on an event recorded on F at position `r`" is
 * noted from the record and wait calls (see {@link MemoryPools.noteRecord} and
 * {@link MemoryPools.noteWait}).
 */
export class MemoryPools implements MemPoolPort {
  readonly #rt: Runtime;
  readonly #pools: HandleTable<MemPool, PoolState>;
  readonly #defaults: (PoolState | undefined)[];
  readonly #blocks = new Map<DeviceBuffer, Block>();
  /** The latest record of each event: its stream, position and record value. */
  readonly #records = new WeakMap<EventRecord, { streamId: number; seq: number; value: number }>();
  /** Per waiting stream id: per producer stream id, the position it is ordered after. */
  readonly #frontier = new Map<number, Map<number, number>>();
  /** Per producer stream id: the counter internal dependencies wait on, and its last value. */
  readonly #dependencyCounters = new Map<number, { counter: CounterHandle; value: number }>();
  #nextId = 1;
  /** How the block {@link MemoryPools.#reusable} last returned may be reused (no tuple per call). */
  #reuse: PoolReuseKind = "new";

  constructor(rt: Runtime) {
    this.#rt = rt;
    this.#pools = new HandleTable({}, "mempool");
    this.#defaults = new Array<PoolState | undefined>(rt.device.deviceCount).fill(undefined);
  }

  // ---- pools --------------------------------------------------------------------------------

  create(options: MemPoolOptions | undefined): MemPool {
    assertNotInCallback("StreamManager.createMemPool");
    this.#rt.assertOpen();
    const opts = check.read(options, "memory pool options", ["device", ...ATTRIBUTE_NAMES]);
    const device = check.integer(opts.device ?? 0, "device index", 0, this.#rt.device.deviceCount - 1);
    let attributes = DEFAULT_ATTRIBUTES;
    for (const name of ATTRIBUTE_NAMES) {
      if (opts[name] !== undefined) attributes = withAttribute(attributes, name, opts[name]);
    }
    return this.#issue(device, false, attributes).handle!;
  }

  defaultPool(device: unknown): MemPool {
    this.#rt.assertOpen();
    const d = check.integer(device ?? 0, "device index", 0, this.#rt.device.deviceCount - 1);
    const existing = this.#defaults[d];
    if (existing !== undefined) return existing.handle!;
    const state = this.#issue(d, true, DEFAULT_ATTRIBUTES);
    this.#defaults[d] = state;
    return state.handle!;
  }

  #issue(device: number, isDefault: boolean, attributes: MemPoolAttributes): PoolState {
    const state: PoolState = {
      id: this.#nextId++,
      device,
      isDefault,
      handle: undefined,
      attributes,
      idle: Object.fromEntries(DTYPE_NAMES.map((d) => [d, new Map()])) as Record<DType, Map<number, Block[]>>,
      idleCount: 0,
      reservedBytes: 0,
      usedBytes: 0,
      reservedHighBytes: 0,
      usedHighBytes: 0,
      allocations: 0,
      reused: { sameStream: 0, eventDependency: 0, opportunistic: 0, internalDependency: 0 },
      destroyed: false,
    };
    state.handle = this.#pools.issue(state, (o, s, g) => new MemPool(o, s, g, this));
    return state;
  }

  poolOf(handle: unknown): PoolState {
    return this.#pools.get(handle, "memory pool");
  }

  poolDevice(pool: unknown): number {
    return (pool as PoolState).device;
  }

  poolId(pool: unknown): number {
    return (pool as PoolState).id;
  }

  poolAttributes(pool: unknown): MemPoolAttributes {
    return (pool as PoolState).attributes;
  }

  setPoolAttribute(pool: unknown, name: unknown, value: unknown): void {
    const p = pool as PoolState;
    const key = check.oneOf(name, ATTRIBUTE_NAMES, "memory pool attribute");
    p.attributes = withAttribute(p.attributes, key, value);
  }

  poolStats(pool: unknown): MemPoolStats {
    const p = pool as PoolState;
    return {
      reservedBytes: p.reservedBytes,
      reservedHighBytes: p.reservedHighBytes,
      usedBytes: p.usedBytes,
      usedHighBytes: p.usedHighBytes,
      allocations: p.allocations,
      idleBlocks: p.idleCount,
      reused: { ...p.reused },
    };
  }

  resetPoolHighWatermarks(pool: unknown): void {
    const p = pool as PoolState;
    p.reservedHighBytes = p.reservedBytes;
    p.usedHighBytes = p.usedBytes;
  }

  trimPool(pool: unknown, minBytesToKeep: unknown): number {
    const keep = check.integer(minBytesToKeep, "minBytesToKeep", 0);
    return this.#trim(pool as PoolState, (p) => p.reservedBytes > keep);
  }

  destroyPool(handle: unknown): void {
    const p = this.#pools.get(handle, "memory pool");
    if (p.isDefault) {
      throw new NpuError(
        "INVALID_PARAM",
        `memory pool ${p.id} is the default pool of device ${p.device}; it cannot be destroyed`,
      );
    }
    this.#pools.remove(handle);
    p.destroyed = true;
    this.#trim(p, () => true);
  }

  // ---- stream-ordered allocation ------------------------------------------------------------

  /**
   * `cudaMallocAsync` / `aclrtMemPoolMallocAsync`: the buffer is returned at once and is usable
   * by work queued on `rec` from now on; other streams must be ordered after this call first.
   */
  allocAsync(rec: StreamRecord, bytes: unknown, options: AllocAsyncOptions | undefined): DeviceBuffer {
    assertNotInCallback("Stream.allocAsync");
    const rt = this.#rt;
    rt.assertOpen();
    // The hot path of per-op allocation: the three options are read once each, by hand (no
    // options copy, no string key), which measured several times cheaper than check.read.
    let poolIn: unknown;
    let dtypeIn: unknown;
    let tagIn: unknown;
    if (options !== undefined) {
      const o = check.options(options, "allocAsync options");
      try {
        poolIn = o.pool;
        dtypeIn = o.dtype;
        tagIn = o.tag;
      } catch (error) {
        throw new NpuTypeError(`allocAsync options could not be read: ${errorMessage(error)}`);
      }
    }
    const size = check.integer(bytes, "bytes", 1);
    const pool = poolIn === undefined ? this.poolOf(this.defaultPool(rec.device)) : this.poolOf(poolIn);
    if (pool.device !== rec.device) {
      throw new NpuError(
        "INVALID_PARAM",
        `memory pool ${pool.id} belongs to device ${pool.device}; stream ${rec.id} runs on device ${rec.device}`,
      );
    }
    const dtype = dtypeIn === undefined ? "float32" : check.oneOf(dtypeIn, DTYPE_NAMES, "dtype");
    const tag = tagIn === undefined ? undefined : check.string(tagIn, "tag");
    let block: Block | undefined;
    let reuse: PoolReuseKind = "new";
    const idle = pool.idle[dtype].get(size);
    if (idle !== undefined && idle.length > 0) {
      block = this.#reusable(pool, idle, rec);
      if (block !== undefined) {
        reuse = this.#reuse;
        const i = idle.lastIndexOf(block);
        if (i === idle.length - 1) idle.pop();
        else idle.splice(i, 1);
        pool.idleCount--;
        if (!rt.device.isLive(block.buffer)) {
          // Released behind the pool's back (core's Device.release): never hand out a dead handle.
          this.#blocks.delete(block.buffer);
          pool.reservedBytes -= size;
          block = undefined;
          reuse = "new";
        }
      }
    }
    let freedOn: number | undefined;
    if (block === undefined) {
      const buffer = this.#allocateDevice(pool, size, dtypeIn === undefined ? undefined : dtype, tag);
      block = { buffer, dtype, pool, used: true, freeRec: undefined, freeStreamId: 0, freeSeq: 0 };
      this.#blocks.set(buffer, block);
      pool.reservedBytes += size;
      if (pool.reservedBytes > pool.reservedHighBytes) pool.reservedHighBytes = pool.reservedBytes;
    } else {
      freedOn = block.freeStreamId;
      block.used = true;
      block.freeRec = undefined;
      countReuse(pool, reuse);
    }
    pool.usedBytes += size;
    pool.allocations++;
    if (pool.usedBytes > pool.usedHighBytes) pool.usedHighBytes = pool.usedBytes;
    const bus = rt.device.instrumentation;
    if (bus.active) {
      bus.emit({
        type: "pool.allocated",
        time: rt.device.clock.now(),
        device: pool.device,
        pool: pool.id,
        stream: rec.id,
        ...(rec.queue === undefined ? {} : { queue: rt.device.queueId(rec.queue) }),
        ptr: block.buffer.address,
        bytes: size,
        ...(tag === undefined ? {} : { tag }),
        reuse,
        ...(freedOn === undefined ? {} : { freedOn }),
      });
    }
    return block.buffer;
  }

  /**
   * `cudaFreeAsync` / `aclrtMemPoolFreeAsync`: the block returns to its pool once the work queued
   * on `rec` so far has run; no stream may touch the buffer after this point. Freeing a buffer
   * that is not an allocated pool block is `INVALID_PARAM` (twice, or from `allocate`).
   */
  freeAsync(rec: StreamRecord, buffer: unknown): void {
    assertNotInCallback("Stream.freeAsync");
    const rt = this.#rt;
    rt.assertOpen();
    const block = this.#blocks.get(buffer as DeviceBuffer);
    if (block === undefined || !block.used) {
      if (typeof buffer !== "object" || buffer === null)
        throw new NpuTypeError(`freeAsync needs a buffer from allocAsync, got ${describe(buffer)}`);
      throw new NpuError(
        "INVALID_PARAM",
        block === undefined
          ? `${describe(buffer)} was not allocated by allocAsync (release memory from allocate with release or free)`
          : `${describe(buffer)} was already freed`,
      );
    }
    const pool = block.pool;
    block.used = false;
    block.freeRec = rec;
    block.freeStreamId = rec.id;
    block.freeSeq = rec.enqueued;
    pool.usedBytes -= block.buffer.bytes;
    pool.allocations--;
    const bus = rt.device.instrumentation;
    if (bus.active) {
      bus.emit({
        type: "pool.freed",
        time: rt.device.clock.now(),
        device: pool.device,
        pool: pool.id,
        stream: rec.id,
        ...(rec.queue === undefined ? {} : { queue: rt.device.queueId(rec.queue) }),
        ptr: block.buffer.address,
        bytes: block.buffer.bytes,
      });
    }
    if (pool.destroyed) {
      // A destroyed pool keeps nothing: the memory goes back once the free has run.
      this.#releaseWhenDone(block);
      return;
    }
    const bySize = pool.idle[block.dtype];
    let list = bySize.get(block.buffer.bytes);
    if (list === undefined) {
      list = [];
      bySize.set(block.buffer.bytes, list);
    }
    list.push(block);
    pool.idleCount++;
  }

  /** Whether `buffer` is a block of a pool (allocated or idle). */
  owns(buffer: unknown): boolean {
    return this.#blocks.has(buffer as DeviceBuffer);
  }

  // ---- ordering facts -----------------------------------------------------------------------

  /** An event was recorded on `rec`: the record is its latest op. */
  noteRecord(rec: StreamRecord, ev: EventRecord): void {
    this.#records.set(ev, { streamId: rec.id, seq: rec.enqueued - 1, value: ev.recordCount });
  }

  /** `rec` waits (at call time) on the latest record of `ev`: its later work follows that record. */
  noteWait(rec: StreamRecord, ev: EventRecord): void {
    const r = this.#records.get(ev);
    if (r === undefined || r.value !== ev.recordCount || ev.lastStreamId !== r.streamId) return;
    let frontier = this.#frontier.get(rec.id);
    if (frontier === undefined) {
      frontier = new Map();
      this.#frontier.set(rec.id, frontier);
    }
    if ((frontier.get(r.streamId) ?? -1) < r.seq) frontier.set(r.streamId, r.seq);
  }

  /**
   * Stream `id` was destroyed: it waits on nothing any more, and nothing new can wait on it (its
   * internal-dependency counter goes once its pending signals have run; core defers that).
   */
  forgetStream(id: number): void {
    // Every destroy asks; most streams never touched a pool.
    if (this.#frontier.size === 0 && this.#dependencyCounters.size === 0) return;
    this.#frontier.delete(id);
    const dep = this.#dependencyCounters.get(id);
    if (dep !== undefined) {
      this.#dependencyCounters.delete(id);
      if (!this.#rt.device.closed) this.#rt.device.destroyCounter(dep.counter);
    }
  }

  /** A synchronize finished: idle memory above each pool's release threshold goes back to the device. */
  afterSynchronize(device: number | undefined): void {
    if (this.#pools.size === 0) return; // every synchronize asks; most managers have no pool
    for (const [, p] of this.#pools.entries()) {
      if (device !== undefined && p.device !== device) continue;
      const threshold = p.attributes.releaseThreshold;
      if (p.reservedBytes - p.usedBytes > threshold) {
        this.#trim(p, (q) => q.reservedBytes - q.usedBytes > threshold);
      }
    }
  }

  /** The manager closes: idle memory goes back; allocated blocks stay for the leak report. */
  close(): void {
    for (const [, p] of [...this.#pools.entries()]) this.#trim(p, () => true, true);
    for (const { counter } of this.#dependencyCounters.values()) {
      try {
        this.#rt.device.destroyCounter(counter);
      } catch {
        // The device closed first: its counters are gone already.
      }
    }
    this.#dependencyCounters.clear();
  }

  // ---- internals ----------------------------------------------------------------------------

  /** The first idle block `rec` may reuse, newest first; the policy that allows it goes to `#reuse`. */
  #reusable(pool: PoolState, idle: Block[], rec: StreamRecord): Block | undefined {
    const a = pool.attributes;
    // The same stream: stream order puts the free before anything queued after it.
    for (let i = idle.length - 1; i >= 0; i--) {
      const b = idle[i]!;
      if (b.freeStreamId === rec.id && b.freeRec === rec) return this.#found(b, "same-stream");
    }
    if (a.reuseFollowEventDependencies) {
      const frontier = this.#frontier.get(rec.id);
      if (frontier !== undefined) {
        for (const b of idle) {
          const after = frontier.get(b.freeStreamId);
          if (after !== undefined && after >= b.freeSeq) return this.#found(b, "event-dependency");
        }
      }
    }
    if (a.reuseAllowOpportunistic) {
      for (const b of idle) if (freeCompleted(b)) return this.#found(b, "opportunistic");
    }
    if (a.reuseAllowInternalDependencies) {
      for (const b of idle) {
        const producer = b.freeRec!;
        // Only a live stream can take the signal the dependency waits for.
        if (producer.handle === undefined || producer.id !== b.freeStreamId || producer.device !== rec.device)
          continue;
        try {
          this.#insertDependency(producer, rec);
        } catch {
          continue; // the producer refuses work (aborting, stopped): try another block
        }
        return this.#found(b, "internal-dependency");
      }
    }
    return undefined;
  }

  #found(b: Block, kind: PoolReuseKind): Block {
    this.#reuse = kind;
    return b;
  }

  /** Makes `rec`'s later work wait for everything queued on `producer` so far. */
  #insertDependency(producer: StreamRecord, rec: StreamRecord): void {
    const rt = this.#rt;
    let dep = this.#dependencyCounters.get(producer.id);
    if (dep === undefined) {
      dep = { counter: rt.device.createCounter({ device: producer.device }), value: 0 };
      this.#dependencyCounters.set(producer.id, dep);
    }
    const producerQueue = rt.queueForWork(producer, "Stream.allocAsync");
    const queue = rt.queueForWork(rec, "Stream.allocAsync");
    const value = dep.value + 1;
    rt.enqueue(producer, producerQueue, { kind: "signal", counter: dep.counter, value });
    dep.value = value;
    rt.enqueue(rec, queue, { kind: "wait", counter: dep.counter, value });
    updateStreamState(rt, producer);
    updateStreamState(rt, rec);
  }

  /** A fresh block from the device; when it is full, idle blocks that can go are released first. */
  #allocateDevice(
    pool: PoolState,
    size: number,
    dtype: DType | undefined,
    tag: string | undefined,
  ): DeviceBuffer {
    const device = this.#rt.device;
    const options = {
      device: pool.device,
      ...(dtype === undefined ? {} : { dtype }),
      ...(tag === undefined ? {} : { tag }),
    };
    try {
      return device.allocate(size, options);
    } catch (error) {
      if (!NpuError.isInstance(error, "MEMORY_ALLOCATION")) throw error;
      // Out of memory: the idle blocks of every pool of the device are memory nobody uses.
      let freed = 0;
      for (const [, p] of this.#pools.entries())
        if (p.device === pool.device) freed += this.#trim(p, () => true);
      if (freed === 0) throw error;
      return device.allocate(size, options);
    }
  }

  /**
   * Releases idle blocks whose frees have completed, oldest first, while `more(pool)` holds;
   * returns the bytes released. With `all`, frees still pending are released too (the manager
   * is closing; core defers the memory until the ops naming it are done).
   */
  #trim(pool: PoolState, more: (p: PoolState) => boolean, all = false): number {
    let released = 0;
    for (const list of idleLists(pool)) {
      for (let i = 0; i < list.length && more(pool); ) {
        const b = list[i]!;
        if (!all && !freeCompleted(b)) {
          i++;
          continue;
        }
        list.splice(i, 1);
        pool.idleCount--;
        pool.reservedBytes -= b.buffer.bytes;
        released += b.buffer.bytes;
        this.#blocks.delete(b.buffer);
        this.#release(b.buffer);
      }
    }
    if (released > 0) {
      const bus = this.#rt.device.instrumentation;
      if (bus.active) {
        bus.emit({
          type: "pool.trimmed",
          time: this.#rt.device.clock.now(),
          device: pool.device,
          pool: pool.id,
          bytes: released,
          reservedBytes: pool.reservedBytes,
        });
      }
    }
    return released;
  }

  /** A block of a destroyed pool, freed in stream order: release it (core defers it past pending ops). */
  #releaseWhenDone(b: Block): void {
    b.pool.reservedBytes -= b.buffer.bytes;
    this.#blocks.delete(b.buffer);
    this.#release(b.buffer);
  }

  #release(buffer: DeviceBuffer): void {
    const device = this.#rt.device;
    if (device.closed || !device.isLive(buffer)) return;
    device.release(buffer);
  }
}

/** Whether the stream-ordered free of an idle block has run on the device. */
function freeCompleted(b: Block): boolean {
  const rec = b.freeRec;
  return rec === undefined || rec.completed >= b.freeSeq;
}

function countReuse(pool: PoolState, kind: PoolReuseKind): void {
  const r = pool.reused;
  if (kind === "same-stream") r.sameStream++;
  else if (kind === "event-dependency") r.eventDependency++;
  else if (kind === "opportunistic") r.opportunistic++;
  else if (kind === "internal-dependency") r.internalDependency++;
}

function withAttribute(
  attributes: MemPoolAttributes,
  name: (typeof ATTRIBUTE_NAMES)[number],
  value: unknown,
): MemPoolAttributes {
  if (name === "releaseThreshold") {
    const threshold =
      value === Number.POSITIVE_INFINITY ? value : check.integer(value, "releaseThreshold", 0);
    return Object.freeze({ ...attributes, releaseThreshold: threshold });
  }
  if (typeof value !== "boolean") throw new NpuTypeError(`${name} must be a boolean, got ${describe(value)}`);
  return Object.freeze({ ...attributes, [name]: value });
}
