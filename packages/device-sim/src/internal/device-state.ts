import type { DeviceFigures } from "../presets.js";
import { CopyLink } from "./copy-link.js";
import type { HbmAllocator } from "./hbm-allocator.js";
import { ReadyQueues } from "./ready-queues.js";
import type { SimQueue } from "./sim-queue.js";

/**
 * A pool of identical units (AI cores, or the copy engines of one direction) and the queues
 * whose head op waits for them: by (priority, time the head became ready) for compute, by
 * readiness alone for copies.
 */
export class Resource {
  readonly total: number;
  free: number;
  readonly ready: ReadyQueues;
  /**
   * Copy engines of one direction: the link they share, when there is more than one engine
   * (with one, a transfer always has the link to itself and the engine skips the bookkeeping).
   */
  readonly link: CopyLink | undefined;
  /** Whether it is on the engine's list of resources to dispatch at the end of this instant. */
  dirty = false;

  constructor(total: number, priorityLevels: number | undefined) {
    this.total = total;
    this.free = total;
    this.ready = new ReadyQueues(priorityLevels ?? 1, priorityLevels !== undefined);
    this.link = priorityLevels === undefined && total > 1 ? new CopyLink() : undefined;
  }
}

/** One simulated device: its figures, resources, memory and live queues. */
export class DeviceState {
  readonly index: number;
  readonly figures: DeviceFigures;
  readonly compute: Resource;
  readonly h2d: Resource;
  readonly d2h: Resource;
  readonly d2d: Resource;
  readonly memory: HbmAllocator;
  readonly queues = new Set<SimQueue>();
  counters = 0;
  lost = false;

  constructor(index: number, figures: DeviceFigures, memory: HbmAllocator) {
    this.index = index;
    this.figures = figures;
    this.compute = new Resource(figures.aiCores, figures.priorityLevels);
    const engines = figures.copyEnginesPerDirection;
    this.h2d = new Resource(engines, undefined);
    this.d2h = new Resource(engines, undefined);
    this.d2d = new Resource(engines, undefined);
    this.memory = memory;
  }
}
