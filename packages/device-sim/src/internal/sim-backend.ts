import {
  type Clock,
  type CompletionSink,
  DEVICE_OP_KINDS,
  type DeviceCapabilities,
  type DeviceOp,
  type KernelOp,
  type MemoryInfo,
  NpuError,
  type OpFailure,
  type QueueOptions,
  scheduleMacrotask,
  type TimerId,
  type WaitOp,
} from "@npurt/core";
import { check, PriorityHeap } from "@npurt/core/internal";
import type { ResolvedSimConfig, SimulatedNpuConfig } from "../config.js";
import type { FaultSpec } from "../faults.js";
import { BUILTIN_KERNELS } from "../kernels/builtin-kernels.js";
import type { KernelDefinition } from "../kernels/kernel-definition.js";
import type { HostCosts } from "../presets.js";
import type { SimulatedNpu } from "../simulated-npu.js";
import { type AbortEngine, abortQueue } from "./abort.js";
import { modelledDuration, TIME_LIMIT_NS } from "./cost-model.js";
import { DeviceState, type Resource } from "./device-state.js";
import { aborted, failureOf, HANG, logSurvived, lost } from "./failures.js";
import { HbmAllocator } from "./hbm-allocator.js";
import { MemoryEffects } from "./memory-effects.js";
import { PAGE_BYTES, PagedMemory } from "./paged-memory.js";
import { mulberry32 } from "./prng.js";
import { checkFault, checkKernelDefinition, DEVICE_WINDOW_BYTES, resolveConfig } from "./resolve-config.js";
import { BLOCKED, HUNG, IDLE, LATENCY, PENDING, QUEUE_EVENT, READY, RUNNING, SimQueue } from "./sim-queue.js";

/** A queue whose head the engine is examining; enqueue must not schedule it meanwhile. */
const ADVANCING = 6;
const TIMER_EVENT = 1;
const ACTION_EVENT = 2;

interface Timer {
  readonly eventKind: typeof TIMER_EVENT;
  readonly id: number;
  readonly callback: () => void;
  cancelled: boolean;
}

/** A rare engine event (abort, host signal, device loss); closures are fine off the hot path. */
interface Action {
  readonly eventKind: typeof ACTION_EVENT;
  readonly run: (time: number) => void;
}

type EngineEvent = SimQueue | Timer | Action;

interface Counter {
  readonly id: number;
  readonly device: DeviceState;
  /** The value the devices see. */
  value: number;
  /** The highest value the host has signalled (visible to the devices from its event on). */
  hostValue: number;
  waiters: SimQueue[];
}

interface KernelFault {
  readonly spec: FaultSpec & { kind: "kernel-fail" | "kernel-hang" };
  seen: number;
}

interface AllocationFault {
  readonly device: number | undefined;
  readonly nth: number;
  seen: number;
}

const NO_FAILURE = undefined;

function pastTimeLimit(end: number): OpFailure {
  return {
    code: "FEATURE_NOT_SUPPORTED",
    message:
      `the op would end at ${end} ns of virtual time, past the simulator's limit of ${TIME_LIMIT_NS} ns ` +
      "(2^53 - 1, about 104 days), where nanoseconds are no longer exact; state smaller costs",
  };
}

/** The engine behind {@link simulatedNpu}. See that function for the model. */
export class SimBackend implements SimulatedNpu {
  readonly specificationVersion = "v1" as const;
  readonly name = "device-sim";
  readonly capabilities: DeviceCapabilities;
  readonly clock: Clock;
  readonly config: ResolvedSimConfig;

  readonly #costs: HostCosts;
  readonly #devices: DeviceState[];
  readonly #queues = new Map<number, SimQueue>();
  readonly #counters = new Map<number, Counter>();
  readonly #events = new PriorityHeap<EngineEvent>(1024);
  readonly #timers = new Map<number, Timer>();
  readonly #dirty: Resource[] = [];
  readonly #wake: SimQueue[] = [];
  readonly #kernels = new Map<string, KernelDefinition>();
  readonly #kernelNames: string[];
  readonly #memory: PagedMemory;
  readonly #effects: MemoryEffects;
  readonly #abortEngine: AbortEngine;
  readonly #jitter: number;
  readonly #jitterRng: () => number;
  readonly #faultRng: () => number;
  readonly #computeKernels: boolean;
  readonly #paceScale: number;
  #kernelFaults: KernelFault[] = [];
  #allocationFaults: AllocationFault[] = [];
  #sink: CompletionSink = { complete: () => false };
  #connected = false;
  /** Device (engine) time: the instant being processed. */
  #now = 0;
  /** Host time: what `clock.now()` returns. */
  #host = 0;
  #dirtyCount = 0;
  #woken = false;
  #timerFired = false;
  #scheduled = false;
  #running = false;
  #closed = false;
  #idle = true;
  #paceVirtual = 0;
  #paceWall = 0;
  #paceTimer: ReturnType<typeof setTimeout> | undefined;
  #nextQueue = 1;
  #nextCounter = 1;
  #nextTimer = 1;

  constructor(config: SimulatedNpuConfig | undefined) {
    const { resolved, kernels, faults } = resolveConfig(config);
    this.config = resolved;
    this.#costs = resolved.hostCosts;
    this.#jitter = resolved.jitter;
    this.#jitterRng = mulberry32(resolved.seed);
    this.#faultRng = mulberry32(resolved.seed ^ 0x5bd1e995);
    this.#computeKernels = resolved.computeKernels;
    this.#memory = new PagedMemory(resolved.maxHostBackedBytes);
    this.#paceScale = resolved.timeMode === "paced" ? resolved.paceScale : 0;
    const f = resolved.figures;
    this.#devices = Array.from(
      { length: resolved.devices },
      (_, i) => new DeviceState(i, f, new HbmAllocator((i + 1) * DEVICE_WINDOW_BYTES, f.hbmBytes)),
    );
    for (const [name, def] of Object.entries(BUILTIN_KERNELS)) this.#kernels.set(name, def);
    for (const [name, def] of Object.entries(kernels)) this.#kernels.set(name, def);
    this.#kernelNames = [...this.#kernels.keys()];
    this.#effects = new MemoryEffects(
      this.#memory,
      this.#kernels,
      (address) => this.#deviceOf(address)?.memory,
      resolved.computeKernels,
    );
    this.#abortEngine = {
      stop: (q, t) => this.#stop(q, t),
      unready: (q) => {
        q.resource!.ready.remove(q);
        q.resource = undefined;
      },
      advance: (q, t) => this.#advance(q, t),
    };
    this.capabilities = {
      devices: this.#devices.map((d) => ({
        index: d.index,
        name: f.name,
        computeUnits: f.aiCores,
        memoryBytes: f.hbmBytes,
        maxQueues: f.maxQueues,
        maxCounters: f.maxCounters,
        copyEngines: 3 * f.copyEnginesPerDirection,
      })),
      timeModel: "virtual",
      priorities: { supported: f.priorityLevels > 1, greatest: 0, least: f.priorityLevels - 1 },
      ops: DEVICE_OP_KINDS,
      copyDirections: ["h2d", "d2h", "d2d"],
      timing: true,
      concurrentQueues: true,
      computesKernels: resolved.computeKernels,
      kernels: this.#kernelNames,
      opTimeouts: true,
    };
    this.clock = {
      mode: "virtual",
      now: () => this.#host,
      setTimer: (delayNs, callback) => this.#setTimer(delayNs, callback),
      clearTimer: (id) => this.#clearTimer(id),
    };
    for (const fault of faults) this.#install(fault);
  }

  // ---- simulator extras ---------------------------------------------------------------------

  registerKernel(name: string, definition: KernelDefinition): void {
    check.string(name, "kernel name");
    const def = checkKernelDefinition(name, definition);
    if (this.#connected) {
      throw new NpuError(
        "FEATURE_NOT_SUPPORTED",
        `cannot register kernel "${name}": the simulator is already connected to a device; ` +
          "register kernels before createDevice or pass them in config.kernels",
      );
    }
    if (!this.#kernels.has(name)) this.#kernelNames.push(name);
    this.#kernels.set(name, def);
  }

  injectFault(fault: FaultSpec): void {
    this.#install(checkFault(fault, "fault", this.#devices.length));
  }

  hostBackedBytes(): number {
    return this.#memory.backedPages * PAGE_BYTES;
  }

  #install(fault: FaultSpec): void {
    switch (fault.kind) {
      case "kernel-fail":
      case "kernel-hang":
        this.#kernelFaults.push({ spec: fault, seen: 0 });
        return;
      case "allocation-fail":
        this.#allocationFaults.push({ device: fault.device, nth: fault.nth ?? 1, seen: 0 });
        return;
      case "device-lost": {
        const device = this.#devices[fault.device ?? 0]!;
        const at = fault.atNs ?? this.#host;
        this.#action(Math.max(at, this.#now), (t) => this.#lose(device, t));
        return;
      }
    }
  }

  // ---- DeviceBackend ------------------------------------------------------------------------

  connect(sink: CompletionSink): void {
    this.#sink = sink;
    this.#connected = true;
  }

  createQueue(device: number, options: QueueOptions): number {
    const dev = this.#device(device);
    // The ready queues index their levels by priority: outside the manifest's range the engine
    // would crash later, in a macrotask, far from the call.
    const priority = check.integer(options.priority, "priority", 0, dev.figures.priorityLevels - 1);
    if (dev.lost) throw new NpuError("DEVICE_LOST", `device ${device} was lost; it takes no new queues`);
    const limit = dev.figures.maxQueues;
    if (dev.queues.size >= limit) {
      throw new NpuError(
        "NO_STREAM_RESOURCE",
        `device ${device} has no free hardware queue: all ${limit} are in use`,
        { details: { limit } },
      );
    }
    this.#host += this.#costs.queueCreateNs;
    const id = this.#nextQueue++;
    const q = new SimQueue(id, dev, priority);
    this.#queues.set(id, q);
    dev.queues.add(q);
    return id;
  }

  destroyQueue(queue: number): void {
    const q = this.#queue(queue);
    q.device.queues.delete(q);
    this.#queues.delete(queue);
  }

  enqueue(queue: number, opId: number, op: DeviceOp): void {
    const q = this.#queue(queue);
    const kind = op.kind;
    const costs = this.#costs;
    this.#host += kind === "signal" ? costs.recordNs : kind === "wait" ? costs.waitNs : costs.launchNs;
    const host = this.#host;
    q.push(op, opId, host);
    if (q.state === IDLE) {
      const at = Math.max(host, this.#now);
      q.state = PENDING;
      q.at = at;
      this.#events.push(q, at);
      this.#schedule();
    }
  }

  abortQueue(queue: number): void {
    const q = this.#queue(queue);
    const until = q.enqueued;
    this.#action(Math.max(this.#host, this.#now), (t) => abortQueue(this.#abortEngine, q, until, t));
  }

  allocate(device: number, bytes: number): number {
    const dev = this.#device(device);
    if (dev.lost) throw new NpuError("DEVICE_LOST", `device ${device} was lost; it cannot allocate`);
    const faults = this.#allocationFaults;
    for (let i = 0; i < faults.length; i++) {
      const f = faults[i]!;
      if (f.device !== undefined && f.device !== device) continue;
      if (++f.seen !== f.nth) continue;
      faults.splice(i, 1);
      const free = dev.memory.freeBytes;
      throw new NpuError(
        "MEMORY_ALLOCATION",
        `cannot allocate ${bytes} bytes on device ${device}: injected allocation failure (${free} bytes free)`,
        { details: { requested: bytes, free, injected: true } },
      );
    }
    return dev.memory.allocate(bytes, device);
  }

  release(base: number): void {
    const dev = this.#deviceOf(base);
    if (dev === undefined) throw new NpuError("MEMORY_FREE", `no live allocation at address ${base}`);
    const footprint = dev.memory.release(base);
    this.#memory.discard(base, footprint);
  }

  memoryInfo(device: number): MemoryInfo {
    const m = this.#device(device).memory;
    return {
      allocations: m.allocations,
      bytesInUse: m.bytesInUse,
      peakBytes: m.peakBytes,
      capacityBytes: m.capacity,
      largestFreeBlock: m.largestFreeBlock,
    };
  }

  createCounter(device: number): number {
    const dev = this.#device(device);
    const limit = dev.figures.maxCounters;
    if (dev.counters >= limit) {
      throw new NpuError(
        "NO_EVENT_RESOURCE",
        `device ${device} has no free counter (event): all ${limit} are in use`,
        { details: { limit } },
      );
    }
    dev.counters++;
    const id = this.#nextCounter++;
    this.#counters.set(id, { id, device: dev, value: 0, hostValue: 0, waiters: [] });
    return id;
  }

  destroyCounter(counter: number): void {
    const c = this.#counters.get(counter);
    if (c === undefined) return;
    c.device.counters--;
    this.#counters.delete(counter);
  }

  counterValue(counter: number): number {
    const c = this.#counters.get(counter);
    if (c === undefined) return 0;
    return Math.max(c.value, c.hostValue);
  }

  signalCounter(counter: number, value: number): void {
    const c = this.#counters.get(counter);
    if (c === undefined) return;
    this.#host += this.#costs.callbackDispatchNs;
    if (value > c.hostValue) c.hostValue = value;
    this.#action(Math.max(this.#host, this.#now), () => this.#raise(c, value));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#paceTimer !== undefined) clearTimeout(this.#paceTimer);
    this.#events.clear();
    this.#timers.clear();
    this.#memory.clear();
  }

  // ---- engine -------------------------------------------------------------------------------

  #schedule(): void {
    if (this.#scheduled || this.#running || this.#closed) return;
    this.#scheduled = true;
    scheduleMacrotask(this.#run);
  }

  readonly #run = (): void => {
    this.#scheduled = false;
    if (this.#closed || this.#running) return;
    this.#running = true;
    try {
      this.#loop();
    } finally {
      this.#running = false;
    }
  };

  /**
   * Processes events in (time, sequence) order. All events of one instant are processed, then
   * free resources are handed to ready queues; if any completion woke the host (or a timer
   * fired), the engine yields to the host before moving past that instant.
   */
  #loop(): void {
    const events = this.#events;
    while (events.size > 0) {
      const top = events.peek()!;
      if (top.eventKind === TIMER_EVENT && (top as Timer).cancelled) {
        // A cleared timer (a timeout that did not fire) must not move device time to its instant:
        // work the host submits later would start there instead of at the host's time.
        events.pop();
        continue;
      }
      const t = events.peekPriority();
      if (this.#paceScale > 0 && this.#holdForPace(t)) return;
      this.#idle = false;
      this.#now = t;
      do {
        do {
          const item = events.pop()!;
          if (item.eventKind === QUEUE_EVENT) {
            const q = item as SimQueue;
            if (q.at === t) {
              if (q.state === RUNNING) this.#finish(q, t);
              else if (q.state === PENDING) this.#advance(q, t);
              else if (q.state === LATENCY) this.#transfer(q, t);
            }
          } else if (item.eventKind === TIMER_EVENT) {
            this.#fire(item as Timer, t);
          } else {
            (item as Action).run(t);
          }
          if (this.#wake.length > 0) this.#drainWakes(t);
          if (this.#closed) return;
        } while (events.size > 0 && events.peekPriority() === t);
        if (this.#dirtyCount > 0) this.#dispatch(t);
        if (this.#closed) return;
      } while (events.size > 0 && events.peekPriority() === t);
      if (this.#woken || this.#timerFired) {
        if (this.#host < t) this.#host = t;
        if (this.#woken) this.#host += this.#costs.syncWakeNs;
        this.#woken = false;
        this.#timerFired = false;
        this.#scheduled = true;
        scheduleMacrotask(this.#run);
        return;
      }
    }
    this.#idle = true;
  }

  /** Paced mode: whether to wait (on a wall timer) before processing instant `t`. */
  #holdForPace(t: number): boolean {
    const wall = performance.now();
    if (this.#idle) {
      this.#paceVirtual = this.#now;
      this.#paceWall = wall;
      this.#idle = false;
    }
    const allowed = this.#paceVirtual + ((wall - this.#paceWall) * 1e6) / this.#paceScale;
    if (t <= allowed) return false;
    this.#scheduled = true;
    // setTimeout fires at once past 2^31 - 1 ms; a longer hold wakes early and holds again.
    const ms = Math.min(Math.ceil(((t - allowed) * this.#paceScale) / 1e6), 2 ** 31 - 1);
    this.#paceTimer = setTimeout(this.#run, ms);
    return true;
  }

  #markDirty(res: Resource): void {
    if (res.dirty) return;
    res.dirty = true;
    this.#dirty[this.#dirtyCount++] = res;
  }

  #drainWakes(t: number): void {
    const wake = this.#wake;
    for (let i = 0; i < wake.length && !this.#closed; i++) this.#advance(wake[i]!, t);
    wake.splice(0);
  }

  /** Hands free units to ready queues, in (priority, readiness) order, at instant `t`. */
  #dispatch(t: number): void {
    const list = this.#dirty;
    // The list may grow while we go: a lost device's queue advances into another resource.
    for (let i = 0; i < this.#dirtyCount; i++) {
      const res = list[i]!;
      res.dirty = false;
      const ready = res.ready;
      while (ready.size > 0) {
        if (this.#closed) return;
        const q = ready.peek()!;
        const units = q.units;
        if (units > res.free || q.device.lost) {
          if (units <= res.total && !q.device.lost) break;
          ready.pop();
          q.state = ADVANCING;
          this.#complete(
            q,
            q.device.lost
              ? lost(q.device.index)
              : {
                  code: "INVALID_PARAM",
                  message: `blockDim ${units} exceeds the ${res.total} AI cores of device ${q.device.index}`,
                },
            t,
            t,
          );
          this.#advance(q, t);
          continue;
        }
        ready.pop();
        this.#start(q, res, t);
      }
    }
    this.#dirtyCount = 0;
  }

  #start(q: SimQueue, res: Resource, t: number): void {
    res.free -= q.units;
    q.runStart = t;
    let d = q.duration;
    const timeout = res === q.device.compute ? (q.op as KernelOp).timeoutNs : undefined;
    if (this.#kernelFaults.length > 0 && res === q.device.compute) {
      const fault = this.#kernelFault(q.op as KernelOp, q.device.index);
      if (fault === HANG) {
        if (timeout === undefined) {
          q.state = HUNG;
          return;
        }
        d = Number.POSITIVE_INFINITY; // stopped at its timeout below
      } else if (fault !== undefined) q.runFailure = fault;
    }
    if (this.#jitter > 0 && d > 0 && d !== Number.POSITIVE_INFINITY)
      d += Math.floor(d * this.#jitter * this.#jitterRng());
    // CANN's op execution timeout: the AI core stops a kernel that runs past it.
    if (timeout !== undefined && d > timeout) {
      d = timeout;
      q.runFailure = {
        code: "TASK_TIMEOUT",
        message: `kernel "${(q.op as KernelOp).name}" ran past its execution timeout (${timeout} ns) on device ${q.device.index} and was stopped`,
      };
    }
    if (t + d > TIME_LIMIT_NS) {
      q.runFailure = pastTimeLimit(t + d);
      d = 0;
      q.work = 0;
    }
    if (res.link !== undefined) {
      // A copy on a shared link: first its fixed latency (and jitter) on the engine alone.
      q.state = LATENCY;
      q.at = t + d - q.work;
    } else {
      q.state = RUNNING;
      q.at = t + d;
    }
    this.#events.push(q, q.at);
  }

  /** A copy's latency is over: its transfer joins the link (or, with nothing to move, it ends). */
  #transfer(q: SimQueue, t: number): void {
    if (q.work <= 0) {
      this.#finish(q, t);
      return;
    }
    q.state = RUNNING;
    q.resource!.link!.join(q, t, this.#events);
  }

  /** The modelled duration of the head op; a cost function that throws fails the op. */
  #modelled(op: DeviceOp, q: SimQueue): number {
    try {
      return modelledDuration(op, q.device.figures, this.#kernels);
    } catch (error) {
      q.runFailure = failureOf(error, "the kernel's cost function threw");
      return 0;
    }
  }

  #kernelFault(op: KernelOp, device: number): OpFailure | undefined {
    const faults = this.#kernelFaults;
    for (let i = 0; i < faults.length; i++) {
      const f = faults[i]!;
      const s = f.spec;
      if (s.device !== undefined && s.device !== device) continue;
      const k = s.kernel;
      if (k !== undefined && (typeof k === "string" ? k !== op.name : !k.test(op.name))) continue;
      if (s.probability !== undefined) {
        if (this.#faultRng() >= s.probability) continue;
      } else {
        if (++f.seen !== (s.nth ?? 1)) continue;
        faults.splice(i, 1);
      }
      if (s.kind === "kernel-hang") return HANG;
      return {
        code: "KERNEL_FAILED",
        message: `kernel "${op.name}" failed on device ${device} (injected AI Core exception)`,
      };
    }
    return undefined;
  }

  /** The running head of `q` ends at `t`: free its units, apply its effect, report it. */
  #finish(q: SimQueue, t: number): void {
    const res = q.resource!;
    if (res.link !== undefined) res.link.leave(q, t, this.#events);
    res.free += q.units;
    if (res.ready.size > 0) this.#markDirty(res);
    q.resource = undefined;
    q.state = ADVANCING;
    let failure = q.runFailure;
    q.runFailure = undefined;
    if (failure === undefined) {
      if (q.device.lost) failure = lost(q.device.index);
      // Timing-only kernels have no effect (names were checked by createDevice).
      else if (this.#computeKernels || res !== q.device.compute) failure = this.#effects.apply(q.op!);
    }
    this.#complete(q, failure, q.runStart, t);
    this.#advance(q, t);
  }

  /** Reports the head op of `q` and removes it. */
  #complete(q: SimQueue, failure: OpFailure | undefined, start: number, end: number): void {
    const opId = q.opId;
    q.shift();
    // After a close (from the sink, say, in the middle of an abort batch) nothing is reported.
    if (this.#closed) return;
    let woke: boolean;
    try {
      woke =
        failure === undefined
          ? this.#sink.complete({ queue: q.id, opId, status: "ok", startNs: start, endNs: end })
          : this.#sink.complete({
              queue: q.id,
              opId,
              status: failure.code === "STREAM_ABORT" ? "aborted" : "error",
              startNs: start,
              endNs: end,
              failure,
            });
    } catch (error) {
      // The op was reported; a sink that throws must not stop the engine halfway through an
      // instant (the queue would never advance, its later ops never be reported).
      logSurvived("the completion sink threw", error);
      woke = false;
    }
    if (woke) this.#woken = true;
  }

  /**
   * Looks at the head of `q` at instant `t`: aborted and lost ops complete at once, signals and
   * satisfied waits run at once (they take no time), an op enqueued in the host's future waits
   * for that time, and anything else joins its resource's ready queues.
   */
  #advance(q: SimQueue, t: number): void {
    q.state = ADVANCING;
    const dev = q.device;
    while (q.size > 0) {
      if (this.#closed) return;
      q.loadHead();
      if (q.completed < q.abortBefore) {
        this.#complete(q, aborted(false), t, t);
        continue;
      }
      const readyAt = q.readyAt;
      if (readyAt > t) {
        q.state = PENDING;
        q.at = readyAt;
        this.#events.push(q, readyAt);
        return;
      }
      if (dev.lost) {
        this.#complete(q, lost(dev.index), t, t);
        continue;
      }
      const op = q.op!;
      let res: Resource;
      switch (op.kind) {
        case "kernel": {
          res = dev.compute;
          q.units = op.blockDim;
          const stated = op.cost?.durationNs;
          q.duration = stated === undefined ? this.#modelled(op, q) : Math.ceil(stated);
          break;
        }
        case "signal": {
          const c = this.#counters.get(op.counter);
          if (c !== undefined) this.#raise(c, op.value);
          this.#complete(q, NO_FAILURE, t, t);
          continue;
        }
        case "wait": {
          const c = this.#counters.get(op.counter);
          if (c === undefined || c.value >= op.value) {
            this.#complete(q, NO_FAILURE, t, t);
            continue;
          }
          q.state = BLOCKED;
          q.blockedOn = c.id;
          c.waiters.push(q);
          return;
        }
        case "copy":
          res = op.direction === "h2d" ? dev.h2d : op.direction === "d2h" ? dev.d2h : dev.d2d;
          this.#copyCost(q, op, res);
          break;
        default:
          res = dev.d2d;
          this.#copyCost(q, op, res);
      }
      q.state = READY;
      q.resource = res;
      res.ready.push(q);
      this.#markDirty(res);
      return;
    }
    q.state = IDLE;
    q.op = undefined;
  }

  /** Sets the units, duration and (on a shared link) transfer work of a copy or fill head. */
  #copyCost(q: SimQueue, op: DeviceOp, res: Resource): void {
    q.units = 1;
    q.duration = this.#modelled(op, q);
    if (res.link !== undefined) q.work = Math.max(0, q.duration - q.device.figures.copyLatencyNs);
  }

  /** Raises a counter as the devices see it; satisfied waiters resume at this instant. */
  #raise(c: Counter, value: number): void {
    if (value <= c.value) return;
    c.value = value;
    const waiters = c.waiters;
    let keep = 0;
    for (let i = 0; i < waiters.length; i++) {
      const q = waiters[i]!;
      // Entries of queues aborted or lost meanwhile are stale: drop them.
      if (q.state !== BLOCKED || q.blockedOn !== c.id) continue;
      if ((q.op as WaitOp).value <= value) {
        q.state = ADVANCING;
        this.#wake.push(q);
      } else {
        waiters[keep++] = q;
      }
    }
    waiters.length = keep;
  }

  /**
   * Stops `q`'s head (running, in its copy latency, or hung) at `t` for an abort: it frees what
   * it holds, leaves its link (the other transfers speed up), has no effect on memory and
   * reports `'aborted'` with the time it ran.
   */
  #stop(q: SimQueue, t: number): void {
    const res = q.resource!;
    if (q.state === RUNNING && res.link !== undefined) res.link.leave(q, t, this.#events);
    // Its end event, still in the heap, goes stale: the engine honours only the event at `at`.
    q.at = -1;
    this.#release(q);
    q.state = ADVANCING;
    this.#complete(q, aborted(true), q.runStart, t);
    this.#advance(q, t);
  }

  #lose(dev: DeviceState, t: number): void {
    if (dev.lost) return;
    dev.lost = true;
    for (const q of dev.queues) {
      if (this.#closed) return;
      if (q.state === HUNG) {
        this.#release(q);
        this.#complete(q, lost(dev.index), q.runStart, t);
        this.#advance(q, t);
      } else if (q.state === BLOCKED) {
        this.#advance(q, t);
      }
    }
    for (const res of [dev.compute, dev.h2d, dev.d2h, dev.d2d]) {
      if (res.ready.size > 0) this.#markDirty(res);
    }
  }

  /** Frees the units a hung op holds. */
  #release(q: SimQueue): void {
    const res = q.resource!;
    res.free += q.units;
    q.resource = undefined;
    if (res.ready.size > 0) this.#markDirty(res);
  }

  #action(at: number, run: (time: number) => void): void {
    this.#events.push({ eventKind: ACTION_EVENT, run }, at);
    this.#schedule();
  }

  // ---- timers -------------------------------------------------------------------------------

  #setTimer(delayNs: number, callback: () => void): TimerId {
    check.number(delayNs, "timer delay");
    check.func(callback, "timer callback");
    const id = this.#nextTimer++;
    const timer: Timer = { eventKind: TIMER_EVENT, id, callback, cancelled: false };
    this.#timers.set(id, timer);
    const at = Math.max(this.#host + Math.max(0, Math.ceil(delayNs)), this.#now);
    // Past the time limit a timer never fires (it stays clearable): firing it would move host
    // time to where nanoseconds are lost to rounding.
    if (at > TIME_LIMIT_NS) return id;
    this.#events.push(timer, at);
    this.#schedule();
    return id;
  }

  #clearTimer(id: TimerId): void {
    const timer = this.#timers.get(id);
    if (timer === undefined) return;
    timer.cancelled = true;
    this.#timers.delete(id);
  }

  #fire(timer: Timer, t: number): void {
    if (timer.cancelled) return;
    this.#timers.delete(timer.id);
    if (this.#host < t) this.#host = t;
    this.#timerFired = true;
    try {
      timer.callback();
    } catch (error) {
      // A timer callback's bug must neither stop the engine nor reach the event loop.
      logSurvived("a timer callback threw", error);
    }
  }

  // ---- lookups ------------------------------------------------------------------------------

  #device(index: number): DeviceState {
    const dev = this.#devices[index];
    if (dev === undefined) throw new NpuError("INVALID_PARAM", `no device ${index}`);
    return dev;
  }

  #deviceOf(address: number): DeviceState | undefined {
    return this.#devices[Math.floor(address / DEVICE_WINDOW_BYTES) - 1];
  }

  #queue(id: number): SimQueue {
    const q = this.#queues.get(id);
    if (q === undefined) throw new NpuError("INVALID_HANDLE", `device-sim: unknown queue ${id}`);
    return q;
  }
}
