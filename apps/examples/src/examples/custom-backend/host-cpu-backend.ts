import {
  type CompletionSink,
  type DeviceBackend,
  type DeviceCapabilities,
  type DeviceOp,
  type MemoryInfo,
  type MemRef,
  NpuError,
  type OpFailure,
  type QueueOptions,
  scheduleMacrotask,
  wallClock,
} from "@npurt/core";
import { errorMessage } from "@npurt/core/internal";
import { HOST_KERNELS } from "./host-kernels.js";

/** Options of {@link hostCpuBackend}. */
export interface HostCpuBackendOptions {
  /** Memory the backend hands out, bytes; default 256 MiB (backed lazily by host memory). */
  readonly memoryBytes?: number;
  /** Hardware queues at once; default 64. */
  readonly maxQueues?: number;
}

interface Entry {
  readonly opId: number;
  readonly op: DeviceOp;
  readonly seq: number;
  aborted: boolean;
}

interface HostQueue {
  readonly id: number;
  readonly priority: number;
  readonly ops: Entry[];
}

interface Allocation {
  readonly bytes: number;
  readonly reserved: number;
  /** Backed on first use: an allocation nobody writes costs no host memory. */
  data: Uint8Array | undefined;
}

const ALIGN = 64;
/** Ops run per macrotask before the backend yields to the event loop. */
const OPS_PER_TURN = 256;

/**
 * A `DeviceBackend` of another kind than the simulated NPU: it runs kernels for real on the host
 * thread, in wall time (`timeModel: 'wall'`, the clock is `performance.now()`), with device
 * memory in host `ArrayBuffer`s. One queue's ops run in order; among the queues whose first op
 * can run, the most urgent priority goes first, then the op enqueued earliest. Ops run on
 * macrotasks, never inside `enqueue`, so host code keeps running between them.
 *
 * It is small on purpose (the interface is the same one the simulator implements), and it
 * passes core's conformance suite: see `test/custom-backend.test.ts`.
 *
 * @example
 * ```ts
 * const device = createDevice(hostCpuBackend());
 * const manager = new StreamManager(device);
 * ```
 */
export function hostCpuBackend(options: HostCpuBackendOptions = {}): DeviceBackend {
  return new HostCpuBackend(options);
}

class HostCpuBackend implements DeviceBackend {
  readonly specificationVersion = "v1" as const;
  readonly name = "host-cpu";
  readonly clock = wallClock();
  readonly capabilities: DeviceCapabilities;

  readonly #maxQueues: number;
  readonly #memoryBytes: number;
  readonly #queues = new Map<number, HostQueue>();
  readonly #counters = new Map<number, number>();
  readonly #allocations = new Map<number, Allocation>();
  #sink: CompletionSink | undefined;
  #nextQueue = 1;
  #nextCounter = 1;
  #nextAddress = 0x1000;
  #seq = 0;
  #used = 0;
  #peak = 0;
  #lastStamp = 0;
  #scheduled = false;
  #closed = false;

  constructor(options: HostCpuBackendOptions) {
    this.#memoryBytes = options.memoryBytes ?? 256 * 2 ** 20;
    this.#maxQueues = options.maxQueues ?? 64;
    if (!Number.isSafeInteger(this.#memoryBytes) || this.#memoryBytes < 1)
      throw new NpuError("INVALID_PARAM", "memoryBytes must be a positive integer");
    if (!Number.isSafeInteger(this.#maxQueues) || this.#maxQueues < 1)
      throw new NpuError("INVALID_PARAM", "maxQueues must be a positive integer");
    this.capabilities = Object.freeze<DeviceCapabilities>({
      devices: [
        {
          index: 0,
          name: "host CPU",
          computeUnits: 1,
          memoryBytes: this.#memoryBytes,
          maxQueues: this.#maxQueues,
          maxCounters: Number.POSITIVE_INFINITY,
          copyEngines: 0,
        },
      ],
      timeModel: "wall",
      priorities: { supported: true, greatest: 0, least: 7 },
      ops: ["kernel", "copy", "fill", "signal", "wait"],
      copyDirections: ["h2d", "d2h", "d2d"],
      timing: true,
      // One host thread runs everything: work of different queues never overlaps in time.
      concurrentQueues: false,
      computesKernels: true,
      kernels: Object.keys(HOST_KERNELS),
    });
  }

  connect(sink: CompletionSink): void {
    this.#sink = sink;
  }

  createQueue(_device: number, options: QueueOptions): number {
    if (this.#queues.size >= this.#maxQueues)
      throw new NpuError("NO_STREAM_RESOURCE", `the host backend holds at most ${this.#maxQueues} queues`);
    const id = this.#nextQueue++;
    this.#queues.set(id, { id, priority: options.priority, ops: [] });
    return id;
  }

  destroyQueue(queue: number): void {
    this.#queues.delete(queue);
  }

  enqueue(queue: number, opId: number, op: DeviceOp): void {
    this.#queue(queue).ops.push({ opId, op, seq: this.#seq++, aborted: false });
    this.#schedule();
  }

  abortQueue(queue: number): void {
    // Nothing runs between macrotasks, so every op still listed is queued, none is running.
    for (const entry of this.#queue(queue).ops) entry.aborted = true;
    this.#schedule();
  }

  allocate(_device: number, bytes: number): number {
    const reserved = Math.ceil(bytes / ALIGN) * ALIGN;
    if (this.#used + reserved > this.#memoryBytes)
      throw new NpuError(
        "MEMORY_ALLOCATION",
        `cannot allocate ${bytes} B: ${this.#memoryBytes - this.#used} B of ${this.#memoryBytes} B free`,
      );
    // Addresses are never reused, so a stale op can never touch a new owner's memory.
    const base = this.#nextAddress;
    this.#nextAddress += reserved;
    this.#allocations.set(base, { bytes, reserved, data: undefined });
    this.#used += reserved;
    this.#peak = Math.max(this.#peak, this.#used);
    return base;
  }

  release(base: number): void {
    const a = this.#allocations.get(base);
    if (a === undefined) throw new NpuError("MEMORY_FREE", `no allocation at ${base}`);
    this.#allocations.delete(base);
    this.#used -= a.reserved;
  }

  memoryInfo(): MemoryInfo {
    return {
      allocations: this.#allocations.size,
      bytesInUse: this.#used,
      peakBytes: this.#peak,
      capacityBytes: this.#memoryBytes,
      // Host memory has no fragmentation the backend can see: what is left is one piece.
      largestFreeBlock: this.#memoryBytes - this.#used,
    };
  }

  createCounter(): number {
    const id = this.#nextCounter++;
    this.#counters.set(id, 0);
    return id;
  }

  destroyCounter(counter: number): void {
    this.#counters.delete(counter);
  }

  counterValue(counter: number): number {
    return this.#counters.get(counter) ?? 0;
  }

  signalCounter(counter: number, value: number): void {
    this.#raise(counter, value);
    this.#schedule();
  }

  close(): void {
    this.#closed = true;
    this.#queues.clear();
    this.#allocations.clear();
    this.#counters.clear();
  }

  #queue(id: number): HostQueue {
    const q = this.#queues.get(id);
    if (q === undefined) throw new NpuError("INVALID_HANDLE", `no queue ${id}`);
    return q;
  }

  #raise(counter: number, value: number): void {
    const current = this.#counters.get(counter);
    if (current !== undefined && value > current) this.#counters.set(counter, value);
  }

  #schedule(): void {
    if (this.#scheduled || this.#closed) return;
    this.#scheduled = true;
    scheduleMacrotask(() => this.#run());
  }

  /** Device time of the next instant: wall time, strictly after the previous one reported. */
  #stamp(): number {
    this.#lastStamp = Math.max(this.clock.now(), this.#lastStamp + 1);
    return this.#lastStamp;
  }

  /** The queue whose first op can run: most urgent priority, then the oldest op. */
  #ready(): HostQueue | undefined {
    let best: HostQueue | undefined;
    for (const q of this.#queues.values()) {
      const head = q.ops[0];
      if (head === undefined) continue;
      if (!head.aborted && head.op.kind === "wait" && this.counterValue(head.op.counter) < head.op.value)
        continue;
      if (
        best === undefined ||
        q.priority < best.priority ||
        (q.priority === best.priority && head.seq < best.ops[0]!.seq)
      )
        best = q;
    }
    return best;
  }

  #run(): void {
    this.#scheduled = false;
    for (let n = 0; n < OPS_PER_TURN && !this.#closed; n++) {
      const q = this.#ready();
      if (q === undefined) return;
      const entry = q.ops.shift()!;
      const startNs = this.#stamp();
      const failure: OpFailure | undefined = entry.aborted
        ? { code: "STREAM_ABORT", message: "the queue was aborted before the op ran" }
        : this.#execute(entry.op);
      const endNs = this.#stamp();
      const status = entry.aborted ? "aborted" : failure === undefined ? "ok" : "error";
      // The sink may call back in (enqueue, abort, destroy, close): state is consistent here.
      this.#sink?.complete({
        queue: q.id,
        opId: entry.opId,
        status,
        startNs,
        endNs,
        ...(failure === undefined ? {} : { failure }),
      });
    }
    // More to do than one turn allows: yield to the event loop and come back.
    if (!this.#closed && this.#ready() !== undefined) this.#schedule();
  }

  /** Runs one op; returns its failure, if any (never throws). */
  #execute(op: DeviceOp): OpFailure | undefined {
    try {
      switch (op.kind) {
        case "signal":
          this.#raise(op.counter, op.value);
          return undefined;
        case "wait":
          return undefined;
        case "fill":
          this.#bytes(op.dst).fill(op.value);
          return undefined;
        case "copy":
          if (op.direction === "h2d") this.#bytes(op.dst).set(op.src);
          else if (op.direction === "d2h") op.dst.set(this.#bytes(op.src));
          else this.#bytes(op.dst).set(this.#bytes(op.src).slice());
          return undefined;
        case "kernel": {
          const kernel = HOST_KERNELS[op.name];
          if (kernel === undefined) return { code: "INVALID_PARAM", message: `unknown kernel ${op.name}` };
          kernel({
            inputs: op.inputs.map((r) => this.#floats(r)),
            outputs: op.outputs.map((r) => this.#floats(r)),
            params: op.params,
          });
          return undefined;
        }
      }
    } catch (error) {
      const code =
        NpuError.isInstance(error) && error.code === "INVALID_HANDLE" ? "INVALID_HANDLE" : "KERNEL_FAILED";
      return { code, message: errorMessage(error) };
    }
  }

  /** The bytes of a memory range; `INVALID_HANDLE` when it was released before the op ran. */
  #bytes(ref: MemRef): Uint8Array {
    const a = this.#allocations.get(ref.base);
    if (a === undefined) throw new NpuError("INVALID_HANDLE", "the op's memory was released before it ran");
    a.data ??= new Uint8Array(a.reserved);
    return a.data.subarray(ref.offset, ref.offset + ref.bytes);
  }

  /** A float32 view of a memory range (whole elements; offsets must be 4-byte aligned). */
  #floats(ref: MemRef): Float32Array {
    const bytes = this.#bytes(ref);
    if (bytes.byteOffset % 4 !== 0)
      throw new NpuError("INVALID_PARAM", "a kernel operand must start on a 4-byte boundary");
    return new Float32Array(bytes.buffer, bytes.byteOffset, Math.floor(bytes.byteLength / 4));
  }
}
