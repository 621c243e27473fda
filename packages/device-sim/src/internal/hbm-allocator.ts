import { NpuError } from "@npurt/core";

/** Address alignment of every allocation, as `aclrtMalloc` guarantees. */
export const ALLOCATION_ALIGNMENT = 64;

/**
 * The size CANN reserves for a request: rounded up to a multiple of 32 bytes, plus 32 bytes of
 * padding (runtime-semantics §1.4, `aclrtMalloc` on 910-class parts).
 */
export function cannReservedBytes(bytes: number): number {
  return Math.ceil(bytes / 32) * 32 + 32;
}

interface Block {
  /** The CANN-rounded size, which `bytesInUse` counts. */
  readonly reserved: number;
  /** The address range the block occupies: `reserved` rounded up to the alignment. */
  readonly footprint: number;
}

/**
 * First-fit allocator over one device's HBM window with an address-ordered free list that
 * coalesces neighbours on release, so fragmentation behaves as on a real device: the largest
 * free block can be far below the free total.
 */
export class HbmAllocator {
  readonly base: number;
  readonly capacity: number;
  #starts: number[];
  #sizes: number[];
  readonly #live = new Map<number, Block>();
  #bytesInUse = 0;
  #footprintInUse = 0;
  #peak = 0;

  constructor(base: number, capacity: number) {
    this.base = base;
    this.capacity = capacity;
    // The window is aligned down to whole granules, so every block start stays aligned.
    const usable = Math.floor(capacity / ALLOCATION_ALIGNMENT) * ALLOCATION_ALIGNMENT;
    this.#starts = usable > 0 ? [base] : [];
    this.#sizes = usable > 0 ? [usable] : [];
  }

  get allocations(): number {
    return this.#live.size;
  }

  get bytesInUse(): number {
    return this.#bytesInUse;
  }

  get peakBytes(): number {
    return this.#peak;
  }

  /** Bytes not covered by any live block. */
  get freeBytes(): number {
    return this.capacity - this.#footprintInUse;
  }

  get largestFreeBlock(): number {
    let max = 0;
    for (const s of this.#sizes) if (s > max) max = s;
    return max;
  }

  /** Whether `address` is the base of a live allocation. */
  has(address: number): boolean {
    return this.#live.has(address);
  }

  allocate(bytes: number, device: number): number {
    const reserved = cannReservedBytes(bytes);
    const footprint = Math.ceil(reserved / ALLOCATION_ALIGNMENT) * ALLOCATION_ALIGNMENT;
    const sizes = this.#sizes;
    for (let i = 0; i < sizes.length; i++) {
      const size = sizes[i]!;
      if (size < footprint) continue;
      const start = this.#starts[i]!;
      if (size === footprint) {
        this.#starts.splice(i, 1);
        sizes.splice(i, 1);
      } else {
        this.#starts[i] = start + footprint;
        sizes[i] = size - footprint;
      }
      this.#live.set(start, { reserved, footprint });
      this.#bytesInUse += reserved;
      this.#footprintInUse += footprint;
      if (this.#bytesInUse > this.#peak) this.#peak = this.#bytesInUse;
      return start;
    }
    const free = this.freeBytes;
    throw new NpuError(
      "MEMORY_ALLOCATION",
      `cannot allocate ${bytes} bytes (${reserved} reserved) on device ${device}: ${free} bytes free, ` +
        `largest free block ${this.largestFreeBlock} bytes`,
      { details: { requested: bytes, reserved, free, largestFreeBlock: this.largestFreeBlock } },
    );
  }

  /** Returns the freed address range `[start, start + footprint)`. */
  release(address: number): number {
    const block = this.#live.get(address);
    if (block === undefined) {
      throw new NpuError("MEMORY_FREE", `no live allocation at address ${address}`);
    }
    this.#live.delete(address);
    this.#bytesInUse -= block.reserved;
    this.#footprintInUse -= block.footprint;
    this.#insertFree(address, block.footprint);
    return block.footprint;
  }

  #insertFree(start: number, size: number): void {
    const starts = this.#starts;
    const sizes = this.#sizes;
    let lo = 0;
    let hi = starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (starts[mid]! < start) lo = mid + 1;
      else hi = mid;
    }
    const prev = lo - 1;
    const mergesPrev = prev >= 0 && starts[prev]! + sizes[prev]! === start;
    const mergesNext = lo < starts.length && start + size === starts[lo]!;
    if (mergesPrev && mergesNext) {
      sizes[prev]! += size + sizes[lo]!;
      starts.splice(lo, 1);
      sizes.splice(lo, 1);
    } else if (mergesPrev) {
      sizes[prev]! += size;
    } else if (mergesNext) {
      starts[lo] = start;
      sizes[lo]! += size;
    } else {
      starts.splice(lo, 0, start);
      sizes.splice(lo, 0, size);
    }
  }
}
