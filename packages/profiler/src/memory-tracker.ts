import { type InstrumentationEvent, NpuTypeError } from "@npurt/core";
import { type AttachTarget, resolveTarget, Subscription } from "./internal/attach-target.js";
import { StreamBinder } from "./internal/stream-binder.js";
import { optionsOf } from "./internal/validate.js";

/** Bytes in use after a change, at a time (ns on the device clock). */
export interface MemoryPoint {
  readonly timeNs: number;
  readonly bytes: number;
}

/** Current and peak bytes of one key (a device, a stream or a tag), with its time series. */
export interface MemorySeries {
  readonly currentBytes: number;
  readonly peakBytes: number;
  /** One point per change, in event order. */
  readonly points: readonly MemoryPoint[];
}

/** Device memory around one host callback: a per-callback memory checkpoint. */
export interface CallbackMemoryCheckpoint {
  readonly callback: number;
  readonly label: string | undefined;
  readonly stream: number | undefined;
  readonly startedNs: number;
  readonly finishedNs: number;
  /** Device memory in use (all devices) when the callback started and finished. */
  readonly deviceBytesAtStart: number;
  readonly deviceBytesAtFinish: number;
  /** Host memory from the `hostMemory` sampler, when one was given. */
  readonly hostBytesAtStart: number | undefined;
  readonly hostBytesAtFinish: number | undefined;
}

/** Options of {@link MemoryTracker}. */
export interface MemoryTrackerOptions {
  /**
   * Samples host memory in bytes at each callback's start and finish. The `./node` subpath's
   * `nodeHeapUsed` reads `process.memoryUsage().heapUsed`; in a browser pass your own, or none.
   */
  readonly hostMemory?: () => number;
}

class Series {
  currentBytes = 0;
  peakBytes = 0;
  points: MemoryPoint[] = [];

  add(timeNs: number, delta: number): void {
    this.currentBytes += delta;
    if (this.currentBytes > this.peakBytes) this.peakBytes = this.currentBytes;
    this.points.push({ timeNs, bytes: this.currentBytes });
  }

  snapshot(): MemorySeries {
    return { currentBytes: this.currentBytes, peakBytes: this.peakBytes, points: [...this.points] };
  }
}

/**
 * Device memory over time: current and peak per device, per user tag and per stream, each
 * with its time series, and a memory checkpoint around every host callback.
 *
 * A buffer counts toward a stream from the first op of that stream that reads or writes it
 * until it is released (allocations themselves belong to no stream in CANN), so one buffer
 * shared by two streams counts for both.
 *
 * @example
 * ```ts
 * const memory = new MemoryTracker().attach(device);
 * // … run …
 * memory.byTag().get("kv-cache")?.peakBytes;
 * ```
 */
export class MemoryTracker {
  readonly #hostMemory: (() => number) | undefined;
  #sub = new Subscription("MemoryTracker");
  #devices = new Map<number, Series>();
  #tags = new Map<string, Series>();
  #streams = new Map<number, Series>();
  #buffers = new Map<number, { bytes: number; tag: string | undefined; streams: Set<number> }>();
  /** Accesses of the op just enqueued, charged once the binder names its stream. */
  #pendingAccess: { queue: number; buffers: number[]; time: number } | undefined;
  #binder = new StreamBinder();
  #totalBytes = 0;
  #running = new Map<
    number,
    {
      label: string | undefined;
      stream: number | undefined;
      startedNs: number;
      device: number;
      host: number | undefined;
    }
  >();
  #checkpoints: CallbackMemoryCheckpoint[] = [];

  constructor(options?: MemoryTrackerOptions) {
    const opts = optionsOf(options, "MemoryTracker options");
    if (opts.hostMemory !== undefined && typeof opts.hostMemory !== "function") {
      throw new NpuTypeError("hostMemory must be a function returning bytes");
    }
    this.#hostMemory = opts.hostMemory;
  }

  /** Starts tracking (`ILLEGAL_STATE` if already attached). Returns `this`. */
  attach(target: AttachTarget): this {
    this.#sub.open(resolveTarget(target).bus, this.#listener);
    return this;
  }

  /** Stops tracking; the series stay readable. */
  detach(): void {
    this.#sub.close();
  }

  /** Per device index. */
  byDevice(): ReadonlyMap<number, MemorySeries> {
    return snapshot(this.#devices);
  }

  /** Per allocation tag (untagged allocations are not listed). */
  byTag(): ReadonlyMap<string, MemorySeries> {
    return snapshot(this.#tags);
  }

  /** Per stream id: the live buffers its ops touched. */
  byStream(): ReadonlyMap<number, MemorySeries> {
    return snapshot(this.#streams);
  }

  /** One checkpoint per host callback that finished, in finishing order. */
  checkpoints(): readonly CallbackMemoryCheckpoint[] {
    return [...this.#checkpoints];
  }

  #series<K>(map: Map<K, Series>, key: K): Series {
    let s = map.get(key);
    if (s === undefined) {
      s = new Series();
      map.set(key, s);
    }
    return s;
  }

  #charge(stream: number, buffers: readonly number[], time: number): void {
    for (const ptr of buffers) {
      const b = this.#buffers.get(ptr);
      if (b === undefined || b.streams.has(stream)) continue;
      b.streams.add(stream);
      this.#series(this.#streams, stream).add(time, b.bytes);
    }
  }

  readonly #listener = (e: InstrumentationEvent): void => {
    const pending = this.#pendingAccess;
    this.#pendingAccess = undefined;
    this.#binder.observe(e);
    if (pending !== undefined) {
      const stream = this.#binder.streamOf(pending.queue);
      if (stream !== undefined) this.#charge(stream, pending.buffers, pending.time);
    }
    switch (e.type) {
      case "op.enqueued": {
        const buffers: number[] = [];
        for (const list of [e.reads, e.writes]) {
          if (list !== undefined) for (let i = 0; i < list.length; i += 3) buffers.push(list[i]!);
        }
        if (buffers.length === 0) return;
        // The stream of this op's queue is known only after the next event (a new stream's first op).
        this.#pendingAccess = { queue: e.queue, buffers, time: e.time };
        return;
      }
      case "memory.allocated":
      case "memory.released": {
        const delta = e.type === "memory.allocated" ? e.bytes : -e.bytes;
        this.#totalBytes += delta;
        this.#series(this.#devices, e.device).add(e.time, delta);
        if (e.tag !== undefined) this.#series(this.#tags, e.tag).add(e.time, delta);
        if (e.type === "memory.allocated") {
          this.#buffers.set(e.ptr, { bytes: e.bytes, tag: e.tag, streams: new Set() });
        } else {
          const b = this.#buffers.get(e.ptr);
          this.#buffers.delete(e.ptr);
          if (b !== undefined)
            for (const s of b.streams) this.#series(this.#streams, s).add(e.time, -b.bytes);
        }
        return;
      }
      case "callback.started":
        this.#running.set(e.callback, {
          label: e.label,
          stream: e.stream,
          startedNs: e.time,
          device: this.#totalBytes,
          host: this.#hostMemory?.(),
        });
        return;
      case "callback.finished": {
        const r = this.#running.get(e.callback);
        if (r === undefined) return;
        this.#running.delete(e.callback);
        this.#checkpoints.push({
          callback: e.callback,
          label: r.label ?? e.label,
          stream: r.stream ?? e.stream,
          startedNs: r.startedNs,
          finishedNs: e.time,
          deviceBytesAtStart: r.device,
          deviceBytesAtFinish: this.#totalBytes,
          hostBytesAtStart: r.host,
          hostBytesAtFinish: this.#hostMemory?.(),
        });
        return;
      }
      default:
        return;
    }
  };
}

function snapshot<K>(map: Map<K, Series>): ReadonlyMap<K, MemorySeries> {
  return new Map([...map].map(([k, s]) => [k, s.snapshot()]));
}
