/** Pool and population figures of a {@link StreamManager}, from {@link StreamManager.stats}. */
export interface StreamPoolStats {
  /** Streams created since the manager was (pool reuses included). */
  readonly created: number;
  /** Streams alive now. */
  readonly active: number;
  /** Released streams kept with their hardware queue for reuse. */
  readonly pooled: number;
  /** The largest `active` so far. */
  readonly peak: number;
  /** Creates served from the pool. */
  readonly reused: number;
  /** Destroyed streams still finishing their work. */
  readonly draining: number;
  /** Hardware queues held (live streams that used one, draining and pooled streams). */
  readonly queues: number;
}

/**
 * One resource type's counts, as CANN's runtime logs them at `aclFinalize`
 * (`applyTotal`, `applySucc`, `releaseTotal`).
 */
export interface ResourceCounts {
  /** Acquisitions asked for. */
  readonly created: number;
  /** Acquisitions that succeeded. For callbacks: callbacks that ran and returned. */
  readonly succeeded: number;
  /** Resources released. For callbacks: callbacks finished in any way (ran, failed, discarded). */
  readonly released: number;
}

/** Counts per resource type, from {@link StreamManager.resourceStats}. */
export interface ResourceStats {
  readonly streams: ResourceCounts;
  readonly events: ResourceCounts;
  readonly callbacks: ResourceCounts;
  /** Device memory allocated through {@link StreamManager.allocate}. */
  readonly allocations: ResourceCounts;
}

/** What {@link StreamManager.close} found still alive. */
export interface LeakReport {
  /** Ids of streams never destroyed. */
  readonly streams: readonly number[];
  /** Ids of events never destroyed. */
  readonly events: readonly number[];
  /** Buffers allocated through the manager and never released, as `buffer#slot.generation`. */
  readonly allocations: readonly string[];
  /** The counts at close. */
  readonly stats: ResourceStats;
}

/** Why a stream is blocked forever. */
export type DeadlockReason =
  /** It waits for an event whose record was discarded by an abort, and nothing else will raise it. */
  | "producer-aborted"
  /** It waits for an event whose record was discarded when its stream was force-destroyed. */
  | "producer-destroyed"
  /** It waits for a record of an event that was destroyed: no record can come any more. */
  | "record-never-comes"
  /** It waits in a cycle of streams (through event waits, host callbacks' waits and the serial executor). */
  | "cycle"
  /** It waits, directly or through others, on streams that are blocked forever. */
  | "waits-on-deadlocked";

/** One stream blocked forever, from {@link StreamManager.findDeadlocks}. */
export interface DeadlockReport {
  /** The blocked stream's id (a destroyed stream that is still draining keeps its id). */
  readonly stream: number;
  readonly device: number;
  readonly reason: DeadlockReason;
  /** Ids of the streams it waits on, when known. */
  readonly waitsFor: readonly number[];
  /** The event it waits on, when it waits on one. */
  readonly event?: number;
  /** A sentence for people. */
  readonly message: string;
}
