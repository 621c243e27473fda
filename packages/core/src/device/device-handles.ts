import { DTYPES, type DType } from "../memory/dtype.js";
import { Handle } from "./handles.js";

// The handles below are frozen at construction: their fields are copies for the user to read.
// `Device` never trusts them; it checks identity in its handle tables and reads sizes, devices and
// addresses from the table's entry.

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
    // Frozen: the fields are for reading; the device keeps the truth in its own tables.
    Object.freeze(this);
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
    Object.freeze(this);
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
  /** The element type (default `float32`): kernels read and write the buffer as this type. */
  readonly dtype: DType;
  /** Whole elements of {@link DeviceBuffer.dtype} the buffer holds. */
  readonly elements: number;

  /** @internal */
  constructor(
    owner: object,
    slot: number,
    generation: number,
    device: number,
    address: number,
    bytes: number,
    tag: string | undefined,
    dtype: DType = "float32",
  ) {
    super(owner, slot, generation);
    this.device = device;
    this.address = address;
    this.bytes = bytes;
    this.tag = tag;
    this.dtype = dtype;
    this.elements = Math.floor(bytes / DTYPES[dtype].bytes);
    // Frozen: bounds checks use the device's table, but a reader of `bytes` must not be lied to.
    Object.freeze(this);
  }

  /** Always `"buffer"`. */
  get kind(): "buffer" {
    return "buffer";
  }
}
