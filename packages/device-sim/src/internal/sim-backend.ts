import {
  type Clock,
  type CompletionSink,
  type DeviceCapabilities,
  type DeviceOp,
  type MemoryInfo,
  NpuError,
  type QueueOptions,
} from "@npurt/core";
import { check } from "@npurt/core/internal";
import type { ResolvedSimConfig, SimulatedNpuConfig } from "../config.js";
import type { FaultSpec } from "../faults.js";
import { BUILTIN_KERNELS } from "../kernels/builtin-kernels.js";
import type { KernelDefinition } from "../kernels/kernel-definition.js";
import type { SimulatedNpu } from "../simulated-npu.js";
import { type AbortEngine, abortQueue } from "./abort.js";
import { simCapabilities } from "./capabilities.js";
import { DeviceState } from "./device-state.js";
import { EventLoop } from "./event-loop.js";
import { HbmAllocator } from "./hbm-allocator.js";
import { InjectedFaults } from "./injected-faults.js";
import { MemoryEffects } from "./memory-effects.js";
import { PAGE_BYTES, PagedMemory } from "./paged-memory.js";
import { checkFault, checkKernelDefinition, DEVICE_WINDOW_BYTES, resolveConfig } from "./resolve-config.js";
import { IDLE, PENDING, SimQueue } from "./sim-queue.js";

/** The device whose address window holds `address`, if any. */
function deviceAt(devices: readonly DeviceState[], address: number): DeviceState | undefined {
  return devices[Math.floor(address / DEVICE_WINDOW_BYTES) - 1];
}

/**
 * The engine behind {@link simulatedNpu}. See that function for the model. This layer is the
 * DeviceBackend surface and the simulator extras: it checks handles, keeps the queue, counter
 * and memory tables, advances host time by each call's {@link HostCosts}, and hands work to
 * the engine ({@link EventLoop} over {@link QueueEngine}).
 */
export class SimBackend extends EventLoop implements SimulatedNpu {
  readonly specificationVersion = "v1" as const;
  readonly name = "device-sim";
  readonly capabilities: DeviceCapabilities;
  readonly clock: Clock;
  readonly config: ResolvedSimConfig;

  readonly #devices: DeviceState[];
  readonly #queues = new Map<number, SimQueue>();
  readonly #kernels: Map<string, KernelDefinition>;
  readonly #kernelNames: string[];
  readonly #memory: PagedMemory;
  readonly #faults: InjectedFaults;
  readonly #abortEngine: AbortEngine;
  #connected = false;
  #nextQueue = 1;
  #nextCounter = 1;

  constructor(config: SimulatedNpuConfig | undefined) {
    const { resolved, kernels, faults } = resolveConfig(config);
    const memory = new PagedMemory(resolved.maxHostBackedBytes);
    const f = resolved.figures;
    const devices = Array.from(
      { length: resolved.devices },
      (_, i) => new DeviceState(i, f, new HbmAllocator((i + 1) * DEVICE_WINDOW_BYTES, f.hbmBytes)),
    );
    const library = new Map<string, KernelDefinition>();
    for (const [name, def] of Object.entries(BUILTIN_KERNELS)) library.set(name, def);
    for (const [name, def] of Object.entries(kernels)) library.set(name, def);
    const effects = new MemoryEffects(
      memory,
      library,
      (address) => deviceAt(devices, address)?.memory,
      resolved.computeKernels,
    );
    const injected = new InjectedFaults(resolved.seed);
    super(resolved, library, effects, injected);
    this.config = resolved;
    this.#memory = memory;
    this.#devices = devices;
    this.#kernels = library;
    this.#kernelNames = [...library.keys()];
    this.#faults = injected;
    this.#abortEngine = {
      stop: (q, t) => this.stop(q, t),
      unready: (q) => {
        q.resource!.ready.remove(q);
        q.resource = undefined;
      },
      advance: (q, t) => this.advance(q, t),
    };
    this.capabilities = simCapabilities(resolved, this.#kernelNames);
    this.clock = {
      mode: "virtual",
      now: () => this.host,
      setTimer: (delayNs, callback) => this.setTimer(delayNs, callback),
      clearTimer: (id) => this.clearTimer(id),
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
        this.#faults.kernel.push({ spec: fault, seen: 0 });
        return;
      case "allocation-fail":
        this.#faults.allocation.push({ device: fault.device, nth: fault.nth ?? 1, seen: 0 });
        return;
      case "device-lost": {
        const device = this.#devices[fault.device ?? 0]!;
        const at = fault.atNs ?? this.host;
        this.action(Math.max(at, this.now), (t) => this.lose(device, t));
        return;
      }
    }
  }

  // ---- DeviceBackend ------------------------------------------------------------------------

  connect(sink: CompletionSink): void {
    this.sink = sink;
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
    this.host += this.costs.queueCreateNs;
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
    const costs = this.costs;
    this.host += kind === "signal" ? costs.recordNs : kind === "wait" ? costs.waitNs : costs.launchNs;
    const host = this.host;
    q.push(op, opId, host);
    if (q.state === IDLE) {
      const at = Math.max(host, this.now);
      q.state = PENDING;
      q.at = at;
      this.events.push(q, at);
      this.schedule();
    }
  }

  abortQueue(queue: number): void {
    const q = this.#queue(queue);
    const until = q.enqueued;
    this.action(Math.max(this.host, this.now), (t) => abortQueue(this.#abortEngine, q, until, t));
  }

  allocate(device: number, bytes: number): number {
    const dev = this.#device(device);
    if (dev.lost) throw new NpuError("DEVICE_LOST", `device ${device} was lost; it cannot allocate`);
    if (this.#faults.allocation.length > 0) this.#faults.checkAllocation(dev, bytes);
    return dev.memory.allocate(bytes, device);
  }

  release(base: number): void {
    const dev = deviceAt(this.#devices, base);
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
    this.counters.set(id, { id, device: dev, value: 0, hostValue: 0, waiters: [] });
    return id;
  }

  destroyCounter(counter: number): void {
    const c = this.counters.get(counter);
    if (c === undefined) return;
    c.device.counters--;
    this.counters.delete(counter);
  }

  counterValue(counter: number): number {
    const c = this.counters.get(counter);
    if (c === undefined) return 0;
    return Math.max(c.value, c.hostValue);
  }

  signalCounter(counter: number, value: number): void {
    const c = this.counters.get(counter);
    if (c === undefined) return;
    this.host += this.costs.callbackDispatchNs;
    if (value > c.hostValue) c.hostValue = value;
    this.action(Math.max(this.host, this.now), () => this.raise(c, value));
  }

  close(): void {
    if (this.closed) return;
    this.halt();
    this.#memory.clear();
  }

  // ---- lookups ------------------------------------------------------------------------------

  #device(index: number): DeviceState {
    const dev = this.#devices[index];
    if (dev === undefined) throw new NpuError("INVALID_PARAM", `no device ${index}`);
    return dev;
  }

  #queue(id: number): SimQueue {
    const q = this.#queues.get(id);
    if (q === undefined) throw new NpuError("INVALID_HANDLE", `device-sim: unknown queue ${id}`);
    return q;
  }
}
