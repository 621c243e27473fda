import type { DeviceFigures } from "../presets.js";
import type { HbmAllocator } from "./hbm-allocator.js";
import { ReadyQueues } from "./ready-queues.js";
import type { SimQueue } from "./sim-queue.js";

/**
 * A pool of identical units (AI cores, or the copy engines of one direction) and the queues
 * whose head op waits for them, ordered by (priority, time the head became ready).
 */
export class Resource {
  readonly total: number;
  free: number;
  readonly ready = new ReadyQueues(8);
  /** Whether it is on the engine's list of resources to dispatch at the end of this instant. */
  dirty = false;

  constructor(total: number) {
    this.total = total;
    this.free = total;
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
    this.compute = new Resource(figures.aiCores);
    const engines = figures.copyEnginesPerDirection;
    this.h2d = new Resource(engines);
    this.d2h = new Resource(engines);
    this.d2d = new Resource(engines);
    this.memory = memory;
  }
}
