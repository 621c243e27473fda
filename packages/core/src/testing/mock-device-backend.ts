import type {
  CompletionSink,
  DeviceBackend,
  DeviceCapabilities,
  MemoryInfo,
  OpFailure,
  QueueOptions,
} from "../backend/device-backend.js";
import { DEVICE_OP_KINDS, type DeviceOp } from "../backend/ops.js";
import { ERROR_CODES, type NpuErrorCode } from "../errors/error-codes.js";
import { NpuError, NpuTypeError } from "../errors/npu-error.js";
import { describe, errorMessage, quote } from "../errors/safe-text.js";
import { check } from "../errors/validate.js";
import type { OpStatus } from "../instrumentation/events.js";
import { scheduleMacrotask } from "../macrotask.js";
import { RingQueue } from "../structures/ring-queue.js";
import { MockMemory } from "./mock-memory.js";
import {
  type MockCall,
  type MockDeviceBackendOptions,
  type MockKernel,
  mockKernels,
} from "./mock-options.js";
import { VirtualClock } from "./virtual-clock.js";

export type { MockCall, MockDeviceBackendOptions, MockKernel } from "./mock-options.js";

interface PendingOp {
  readonly opId: number;
  readonly op: DeviceOp;
  readonly seq: number;
}

interface MockQueue {
  readonly id: number;
  readonly device: number;
  readonly priority: number;
  readonly ops: RingQueue<PendingOp>;
  /** Ops discarded by an abort, waiting to be reported. */
  readonly aborted: RingQueue<PendingOp>;
  /** The head op is hung: it never completes unless aborted. */
  hung: boolean;
}

interface RunningOp {
  readonly q: MockQueue;
  readonly p: PendingOp;
  readonly startNs: number;
  readonly endNs: number;
  /** Stopped at its execution timeout. */
  readonly timedOut: boolean;
}

/**
 * A small reference backend that runs ops one at a time in host order, on a virtual clock, and
 * records every call. It passes the whole conformance suite, so core and the runtime packages
 * are tested before (and besides) any real simulator.
 *
 * Scheduling: among the queues whose first op can run (a wait whose counter is reached, or any
 * other op), the most urgent priority goes first, then the op enqueued earliest. Each op takes
 * its stated `cost.durationNs`, or `opDurationNs`; clock timers due while an op runs fire at
 * their time, without moving the op. Copies and fills really move bytes (when the op ends);
 * kernels run the function given in `kernels`, or nothing.
 *
 * Fault injection: {@link MockDeviceBackend.failNext} and {@link MockDeviceBackend.hangNext}.
 *
 * @example
 * ```ts
 * const mock = new MockDeviceBackend({ kernels: { inc: ({ outputs }) => outputs[0]!.forEach((v, i, a) => { a[i] = v + 1; }) } });
 * const device = createDevice(mock);
 * // ... run a program, then inspect mock.calls
 * ```
 */
export class MockDeviceBackend implements DeviceBackend {
  /** Always `'v1'`. */
  readonly specificationVersion = "v1" as const;
  /** Always `'mock'`. */
  readonly name = "mock";
  /** See {@link DeviceBackend.capabilities}. */
  readonly capabilities: DeviceCapabilities;
  /** The virtual clock the mock runs on. */
  readonly clock: VirtualClock = new VirtualClock({ onTimerSet: () => this.#schedule() });
  /** Every call made to the backend, in order. */
  readonly calls: MockCall[] = [];

  readonly #opDurationNs: number;
  readonly #kernels: Readonly<Record<string, MockKernel>>;
  readonly #queues = new Map<number, MockQueue>();
  readonly #active = new Set<MockQueue>();
  readonly #counters = new Map<number, { device: number; value: number }>();
  readonly #memory: MockMemory;
  readonly #faults: { kernel: string; nth: number; kind: "fail" | "hang"; code: NpuErrorCode }[] = [];
  readonly #kernelCounts = new Map<string, number>();
  #sink: CompletionSink | undefined;
  /** The op executing now: started, and done at `endNs` (timers due before then fire first). */
  #running: RunningOp | undefined;
  #nextQueue = 1;
  #nextCounter = 1;
  #seq = 0;
  #scheduled = false;
  #closed = false;

  /**
   * @throws `TypeError` for options of the wrong type; `INVALID_PARAM` for out-of-range figures
   * (devices 1–1024, compute units ≥ 1, memory 1 B – 1 TiB per device, which is the address
   * window each device gets).
   */
  constructor(options: MockDeviceBackendOptions = {}) {
    const o = check.read(options, "MockDeviceBackend options", [
      "devices",
      "computeUnits",
      "memoryBytes",
      "maxQueues",
      "maxCounters",
      "opDurationNs",
      "kernels",
      "reuseAddresses",
    ]);
    const devices = o.devices === undefined ? 1 : check.integer(o.devices, "devices", 1, 1024);
    const computeUnits = o.computeUnits === undefined ? 8 : check.integer(o.computeUnits, "computeUnits", 1);
    const memoryBytes =
      o.memoryBytes === undefined ? 2 ** 30 : check.integer(o.memoryBytes, "memoryBytes", 1, 2 ** 40);
    const maxQueues =
      o.maxQueues === undefined ? Number.POSITIVE_INFINITY : check.integer(o.maxQueues, "maxQueues", 0);
    const maxCounters =
      o.maxCounters === undefined ? Number.POSITIVE_INFINITY : check.integer(o.maxCounters, "maxCounters", 0);
    this.#opDurationNs =
      o.opDurationNs === undefined ? 1000 : check.integer(o.opDurationNs, "opDurationNs", 0);
    this.#kernels = o.kernels === undefined ? {} : mockKernels(o.kernels);
    if (o.reuseAddresses !== undefined && typeof o.reuseAddresses !== "boolean")
      throw new NpuTypeError(`reuseAddresses must be a boolean, got ${describe(o.reuseAddresses)}`);
    this.capabilities = {
      devices: Array.from({ length: devices }, (_, index) => ({
        index,
        name: "mock-npu",
        computeUnits,
        memoryBytes,
        maxQueues,
        maxCounters,
        copyEngines: 0,
      })),
      timeModel: "virtual",
      priorities: { supported: true, greatest: 0, least: 7 },
      ops: DEVICE_OP_KINDS,
      copyDirections: ["h2d", "d2h", "d2d"],
      timing: true,
      concurrentQueues: false,
      computesKernels: Object.keys(this.#kernels).length > 0,
      kernels: undefined,
      opTimeouts: true,
    };
    this.#memory = new MockMemory(this.capabilities.devices, o.reuseAddresses === true);
  }

  /**
   * Makes the `nth` (1-based, counted from now) launch of kernel `name` fail with `code`
   * (default `KERNEL_FAILED`).
   */
  failNext(name: string, options: { nth?: number; code?: NpuErrorCode } = {}): void {
    check.string(name, "kernel name");
    const o = check.read(options, "failNext options", ["nth", "code"]);
    const nth = o.nth === undefined ? 1 : check.integer(o.nth, "nth", 1);
    const code =
      o.code === undefined
        ? "KERNEL_FAILED"
        : check.oneOf(o.code, Object.keys(ERROR_CODES) as NpuErrorCode[], "code");
    this.#faults.push({ kernel: name, nth: this.#count(name) + nth, kind: "fail", code });
  }

  /** Makes the `nth` (1-based, counted from now) launch of kernel `name` hang until its queue is aborted. */
  hangNext(name: string, options: { nth?: number } = {}): void {
    check.string(name, "kernel name");
    const o = check.read(options, "hangNext options", ["nth"]);
    const nth = o.nth === undefined ? 1 : check.integer(o.nth, "nth", 1);
    this.#faults.push({ kernel: name, nth: this.#count(name) + nth, kind: "hang", code: "TASK_TIMEOUT" });
  }

  connect(sink: CompletionSink): void {
    this.#record("connect", []);
    this.#sink = sink;
  }

  createQueue(device: number, options: QueueOptions): number {
    this.#record("createQueue", [device, options]);
    const limit = this.capabilities.devices[device]!.maxQueues;
    let count = 0;
    for (const q of this.#queues.values()) if (q.device === device) count++;
    if (count >= limit) {
      throw new NpuError("NO_STREAM_RESOURCE", `device ${device} has no free queue (limit ${limit})`, {
        details: { limit },
      });
    }
    const id = this.#nextQueue++;
    this.#queues.set(id, {
      id,
      device,
      priority: options.priority,
      ops: new RingQueue(),
      aborted: new RingQueue(),
      hung: false,
    });
    return id;
  }

  destroyQueue(queue: number): void {
    this.#record("destroyQueue", [queue]);
    const q = this.#queues.get(queue);
    if (q !== undefined) this.#active.delete(q);
    this.#queues.delete(queue);
  }

  enqueue(queue: number, opId: number, op: DeviceOp): void {
    this.#record("enqueue", [queue, opId, op]);
    const q = this.#queues.get(queue);
    if (q === undefined) throw new NpuError("INVALID_HANDLE", `mock: unknown queue ${queue}`);
    q.ops.push({ opId, op, seq: this.#seq++ });
    this.#active.add(q);
    this.#schedule();
  }

  abortQueue(queue: number): void {
    this.#record("abortQueue", [queue]);
    const q = this.#queues.get(queue);
    if (q === undefined) return;
    // A running op is stopped: it is reported aborted with the rest, at the abort's instant.
    if (this.#running?.q === q) this.#running = undefined;
    while (q.ops.size > 0) q.aborted.push(q.ops.shift()!);
    q.hung = false;
    this.#active.add(q);
    this.#schedule();
  }

  allocate(device: number, bytes: number): number {
    this.#record("allocate", [device, bytes]);
    return this.#memory.allocate(device, bytes);
  }

  release(base: number): void {
    this.#record("release", [base]);
    this.#memory.release(base);
  }

  memoryInfo(device: number): MemoryInfo {
    return this.#memory.info(device);
  }

  createCounter(device: number): number {
    this.#record("createCounter", [device]);
    const limit = this.capabilities.devices[device]!.maxCounters;
    let count = 0;
    for (const c of this.#counters.values()) if (c.device === device) count++;
    if (count >= limit)
      throw new NpuError("NO_EVENT_RESOURCE", `device ${device} has no free counter (limit ${limit})`);
    const id = this.#nextCounter++;
    this.#counters.set(id, { device, value: 0 });
    return id;
  }

  destroyCounter(counter: number): void {
    this.#record("destroyCounter", [counter]);
    this.#counters.delete(counter);
  }

  counterValue(counter: number): number {
    return this.#counters.get(counter)?.value ?? 0;
  }

  signalCounter(counter: number, value: number): void {
    this.#record("signalCounter", [counter, value]);
    const c = this.#counters.get(counter);
    if (c !== undefined && value > c.value) c.value = value;
    this.#schedule();
  }

  close(): void {
    this.#record("close", []);
    this.#closed = true;
  }

  // ---- engine -------------------------------------------------------------------------------

  #record(method: string, args: unknown[]): void {
    this.calls.push({ method, args });
  }

  #count(name: string): number {
    return this.#kernelCounts.get(name) ?? 0;
  }

  #schedule(): void {
    if (this.#scheduled || this.#closed) return;
    this.#scheduled = true;
    queueMicrotask(() => this.#pump());
  }

  #yield(): void {
    this.#scheduled = true;
    scheduleMacrotask(() => this.#pump());
  }

  #pump(): void {
    this.#scheduled = false;
    while (!this.#closed) {
      const aborted = this.#nextAborted();
      if (aborted !== undefined) {
        const now = this.clock.now();
        if (
          this.#report(aborted.q, aborted.p, "aborted", now, now, {
            code: "STREAM_ABORT",
            message: "the queue was aborted",
          })
        ) {
          this.#yield();
          return;
        }
        continue;
      }
      if (this.#running === undefined) {
        const q = this.#pick();
        if (q !== undefined && this.#start(q)) continue; // it hung: pick again
      }
      const running = this.#running;
      const nextTimer = this.clock.nextTimerAt();
      if (running === undefined || nextTimer < running.endNs) {
        if (nextTimer === Number.POSITIVE_INFINITY) return; // idle: nothing runnable, no timer
        this.clock.advanceTo(nextTimer);
        try {
          this.clock.fireDue();
        } catch (error) {
          // A timer callback's bug must not stop the engine (and must not reach the event loop).
          console.error("[npurt] mock: a timer callback threw", error);
        }
        this.#yield();
        return;
      }
      if (this.#finish(running)) {
        this.#yield();
        return;
      }
    }
  }

  #nextAborted(): { q: MockQueue; p: PendingOp } | undefined {
    for (const q of this.#active) {
      const p = q.aborted.shift();
      if (p !== undefined) return { q, p };
    }
    return undefined;
  }

  #pick(): MockQueue | undefined {
    let best: MockQueue | undefined;
    let bestSeq = 0;
    for (const q of this.#active) {
      const head = q.ops.peek();
      if (head === undefined) {
        if (q.aborted.size === 0) this.#active.delete(q);
        continue;
      }
      if (q.hung) continue;
      if (head.op.kind === "wait" && this.counterValue(head.op.counter) < head.op.value) continue;
      if (
        best === undefined ||
        q.priority < best.priority ||
        (q.priority === best.priority && head.seq < bestSeq)
      ) {
        best = q;
        bestSeq = head.seq;
      }
    }
    return best;
  }

  #duration(op: DeviceOp): number {
    switch (op.kind) {
      case "kernel":
        return op.cost?.durationNs ?? this.#opDurationNs;
      case "signal":
      case "wait":
        return 0;
      default:
        return this.#opDurationNs;
    }
  }

  /**
   * Starts the head op of `q` now; returns `true` when an injected hang stopped it instead.
   * Its effect and report wait for {@link MockDeviceBackend.#finish}, at its end time.
   */
  #start(q: MockQueue): boolean {
    const p = q.ops.peek()!;
    const op = p.op;
    if (op.kind === "kernel") {
      const n = this.#count(op.name) + 1;
      this.#kernelCounts.set(op.name, n);
      const i = this.#faults.findIndex((f) => f.kernel === op.name && f.nth === n && f.kind === "hang");
      if (i >= 0) {
        this.#faults.splice(i, 1);
        // A hung kernel with an execution timeout is stopped at it.
        if (op.timeoutNs === undefined) {
          q.hung = true;
          return true;
        }
        const startNs = this.clock.now();
        this.#running = { q, p, startNs, endNs: startNs + op.timeoutNs, timedOut: true };
        return false;
      }
    }
    const startNs = this.clock.now();
    const duration = this.#duration(op);
    const timeout = op.kind === "kernel" ? op.timeoutNs : undefined;
    const timedOut = timeout !== undefined && duration > timeout;
    this.#running = { q, p, startNs, endNs: startNs + (timedOut ? timeout : duration), timedOut };
    return false;
  }

  /** Completes the running op at its end time; returns whether the host was woken. */
  #finish(running: RunningOp): boolean {
    const { q, p, startNs, endNs } = running;
    this.#running = undefined;
    this.clock.advanceTo(endNs);
    const op = p.op;
    let failure: OpFailure | undefined;
    if (running.timedOut) {
      q.ops.shift();
      return this.#report(q, p, "error", startNs, endNs, {
        code: "TASK_TIMEOUT",
        message: `kernel "${(op as { name: string }).name}" ran past its execution timeout and was stopped`,
      });
    }
    if (op.kind === "kernel") {
      const n = this.#count(op.name);
      const i = this.#faults.findIndex((f) => f.kernel === op.name && f.nth === n && f.kind === "fail");
      if (i >= 0) {
        const f = this.#faults.splice(i, 1)[0]!;
        failure = { code: f.code, message: `injected failure of kernel "${op.name}" (launch ${n})` };
      }
    }
    if (failure === undefined) failure = this.#effect(op);
    q.ops.shift();
    return this.#report(q, p, failure === undefined ? "ok" : "error", startNs, endNs, failure);
  }

  #report(
    q: MockQueue,
    p: PendingOp,
    status: OpStatus,
    startNs: number,
    endNs: number,
    failure?: OpFailure,
  ): boolean {
    if (this.#sink === undefined) return false;
    return this.#sink.complete({
      queue: q.id,
      opId: p.opId,
      status,
      startNs,
      endNs,
      ...(failure === undefined ? {} : { failure }),
    });
  }

  #effect(op: DeviceOp): OpFailure | undefined {
    try {
      switch (op.kind) {
        case "signal": {
          const c = this.#counters.get(op.counter);
          if (c !== undefined && op.value > c.value) c.value = op.value;
          return undefined;
        }
        case "wait":
          return undefined;
        case "fill":
          this.#memory.view(op.dst, true).fill(op.value);
          return undefined;
        case "copy":
          if (op.direction === "h2d") this.#memory.view(op.dst, true).set(op.src);
          else if (op.direction === "d2h") op.dst.set(this.#memory.view(op.src, false));
          else this.#memory.view(op.dst, true).set(this.#memory.view(op.src, false));
          return undefined;
        case "kernel": {
          const kernel = this.#kernels[op.name];
          if (kernel !== undefined) {
            kernel({
              inputs: op.inputs.map((r) => this.#memory.view(r, false)),
              outputs: op.outputs.map((r) => this.#memory.view(r, true)),
              params: op.params,
            });
          }
          return undefined;
        }
      }
    } catch (error) {
      if (NpuError.isInstance(error)) return { code: error.code, message: error.message };
      // A copy throws only on its host view: one detached (transferred) after the enqueue.
      if (op.kind === "copy")
        return {
          code: "INVALID_PARAM",
          message: `the copy's host buffer is unusable (detached?): ${errorMessage(error)}`,
        };
      return {
        code: "KERNEL_FAILED",
        message: `kernel ${quote(op.kind === "kernel" ? op.name : op.kind)} threw: ${errorMessage(error)}`,
      };
    }
  }
}
