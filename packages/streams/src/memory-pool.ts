import { type DType, Handle } from "@npurt/core";

/**
 * The attributes of a memory pool (CUDA `cudaMemPoolAttr*`, CANN `ACL_RT_MEM_POOL_ATTR_*`),
 * runtime-semantics §1.4 Stream-ordered alloc. Each reuse policy lets an allocation on one stream
 * take a block freed on another; a block freed on the same stream is always reusable, since the
 * stream's order already puts the free before the new allocation.
 */
export interface MemPoolAttributes {
  /**
   * Idle bytes (reserved, not allocated) the pool keeps at a synchronize; above it, idle
   * memory whose frees have completed goes back to the device at the next stream or device
   * synchronize. Default 0, as in both runtimes: set it high (`Infinity`) to keep memory for
   * reuse across synchronizes.
   */
  readonly releaseThreshold: number;
  /**
   * Reuse a block freed on stream F by stream S when S has waited on an event recorded on F
   * after the free (`cudaMemPoolReuseFollowEventDependencies`). Default true.
   */
  readonly reuseFollowEventDependencies: boolean;
  /**
   * Reuse a block whose free has already completed on the device, from any stream: nothing can
   * still be using it (`cudaMemPoolReuseAllowOpportunistic`, CANN's "机会主义" reuse). Default
   * true. Whether it applies depends on timing, so results can differ between runs on real
   * hardware (not on the simulator: its timing is deterministic).
   */
  readonly reuseAllowOpportunistic: boolean;
  /**
   * Reuse a block still being freed on another stream by making the allocating stream wait for
   * that stream's work (`cudaMemPoolReuseAllowInternalDependencies`: the runtime "may also
   * insert inter-stream dependencies"). Default true.
   */
  readonly reuseAllowInternalDependencies: boolean;
}

/** Options of {@link StreamManager.createMemPool}: the device and any attribute. */
export interface MemPoolOptions extends Partial<MemPoolAttributes> {
  /** Device index; default 0. */
  readonly device?: number;
}

/** A pool's statistics (CUDA `cudaMemPoolAttrReservedMem*` / `UsedMem*`). */
export interface MemPoolStats {
  /** Bytes the pool holds from the device: allocated blocks plus idle ones. */
  readonly reservedBytes: number;
  /** The largest `reservedBytes` since creation or the last {@link MemPool.resetHighWatermarks}. */
  readonly reservedHighBytes: number;
  /** Bytes of blocks allocated to users (not freed yet). */
  readonly usedBytes: number;
  /** The largest `usedBytes` since creation or the last reset. */
  readonly usedHighBytes: number;
  /** Blocks allocated to users. */
  readonly allocations: number;
  /** Idle blocks kept for reuse. */
  readonly idleBlocks: number;
  /** Allocations served by reusing an idle block, by the policy that allowed it. */
  readonly reused: {
    readonly sameStream: number;
    readonly eventDependency: number;
    readonly opportunistic: number;
    readonly internalDependency: number;
  };
}

/** Options of {@link Stream.allocAsync}. */
export interface AllocAsyncOptions {
  /** The pool to allocate from; default the device's default pool ({@link StreamManager.defaultMemPool}). */
  readonly pool?: MemPool;
  /** The element type; default `float32`. Only blocks of the same size and dtype are reused. */
  readonly dtype?: DType;
  /** A label for memory profiles and leak reports. */
  readonly tag?: string;
}

/** What a {@link MemPool} handle calls in the runtime. @internal */
export interface MemPoolPort {
  poolOf(handle: unknown): unknown;
  poolDevice(pool: unknown): number;
  poolId(pool: unknown): number;
  poolAttributes(pool: unknown): MemPoolAttributes;
  setPoolAttribute(pool: unknown, name: unknown, value: unknown): void;
  poolStats(pool: unknown): MemPoolStats;
  resetPoolHighWatermarks(pool: unknown): void;
  trimPool(pool: unknown, minBytesToKeep: unknown): number;
  destroyPool(handle: unknown): void;
}

/**
 * A memory pool of one device for stream-ordered allocation (CUDA `cudaMemPool_t`, CANN
 * `aclrtMemPool`): {@link Stream.allocAsync} takes blocks from it and {@link Stream.freeAsync}
 * gives them back — to the pool, not the device — in stream order, so allocating and freeing
 * per operation costs no synchronization. Its attributes say which frees may be reused by which
 * streams; idle memory goes back to the device at a synchronize (above the release threshold)
 * or on {@link MemPool.trimTo}.
 *
 * @example
 * ```ts
 * const pool = manager.createMemPool({ releaseThreshold: Number.POSITIVE_INFINITY });
 * const tmp = stream.allocAsync(4096, { pool });
 * stream.launch({ name: "relu", inputs: [x], outputs: [tmp] });
 * stream.freeAsync(tmp); // later work on any stream may get this block again
 * console.log(pool.stats().reservedBytes);
 * ```
 */
export class MemPool extends Handle {
  readonly #port: MemPoolPort;

  /** @internal Pools are created by {@link StreamManager.createMemPool}. */
  constructor(owner: object, slot: number, generation: number, port: MemPoolPort) {
    super(owner, slot, generation);
    this.#port = port;
  }

  /** Always `"mempool"`. */
  get kind(): "mempool" {
    return "mempool";
  }

  /** The pool's id, unique within its manager (instrumentation events carry it). */
  get id(): number {
    return this.#port.poolId(this.#port.poolOf(this));
  }

  /** The device index the pool's memory lives on. */
  get device(): number {
    return this.#port.poolDevice(this.#port.poolOf(this));
  }

  /** The current attributes. */
  get attributes(): MemPoolAttributes {
    return this.#port.poolAttributes(this.#port.poolOf(this));
  }

  /**
   * Sets one attribute (CUDA `cudaMemPoolSetAttribute`, CANN `aclrtMemPoolSetAttr`). A
   * `releaseThreshold` must be a non-negative integer or `Infinity`; the reuse policies booleans.
   */
  setAttribute<K extends keyof MemPoolAttributes>(name: K, value: MemPoolAttributes[K]): void {
    this.#port.setPoolAttribute(this.#port.poolOf(this), name, value);
  }

  /** Reserved and used bytes, their high-water marks, and how allocations were served. */
  stats(): MemPoolStats {
    return this.#port.poolStats(this.#port.poolOf(this));
  }

  /** Resets the high-water marks to the current values. */
  resetHighWatermarks(): void {
    this.#port.resetPoolHighWatermarks(this.#port.poolOf(this));
  }

  /**
   * Returns idle memory to the device until the pool reserves at most `minBytesToKeep` bytes
   * (CUDA `cudaMemPoolTrimTo`, CANN `aclrtMemPoolTrimTo`), or until no idle block can be
   * released safely (a block whose free has not completed on the device stays). Allocated
   * blocks are never released. Returns the bytes released.
   */
  trimTo(minBytesToKeep: number): number {
    return this.#port.trimPool(this.#port.poolOf(this), minBytesToKeep);
  }

  /**
   * Destroys the pool: its idle memory goes back to the device now; blocks still allocated go
   * back when they are freed (as `cudaMemPoolDestroy` does). A device's default pool cannot be
   * destroyed (`INVALID_PARAM`); destroying twice is `INVALID_HANDLE`.
   */
  destroy(): void {
    this.#port.destroyPool(this);
  }
}
