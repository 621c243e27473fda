import { Handle } from "./handles.js";

/** A hardware queue issued by {@link Device.createQueue}. */
export class QueueHandle extends Handle {
  /** The device index the queue lives on. */
  readonly device: number;
  /** The queue's priority (lower = more urgent). */
  readonly priority: number;

  /** @internal */
  constructor(owner: object, slot: number, generation: number, device: number, priority: number) {
    super(owner, slot, generation);
    this.device = device;
    this.priority = priority;
  }

  /** Always `"queue"`. */
  get kind(): "queue" {
    return "queue";
  }
}

/** A timeline counter issued by {@link Device.createCounter}. */
export class CounterHandle extends Handle {
  /** The device index the counter lives on. */
  readonly device: number;

  /** @internal */
  constructor(owner: object, slot: number, generation: number, device: number) {
    super(owner, slot, generation);
    this.device = device;
  }

  /** Always `"counter"`. */
  get kind(): "counter" {
    return "counter";
  }
}

/** A device memory allocation issued by {@link Device.allocate}. */
export class DeviceBuffer extends Handle {
  /** The device index the memory lives on. */
  readonly device: number;
  /** The base address the backend assigned. */
  readonly address: number;
  /** The size asked for (the backend may reserve more). */
  readonly bytes: number;
  /** The tag given at allocation, for memory profiles. */
  readonly tag: string | undefined;

  /** @internal */
  constructor(
    owner: object,
    slot: number,
    generation: number,
    device: number,
    address: number,
    bytes: number,
    tag: string | undefined,
  ) {
    super(owner, slot, generation);
    this.device = device;
    this.address = address;
    this.bytes = bytes;
    this.tag = tag;
  }

  /** Always `"buffer"`. */
  get kind(): "buffer" {
    return "buffer";
  }
}
