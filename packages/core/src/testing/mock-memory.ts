import type { DeviceDescriptor, MemoryInfo } from "../backend/device-backend.js";
import type { MemRef } from "../backend/ops.js";
import { NpuError } from "../errors/npu-error.js";

interface Allocation {
  readonly device: number;
  readonly bytes: number;
  readonly reserved: number;
  data: Uint8Array | undefined;
}

const ALIGN = 64;

/**
 * The mock's device memory: blocks rounded up to 64 bytes, each device in its own 1 TiB address
 * window (addresses never collide across devices), backed by host bytes only once written, and,
 * when asked, a released block's address handed to the next allocation of its rounded size, as
 * real allocators do.
 */
export class MockMemory {
  readonly #devices: readonly DeviceDescriptor[];
  readonly #allocations = new Map<number, Allocation>();
  readonly #used: number[];
  readonly #peak: number[];
  readonly #nextAddress: number[];
  /** Released blocks by `device:reserved`, when addresses are reused. */
  readonly #freeBlocks: Map<string, number[]> | undefined;

  constructor(devices: readonly DeviceDescriptor[], reuseAddresses: boolean) {
    this.#devices = devices;
    this.#freeBlocks = reuseAddresses ? new Map() : undefined;
    this.#used = new Array(devices.length).fill(0);
    this.#peak = new Array(devices.length).fill(0);
    this.#nextAddress = Array.from({ length: devices.length }, (_, d) => (d + 1) * 2 ** 40);
  }

  /** Reserves `bytes` (rounded up to 64) on `device`; returns the block's address. */
  allocate(device: number, bytes: number): number {
    const reserved = Math.ceil(bytes / ALIGN) * ALIGN;
    const capacity = this.#devices[device]!.memoryBytes;
    const free = capacity - this.#used[device]!;
    if (reserved > free) {
      throw new NpuError(
        "MEMORY_ALLOCATION",
        `mock: cannot allocate ${bytes} bytes on device ${device}: ${free} bytes free`,
        {
          details: { requested: bytes, free },
        },
      );
    }
    const reused = this.#freeBlocks?.get(`${device}:${reserved}`)?.pop();
    const base = reused ?? this.#nextAddress[device]!;
    if (reused === undefined) this.#nextAddress[device] = base + reserved;
    this.#allocations.set(base, { device, bytes, reserved, data: undefined });
    this.#used[device]! += reserved;
    this.#peak[device] = Math.max(this.#peak[device]!, this.#used[device]!);
    return base;
  }

  /** Gives the block at `base` back (to the reuse lists, when addresses are reused). */
  release(base: number): void {
    const a = this.#allocations.get(base);
    if (a === undefined) throw new NpuError("MEMORY_FREE", `mock: no allocation at address ${base}`);
    this.#allocations.delete(base);
    this.#used[a.device]! -= a.reserved;
    const free = this.#freeBlocks;
    if (free !== undefined) {
      const key = `${a.device}:${a.reserved}`;
      const list = free.get(key);
      if (list === undefined) free.set(key, [base]);
      else list.push(base);
    }
  }

  /** The device's memory accounting. */
  info(device: number): MemoryInfo {
    let allocations = 0;
    for (const a of this.#allocations.values()) if (a.device === device) allocations++;
    const capacityBytes = this.#devices[device]!.memoryBytes;
    return {
      allocations,
      bytesInUse: this.#used[device]!,
      peakBytes: this.#peak[device]!,
      capacityBytes,
      largestFreeBlock: capacityBytes - this.#used[device]!,
    };
  }

  /**
   * The bytes `ref` names, as an op sees them when it runs. An allocation is backed only once
   * written (a read of one never written sees zeros).
   */
  view(ref: MemRef, write: boolean): Uint8Array {
    const a = this.#allocations.get(ref.base);
    if (a === undefined)
      throw new NpuError("INVALID_HANDLE", `memory at address ${ref.base} was released before the op ran`);
    if (a.data === undefined) {
      // Lazily backed: an allocation costs host memory only once written.
      if (!write) return new Uint8Array(ref.bytes);
      a.data = new Uint8Array(a.bytes);
    }
    return a.data.subarray(ref.offset, ref.offset + ref.bytes);
  }
}
