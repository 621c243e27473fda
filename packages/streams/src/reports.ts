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
 * One resource type's counts, as CANN's ACL layer keeps them and logs them at `aclFinalize`
 * (`applyTotal`, `applySucc`, `releaseTotal`, `releaseSucc`; runtime-semantics §1.4 Built-in
 * leak accounting). As there, a call is counted when it is made and again when it succeeds, so
 * a refused call shows as the difference.
 */
export interface ResourceCounts {
  /** `applyTotal`: acquisitions asked for. */
  readonly created: number;
  /** `applySucc`: acquisitions that succeeded. For callbacks: callbacks that ran and returned. */
  readonly succeeded: number;
  /** `releaseTotal`: releases asked for. For callbacks: callbacks finished in any way (ran, failed, discarded). */
  readonly released: number;
  /** `releaseSucc`: releases that succeeded. */
  readonly releaseSucceeded: number;
}

/** Counts per resource type, from {@link StreamManager.resourceStats}. */
export interface ResourceStats {
  /** `ACL_STATISTICS_CREATE_DESTROY_STREAM`. */
  readonly streams: ResourceCounts;
  /** `ACL_STATISTICS_CREATE_DESTROY_EVENT`. */
  readonly events: ResourceCounts;
  /** `ACL_STATISTICS_RECORD_RESET_EVENT`: records count as acquisitions, resets as releases. */
  readonly eventRecords: ResourceCounts;
  /** Host callbacks launched and finished (npurt's own; CANN keeps no such count). */
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
