import { NpuError } from "../errors/npu-error.js";
import { errorMessage, quote } from "../errors/safe-text.js";
import { check } from "../errors/validate.js";
import { checkDType, DTYPES } from "../memory/dtype.js";
import { DeviceBuffer } from "./device-handles.js";
import type { AllocateOptions } from "./device-options.js";
import type { BufferState, DeviceView } from "./device-state.js";
import { HandleTable } from "./handles.js";

/**
 * A device's buffers: allocation with its checks, release at once with the backend's memory
 * given back only when the last op naming the buffer has completed (so its address is never
 * reused under a pending op), and the live buffers a leak report lists. The device's op
 * translation resolves buffer handles through {@link DeviceMemory.buffers}.
 */
export class DeviceMemory {
  /** Every live buffer's state, by handle. */
  readonly buffers: HandleTable<DeviceBuffer, BufferState>;
  readonly #host: DeviceView;
  readonly #reportError: (message: string, error: unknown) => void;

  constructor(host: DeviceView, owner: object, reportError: (message: string, error: unknown) => void) {
    this.#host = host;
    this.buffers = new HandleTable(owner, "buffer");
    this.#reportError = reportError;
  }

  /** Allocates a buffer (the device's `allocate`, once it checked it is open). */
  allocate(bytes: number, options: AllocateOptions | undefined): DeviceBuffer {
    const opts = check.read(options, "allocate options", ["device", "tag", "dtype", "reserveBytes"]);
    const device = check.integer(
      opts.device ?? 0,
      "device index",
      0,
      this.#host.capabilities.devices.length - 1,
    );
    const size = check.integer(bytes, "bytes", 1);
    const tag = opts.tag === undefined ? undefined : check.string(opts.tag, "tag");
    const dtype = opts.dtype === undefined ? "float32" : checkDType(opts.dtype, "dtype");
    if (opts.dtype !== undefined && size % DTYPES[dtype].bytes !== 0) {
      throw new NpuError(
        "INVALID_PARAM",
        `${size} bytes is not a whole number of ${dtype} elements (${DTYPES[dtype].bytes} bytes each)`,
        { details: { bytes: size, dtype } },
      );
    }
    const reserve =
      opts.reserveBytes === undefined ? size : check.integer(opts.reserveBytes, "reserveBytes", size);
    const capacity = this.#host.capabilities.devices[device]!.memoryBytes;
    if (reserve > capacity) {
      throw new NpuError(
        "MEMORY_ALLOCATION",
        `cannot allocate ${reserve} bytes on device ${device}: larger than its ${capacity} bytes of memory`,
        { details: { requested: reserve, capacity } },
      );
    }
    const address = this.#host.backend.allocate(device, reserve);
    const state: BufferState = {
      handle: undefined as unknown as DeviceBuffer,
      address,
      device,
      bytes: size,
      tag,
      dtype,
      whole: Object.freeze(
        dtype === "float32"
          ? { base: address, offset: 0, bytes: size }
          : { base: address, offset: 0, bytes: size, dtype },
      ),
      users: 0,
      released: false,
    };
    const buffer = this.buffers.issue(
      state,
      (o, s, g) => new DeviceBuffer(o, s, g, device, address, size, tag, dtype),
    );
    (state as { handle: DeviceBuffer }).handle = buffer;
    const bus = this.#host.instrumentation;
    if (bus.active) {
      bus.emit({
        type: "memory.allocated",
        time: this.#host.clock.now(),
        device,
        ptr: address,
        bytes: size,
        ...(tag === undefined ? {} : { tag }),
        ...(dtype === "float32" ? {} : { dtype }),
      });
    }
    return buffer;
  }

  /**
   * Releases a buffer at once (the device's `release`): the backend's memory goes back now, or,
   * while ops naming it are pending, when the last of them completes. After the device closed it
   * only retires the handle.
   */
  release(buffer: DeviceBuffer): void {
    const state = this.buffers.remove(buffer, "buffer");
    state.released = true;
    if (this.#host.closed) return;
    if (state.users === 0) this.#host.backend.release(state.address);
    const bus = this.#host.instrumentation;
    if (bus.active) {
      bus.emit({
        type: "memory.released",
        time: this.#host.clock.now(),
        device: state.device,
        ptr: state.address,
        bytes: state.bytes,
        ...(state.tag === undefined ? {} : { tag: state.tag }),
      });
    }
  }

  /** Live buffers, for leak reports. */
  live(): DeviceBuffer[] {
    return [...this.buffers.entries()].map(([h]) => h);
  }

  /** Drops one pending user of a buffer; returns it when it had been released. */
  dropUser(b: BufferState): BufferState | undefined {
    if (--b.users === 0 && b.released && !this.#host.closed) this.#releaseDeferred(b);
    return b.released ? b : undefined;
  }

  /** Gives a released buffer's memory back once the last op naming it has completed. */
  #releaseDeferred(b: BufferState): void {
    try {
      this.#host.backend.release(b.address);
    } catch (error) {
      this.#reportError(
        `backend ${quote(this.#host.backend.name)} failed to release ${b.handle}: ${errorMessage(error)}`,
        error,
      );
    }
  }
}
