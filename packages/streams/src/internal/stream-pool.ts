import { NpuError } from "@npurt/core";
import type { StreamRecord } from "./records.js";

/**
 * Released streams kept with their hardware queue, per device and priority (a queue's priority
 * is fixed at creation), and the per-device count of hardware queues held, which the device's
 * stream limit bounds: live streams, destroyed streams still draining, and pooled ones.
 */
export class StreamPool {
  readonly #lists = new Map<number, StreamRecord[]>();
  // The list of the last key asked for: a program cycling streams of one device and priority
  // (the common case) then takes and puts without hashing.
  #lastKey = -1;
  #lastList: StreamRecord[] | undefined = undefined;
  readonly #bound: number;
  readonly #held: number[];
  readonly #free: (rec: StreamRecord) => void;
  #size = 0;
  #reused = 0;

  /**
   * @param devices - number of devices.
   * @param bound - the most records kept.
   * @param free - gives a record's queue and counter back to the device.
   */
  constructor(devices: number, bound: number, free: (rec: StreamRecord) => void) {
    this.#bound = bound;
    this.#held = new Array<number>(devices).fill(0);
    this.#free = free;
  }

  /** Records in the pool. */
  get size(): number {
    return this.#size;
  }

  /** Creates the pool served. */
  get reused(): number {
    return this.#reused;
  }

  /** Whether another record fits. */
  get hasRoom(): boolean {
    return this.#size < this.#bound;
  }

  /** Streams counted against `device`'s limit. */
  held(device: number): number {
    return this.#held[device]!;
  }

  /** Records of `device` in the pool (each can be freed to make room for a new stream). */
  pooledOn(device: number): number {
    let n = 0;
    for (const [k, list] of this.#lists) if (Math.floor(k / 65536) === device) n += list.length;
    return n;
  }

  /** A pooled record of that device and priority, if any. */
  take(device: number, backendPriority: number): StreamRecord | undefined {
    const rec = this.#list(key(device, backendPriority), false)?.pop();
    if (rec === undefined) return undefined;
    this.#size--;
    this.#reused++;
    return rec;
  }

  /**
   * Counts one more stream against `device`'s `limit`, first freeing a pooled record of another
   * priority when the limit is reached; `NO_STREAM_RESOURCE` when none can be freed.
   */
  reserve(device: number, limit: number): void {
    if (this.#held[device]! >= limit && !this.#evict(device)) {
      throw new NpuError(
        "NO_STREAM_RESOURCE",
        `device ${device} has no free stream: ${this.#held[device]} of its ${limit} are in use`,
        { details: { device, limit } },
      );
    }
    this.#held[device]!++;
  }

  /** Pools `rec` (which holds a queue) when there is room; returns whether it did. */
  put(rec: StreamRecord): boolean {
    if (!this.hasRoom) return false;
    this.#list(key(rec.device, rec.backendPriority), true)!.push(rec);
    this.#size++;
    return true;
  }

  /** Stops counting a freed record against its device. */
  release(rec: StreamRecord): void {
    this.#held[rec.device]!--;
  }

  /** Frees every pooled record. */
  clear(): void {
    for (const list of this.#lists.values()) for (const rec of list) this.#free(rec);
    this.#lists.clear();
    this.#lastKey = -1;
    this.#lastList = undefined;
    this.#size = 0;
  }

  /** The list of key `k`; made when `make` (only `clear` drops lists, and it drops the cached one too). */
  #list(k: number, make: boolean): StreamRecord[] | undefined {
    if (k === this.#lastKey) return this.#lastList;
    let list = this.#lists.get(k);
    if (list === undefined) {
      if (!make) return undefined;
      list = [];
      this.#lists.set(k, list);
    }
    this.#lastKey = k;
    this.#lastList = list;
    return list;
  }

  #evict(device: number): boolean {
    for (const [k, list] of this.#lists) {
      if (Math.floor(k / 65536) !== device || list.length === 0) continue;
      this.#free(list.pop()!);
      this.#size--;
      return true;
    }
    return false;
  }
}

function key(device: number, backendPriority: number): number {
  return device * 65536 + (backendPriority & 0xffff);
}
