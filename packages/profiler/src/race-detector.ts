import {
  type HostWaitEvent,
  type InstrumentationEvent,
  NpuError,
  type OpEnqueuedEvent,
  type PoolAllocatedEvent,
  type PoolFreedEvent,
} from "@npurt/core";
import { type AttachTarget, resolveTarget, Subscription } from "./internal/attach-target.js";
import { StreamBinder } from "./internal/stream-binder.js";
import { EMPTY_CLOCK, join, type VectorClock, withEpoch } from "./internal/vector-clock.js";

/** One side of a race. */
export interface RaceAccess {
  /**
   * Core's op id; for a stream-ordered allocation or free (no device op), a negative number
   * unique to it.
   */
  readonly opId: number;
  /**
   * Kernel name, or `copy h2d` / `copy d2h` / `copy d2d` / `fill`; `allocAsync` or `freeAsync`
   * (with the pool: `allocAsync from pool 1`) for a stream-ordered allocation or free.
   */
  readonly op: string;
  /** A stream-ordered allocation or free counts as a write of the whole buffer. */
  readonly access: "read" | "write";
  /** The stream that enqueued the op, when the streams layer reported it. */
  readonly stream: number | undefined;
  /** The hardware queue the op ran on; -1 for an allocation or free on a stream with no queue yet. */
  readonly queue: number;
  /** Where in the buffer the op accessed: from this byte offset … */
  readonly offset: number;
  /** … this many bytes. */
  readonly bytes: number;
}

/** Two unordered accesses to one buffer from different streams, at least one a write. */
export interface RaceReport {
  /** The buffer's device address (its base). */
  readonly buffer: number;
  readonly device: number;
  /** The tag given at allocation. */
  readonly tag: string | undefined;
  /** The earlier access (in submission order). */
  readonly first: RaceAccess;
  /** The later access, which nothing orders after `first`. */
  readonly second: RaceAccess;
  /** What a person reads. */
  readonly description: string;
}

interface Access {
  /** -1 for a pool access on a stream that has no queue yet (placed when it gets one). */
  queue: number;
  /**
   * The op's epoch on its queue. A pool allocation or free sits between two ops of its stream:
   * its epoch is the next op's, so whatever is ordered after that op is ordered after it
   * (`Infinity` until that op is seen).
   */
  epoch: number;
  /** Byte range `[lo, hi)` within the buffer. */
  readonly lo: number;
  readonly hi: number;
  readonly info: Mutable<RaceAccess>;
  /**
   * For a pool access: its stream's sync key and the count of its stream's pool accesses up to
   * it. A host synchronize of the stream (or its device) puts the key into the host's clock, so
   * later work is ordered after an allocation or free that no op of its stream follows yet.
   */
  readonly sync?: number;
  readonly syncEpoch?: number;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

/** A pool access waiting for the op after it on its queue, the `index`-th op enqueued there. */
interface Waiting {
  readonly index: number;
  readonly access: Access;
}

/**
 * The accesses of one buffer that a later one may race with. Ops may name parts of a buffer
 * (`{ buffer, offset, bytes }`), so accesses are byte ranges: two race only where they overlap.
 * A write drops the accesses its range covers whole (as the sanitizer's "last write" replaces
 * the previous one); a read drops its own queue's earlier reads it covers.
 */
interface BufferState {
  writes: Access[];
  reads: Access[];
}

interface QueueState {
  /** Epochs of other queues (and its own) this queue's next op is ordered after. */
  clock: VectorClock;
  epoch: number;
  /** A wait whose record has not been seen: later ops are held until it resolves. */
  blockedOn: string | undefined;
  blockedOpId: number;
  held: OpEnqueuedEvent[];
  hostVersion: number;
  /** Ops enqueued on the queue, and applied (held ones wait): the k-th applied is the k-th enqueued. */
  enqueued: number;
  applied: number;
  /** Pool accesses placed before the op with that index, in index order. */
  waiting: Waiting[];
}

/**
 * A stream race detector in the manner of PyTorch's CUDA sanitizer: a vector clock per hardware
 * queue; each kernel, copy and fill declares what it reads and writes (its inputs and outputs);
 * two accesses to one buffer from different queues, at least one a write, are a race unless an
 * event (record → wait) or a host synchronisation orders them.
 *
 * Happens-before comes from: the order of ops in a queue; a wait on a record (the waiting
 * queue's clock joins the recording queue's clock at the record); and the host: an op is
 * ordered after every completion the host had seen when it enqueued the op (a synchronize,
 * or any await that let completions in), and every synchronize the host awaited (`host.wait`).
 * Accesses are byte ranges of a buffer: ops on two disjoint parts of one buffer
 * (`{ buffer, offset, bytes }`) do not race; overlapping parts do.
 *
 * Stream-ordered memory is covered too: a pool allocation (`allocAsync`) and a free
 * (`freeAsync`) are writes of the whole buffer on their stream, at their place among its ops. A
 * use on another stream not ordered after the allocation, or a free while another stream's
 * unordered use may still run, is a race; the free a block is reused after is not (the pool
 * orders every reuse itself).
 *
 * @example
 * ```ts
 * const races = new RaceDetector().attach(device);
 * a.launch({ name: "produce", outputs: [buf] });
 * b.launch({ name: "consume", inputs: [buf] }); // no event between them
 * races.races()[0]?.description; // "race on buffer 0x… (tag "kv"): write by produce on stream 1 …"
 * ```
 */
export class RaceDetector {
  #sub = new Subscription("RaceDetector");
  #queues = new Map<number, QueueState>();
  #buffers = new Map<number, BufferState>();
  #tags = new Map<number, { tag: string | undefined; device: number }>();
  /** Per "counter:value": the recording queue's clock at the record, its own epoch included. */
  #signals = new Map<string, VectorClock>();
  /** Per op not yet completed: its queue's clock right after it (what the host learns at completion). */
  #pendingSnapshots = new Map<number, VectorClock>();
  #host: VectorClock = EMPTY_CLOCK;
  #hostVersion = 0;
  /** Accesses of the op just enqueued: their stream is named by the event that follows it. */
  #unnamed: { stream: number | undefined; queue: number }[] = [];
  #streams = new StreamBinder((queue, stream) => {
    for (const a of this.#unnamed) if (a.queue === queue) a.stream = stream;
    this.#place(queue, stream);
  });
  #races: RaceReport[] = [];
  #seen = new Set<string>();
  /** Per stream: its pool accesses so far (the epoch of its sync key). */
  #syncEpochs = new Map<number, number>();
  /** Pool accesses of streams with no queue yet, placed at the stream's first op. */
  #unplaced = new Map<number, Access[]>();
  /** Per stream: its device, for a device synchronize. */
  #streamDevice = new Map<number, number>();
  /** Per host wait in progress: what the host will have seen when it ends well. */
  #waitClocks = new Map<number, VectorClock>();
  #poolOps = 0;

  /** Starts watching the target (`ILLEGAL_STATE` if already attached). Returns `this`. */
  attach(target: AttachTarget): this {
    this.#sub.open(resolveTarget(target).bus, this.#listener);
    return this;
  }

  /** Stops watching; the races found stay readable. */
  detach(): void {
    this.#sub.close();
  }

  /** Races found so far, in the order they were found. */
  races(): readonly RaceReport[] {
    return this.#races.map((r) => ({
      ...r,
      first: { ...r.first },
      second: { ...r.second },
      description: describe(r),
    }));
  }

  /** Throws `ILLEGAL_STATE` listing every race found (`details.races`), unless there is none. */
  assertNoRaces(): void {
    if (this.#races.length === 0) return;
    throw new NpuError(
      "ILLEGAL_STATE",
      `${this.#races.length} stream race(s):\n${this.#races.map((r) => `  - ${r.description}`).join("\n")}`,
      { details: { races: this.races() } },
    );
  }

  readonly #listener = (e: InstrumentationEvent): void => {
    this.#streams.observe(e);
    if (e.type !== "op.enqueued" && this.#unnamed.length > 0) this.#unnamed = [];
    switch (e.type) {
      case "op.enqueued":
        this.#unnamed = [];
        this.#onEnqueued(e);
        return;
      case "op.completed":
        this.#onCompleted(e.queue, e.opId);
        return;
      case "memory.allocated":
        this.#tags.set(e.ptr, { tag: e.tag, device: e.device });
        this.#buffers.delete(e.ptr);
        return;
      case "memory.released":
        this.#buffers.delete(e.ptr);
        return;
      case "pool.allocated":
        this.#tags.set(e.ptr, { tag: e.tag, device: e.device });
        this.#poolAccess(e, `allocAsync from pool ${e.pool}`, e.reuse !== "new");
        return;
      case "pool.freed":
        this.#poolAccess(e, `freeAsync to pool ${e.pool}`, false);
        return;
      case "stream.created":
        this.#streamDevice.set(e.stream, e.device);
        return;
      case "host.wait":
        this.#onHostWait(e);
        return;
      default:
        return;
    }
  };

  #queue(q: number): QueueState {
    let s = this.#queues.get(q);
    if (s === undefined) {
      s = {
        clock: EMPTY_CLOCK,
        epoch: 0,
        blockedOn: undefined,
        blockedOpId: -1,
        held: [],
        hostVersion: -1,
        enqueued: 0,
        applied: 0,
        waiting: [],
      };
      this.#queues.set(q, s);
    }
    return s;
  }

  #onEnqueued(e: OpEnqueuedEvent): void {
    const q = this.#queue(e.queue);
    q.enqueued++;
    // The host issued this op after everything it had seen complete.
    if (q.hostVersion !== this.#hostVersion) {
      q.clock = join(q.clock, this.#host);
      q.hostVersion = this.#hostVersion;
    }
    if (q.blockedOn !== undefined) {
      q.held.push(e);
      return;
    }
    this.#apply(e, q);
  }

  #apply(e: OpEnqueuedEvent, q: QueueState): void {
    q.epoch++;
    q.applied++;
    // Pool accesses just before this op take its epoch.
    while (q.waiting.length > 0 && q.waiting[0]!.index === q.applied)
      q.waiting.shift()!.access.epoch = q.epoch;
    q.clock = withEpoch(q.clock, e.queue, q.epoch);
    this.#pendingSnapshots.set(e.opId, q.clock);
    if (e.kind === "signal" || e.kind === "wait") {
      const key = e.name.slice(e.name.indexOf(":") + 1).replace("=", ":");
      if (e.kind === "signal") {
        this.#signals.set(key, q.clock);
        this.#release(key);
      } else {
        const snap = this.#signals.get(key);
        if (snap !== undefined) q.clock = join(q.clock, snap);
        else {
          // Not recorded yet (a wait for a future record, or a counter the host signals): hold
          // this queue's later ops until the record is seen or the wait completes.
          q.blockedOn = key;
          q.blockedOpId = e.opId;
        }
      }
      return;
    }
    const reads = e.reads ?? [];
    const writes = e.writes ?? [];
    const label = e.kind === "copy" ? `copy ${e.name}` : e.name;
    for (let i = 0; i < reads.length; i += 3)
      this.#access(reads[i]!, reads[i + 1]!, reads[i + 2]!, "read", e, label, q);
    for (let i = 0; i < writes.length; i += 3)
      this.#access(writes[i]!, writes[i + 1]!, writes[i + 2]!, "write", e, label, q);
  }

  #release(key: string): void {
    for (const [id, q] of this.#queues) {
      if (q.blockedOn === key) this.#unblock(id, q, this.#signals.get(key)!);
    }
  }

  #unblock(_id: number, q: QueueState, clock: VectorClock): void {
    q.clock = join(q.clock, clock);
    q.blockedOn = undefined;
    q.blockedOpId = -1;
    const held = q.held;
    q.held = [];
    for (let i = 0; i < held.length; i++) {
      if (q.blockedOn !== undefined) {
        q.held.push(...held.slice(i));
        return;
      }
      this.#apply(held[i]!, q);
    }
  }

  #onCompleted(queue: number, opId: number): void {
    const snap = this.#pendingSnapshots.get(opId);
    if (snap !== undefined) {
      this.#pendingSnapshots.delete(opId);
      const joined = join(this.#host, snap);
      if (joined !== this.#host) {
        this.#host = joined;
        this.#hostVersion++;
      }
    }
    const q = this.#queues.get(queue);
    // A held wait completed without a device record: the host signalled it, after all it had seen.
    if (q !== undefined && q.blockedOpId === opId) this.#unblock(queue, q, this.#host);
  }

  #access(
    buffer: number,
    offset: number,
    bytes: number,
    access: "read" | "write",
    e: OpEnqueuedEvent,
    op: string,
    q: QueueState,
  ): void {
    let b = this.#buffers.get(buffer);
    if (b === undefined) {
      b = { writes: [], reads: [] };
      this.#buffers.set(buffer, b);
    }
    const info: Mutable<RaceAccess> = {
      opId: e.opId,
      op,
      access,
      stream: this.#streams.streamOf(e.queue),
      queue: e.queue,
      offset,
      bytes,
    };
    // A stream's first op (on a fresh or pooled queue) comes before the event that names its
    // stream; the binder renames it when that event comes.
    this.#unnamed.push(info);
    this.#check(
      b,
      buffer,
      { queue: e.queue, epoch: q.epoch, lo: offset, hi: offset + bytes, info },
      q.clock,
      undefined,
    );
  }

  /**
   * Checks access `me` of `buffer` against the accesses before it, as seen from `clock`, and
   * records it. `exempt` is an access ordered before `me` whatever the clocks say.
   */
  #check(b: BufferState, buffer: number, me: Access, clock: VectorClock, exempt: Access | undefined): void {
    const { lo, hi } = me;
    const stream = me.info.stream;
    const ordered = (a: Access): boolean =>
      a === exempt ||
      (a.queue === me.queue && a.queue >= 0) ||
      (stream !== undefined && a.info.stream === stream) ||
      (clock.get(a.queue) ?? 0) >= a.epoch ||
      (a.sync !== undefined && (clock.get(a.sync) ?? 0) >= a.syncEpoch!);
    const overlaps = (a: Access): boolean => a.lo < hi && lo < a.hi;
    for (const w of b.writes) if (overlaps(w) && !ordered(w)) this.#report(buffer, w, me);
    if (me.info.access === "write") {
      for (const r of b.reads) if (overlaps(r) && !ordered(r)) this.#report(buffer, r, me);
      const covered = (a: Access): boolean => lo <= a.lo && a.hi <= hi;
      b.writes = b.writes.filter((w) => !covered(w));
      b.writes.push(me);
      b.reads = b.reads.filter((r) => !covered(r));
    } else {
      b.reads = b.reads.filter((r) => !(r.queue === me.queue && lo <= r.lo && r.hi <= hi));
      b.reads.push(me);
    }
  }

  /**
   * A pool allocation or free: a write of the whole buffer on its stream, after the ops its
   * stream enqueued so far. A reused block's allocation is ordered after the free it reuses: the
   * pool hands a block only to a stream ordered after that free.
   */
  #poolAccess(e: PoolAllocatedEvent | PoolFreedEvent, op: string, reused: boolean): void {
    const stream = e.stream;
    const syncEpoch = (this.#syncEpochs.get(stream) ?? 0) + 1;
    this.#syncEpochs.set(stream, syncEpoch);
    const queue = e.queue ?? -1;
    const info: Mutable<RaceAccess> = {
      opId: -++this.#poolOps,
      op,
      access: "write",
      stream,
      queue,
      offset: 0,
      bytes: e.bytes,
    };
    const me: Access = {
      queue,
      epoch: Number.POSITIVE_INFINITY,
      lo: 0,
      hi: e.bytes,
      info,
      sync: syncKey(stream),
      syncEpoch,
    };
    // What the stream has seen: its queue's clock, and everything the host had seen (a pool call
    // is a host call, like an enqueue).
    let clock = this.#host;
    if (queue >= 0) {
      const q = this.#queue(queue);
      clock = join(q.clock, this.#host);
      q.waiting.push({ index: q.enqueued + 1, access: me });
    } else {
      let list = this.#unplaced.get(stream);
      if (list === undefined) {
        list = [];
        this.#unplaced.set(stream, list);
      }
      list.push(me);
    }
    let b = this.#buffers.get(e.ptr);
    if (b === undefined) {
      b = { writes: [], reads: [] };
      this.#buffers.set(e.ptr, b);
    }
    // The free of the block's last owner (a write of the whole buffer: what is left of its uses).
    let lastFree: Access | undefined;
    for (let i = b.writes.length - 1; reused && i >= 0 && lastFree === undefined; i--) {
      if (b.writes[i]!.info.op.startsWith("freeAsync")) lastFree = b.writes[i];
    }
    this.#check(b, e.ptr, me, clock, lastFree);
  }

  /** A stream's first op was matched to its queue: its pool accesses so far sit just before it. */
  #place(queue: number, stream: number): void {
    const list = this.#unplaced.get(stream);
    if (list === undefined) return;
    this.#unplaced.delete(stream);
    const q = this.#queue(queue);
    // The op just enqueued on the queue is the stream's first.
    const index = q.enqueued;
    for (const a of list) {
      a.queue = queue;
      a.info.queue = queue;
      if (q.applied >= index) a.epoch = q.epoch;
      else q.waiting.push({ index, access: a });
    }
    if (q.applied < index) q.waiting.sort((x, y) => x.index - y.index);
    // That first op was checked before its stream was known (the naming event follows it), so it
    // may have been reported as racing with its own stream's earlier allocation: it does not.
    const placed = new Set<RaceAccess>(list.map((a) => a.info));
    this.#races = this.#races.filter((r) => !(placed.has(r.first) && r.second.stream === stream));
  }

  /**
   * A host synchronize: when it resolves, the host has seen everything the stream (every stream
   * of the device, for a device synchronize) did up to the call — its pool accesses included,
   * which no completion reports. An event synchronize needs nothing here: the record's own
   * completion brings its stream's ops and pool accesses before it.
   */
  #onHostWait(e: HostWaitEvent): void {
    if (e.phase === "begin") {
      let clock: VectorClock = EMPTY_CLOCK;
      for (const [stream, epoch] of this.#syncEpochs) {
        const covered =
          e.target === "stream"
            ? stream === e.id
            : // A stream created before the detector attached has no known device: counted in.
              e.target === "device" &&
              (e.id === undefined || (this.#streamDevice.get(stream) ?? e.id) === e.id);
        if (covered) clock = withEpoch(clock, syncKey(stream), epoch);
      }
      if (clock.size > 0) this.#waitClocks.set(e.wait, clock);
      return;
    }
    const clock = this.#waitClocks.get(e.wait);
    if (clock === undefined) return;
    this.#waitClocks.delete(e.wait);
    if (e.outcome !== "ok") return;
    const joined = join(this.#host, clock);
    if (joined !== this.#host) {
      this.#host = joined;
      this.#hostVersion++;
    }
  }

  #report(buffer: number, first: Access, second: Access): void {
    const key = `${buffer}:${first.info.opId}:${second.info.opId}`;
    if (this.#seen.has(key)) return;
    this.#seen.add(key);
    const meta = this.#tags.get(buffer);
    this.#races.push({
      get description() {
        return describe(this);
      },
      buffer,
      device: meta?.device ?? 0,
      tag: meta?.tag,
      first: first.info,
      second: second.info,
    });
  }
}

/**
 * The clock key of a stream's pool accesses: negative, so never a queue id, and below -1, the
 * queue of a pool access not placed yet.
 */
function syncKey(stream: number): number {
  return -2 - stream;
}

function describe(r: Omit<RaceReport, "description">): string {
  const side = (a: RaceAccess) =>
    `${a.access} of bytes [${a.offset}, ${a.offset + a.bytes}) by ${a.op}${a.opId < 0 ? "" : ` (op ${a.opId})`} on ${
      a.stream === undefined ? `queue ${a.queue}` : `stream ${a.stream}`
    }`;
  const tag = r.tag === undefined ? "" : ` (tag "${r.tag}")`;
  return `race on buffer 0x${r.buffer.toString(16)}${tag}: ${side(r.first)}, then ${side(r.second)}, with no event or synchronize between them`;
}
