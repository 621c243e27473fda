import type { CompletionSink, DeviceOp, KernelOp, OpFailure, WaitOp } from "@npurt/core";
import { PriorityHeap } from "@npurt/core/internal";
import type { ResolvedSimConfig } from "../config.js";
import type { KernelDefinition } from "../kernels/kernel-definition.js";
import { modelledDuration, pastTimeLimit, TIME_LIMIT_NS } from "./cost-model.js";
import type { DeviceState, Resource } from "./device-state.js";
import type { EngineEvent } from "./engine-events.js";
import { aborted, failureOf, HANG, logSurvived, lost } from "./failures.js";
import type { InjectedFaults, KernelFault } from "./injected-faults.js";
import type { MemoryEffects } from "./memory-effects.js";
import { mulberry32 } from "./prng.js";
import type { Counter } from "./sim-counter.js";
import {
  ADVANCING,
  BLOCKED,
  HUNG,
  IDLE,
  LATENCY,
  PENDING,
  READY,
  RUNNING,
  type SimQueue,
} from "./sim-queue.js";

const NO_FAILURE = undefined;

/**
 * The queue half of the engine behind {@link simulatedNpu}: what happens to a queue's head op at
 * an instant. It takes heads through their states (see `sim-queue.ts`), hands free units to
 * ready queues, applies effects and reports completions; {@link EventLoop} calls it in time
 * order and `SimBackend` puts the DeviceBackend surface on top.
 *
 * What the other two layers share is `protected` rather than `#private` (a subclass cannot see a
 * `#` member): plain fields read directly and methods called directly, so splitting the engine
 * across files adds no accessor and no call on the hot path.
 */
export abstract class QueueEngine {
  /** The events the loop processes: queue events at `q.at`, timers and actions. */
  protected readonly events = new PriorityHeap<EngineEvent>(1024);
  protected readonly counters = new Map<number, Counter>();
  /** Queues a counter raise unblocked at this instant, advanced by {@link QueueEngine.drainWakes}. */
  protected readonly wake: SimQueue[] = [];
  /** Entries of the dirty list: resources to dispatch at the end of this instant. */
  protected dirtyCount = 0;
  protected sink: CompletionSink = { complete: () => false };
  protected closed = false;
  /** Whether a completion this instant woke the host (the loop then yields to it). */
  protected woken = false;

  readonly #dirty: Resource[] = [];
  readonly #kernels: ReadonlyMap<string, KernelDefinition>;
  readonly #effects: MemoryEffects;
  readonly #faults: InjectedFaults;
  /** `#faults.kernel`, read directly: every kernel start looks at its length. */
  readonly #kernelFaults: KernelFault[];
  readonly #jitter: number;
  readonly #jitterRng: () => number;
  readonly #computeKernels: boolean;

  constructor(
    config: ResolvedSimConfig,
    kernels: ReadonlyMap<string, KernelDefinition>,
    effects: MemoryEffects,
    faults: InjectedFaults,
  ) {
    this.#kernels = kernels;
    this.#effects = effects;
    this.#faults = faults;
    this.#kernelFaults = faults.kernel;
    this.#jitter = config.jitter;
    this.#jitterRng = mulberry32(config.seed);
    this.#computeKernels = config.computeKernels;
  }

  #markDirty(res: Resource): void {
    if (res.dirty) return;
    res.dirty = true;
    this.#dirty[this.dirtyCount++] = res;
  }

  /** Advances the queues a counter raise unblocked at instant `t`. */
  protected drainWakes(t: number): void {
    const wake = this.wake;
    for (let i = 0; i < wake.length && !this.closed; i++) this.advance(wake[i]!, t);
    wake.splice(0);
  }

  /** Hands free units to ready queues, in (priority, readiness) order, at instant `t`. */
  protected dispatch(t: number): void {
    const list = this.#dirty;
    // The list may grow while we go: a lost device's queue advances into another resource.
    for (let i = 0; i < this.dirtyCount; i++) {
      const res = list[i]!;
      res.dirty = false;
      const ready = res.ready;
      while (ready.size > 0) {
        if (this.closed) return;
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
          this.advance(q, t);
          continue;
        }
        ready.pop();
        this.#start(q, res, t);
      }
    }
    this.dirtyCount = 0;
  }

  #start(q: SimQueue, res: Resource, t: number): void {
    res.free -= q.units;
    q.runStart = t;
    let d = q.duration;
    const timeout = res === q.device.compute ? (q.op as KernelOp).timeoutNs : undefined;
    if (this.#kernelFaults.length > 0 && res === q.device.compute) {
      const fault = this.#faults.kernelFault(q.op as KernelOp, q.device.index);
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
    this.events.push(q, q.at);
  }

  /** A copy's latency is over: its transfer joins the link (or, with nothing to move, it ends). */
  protected transfer(q: SimQueue, t: number): void {
    if (q.work <= 0) {
      this.finish(q, t);
      return;
    }
    q.state = RUNNING;
    q.resource!.link!.join(q, t, this.events);
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

  /** The running head of `q` ends at `t`: free its units, apply its effect, report it. */
  protected finish(q: SimQueue, t: number): void {
    const res = q.resource!;
    if (res.link !== undefined) res.link.leave(q, t, this.events);
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
    this.advance(q, t);
  }

  /** Reports the head op of `q` and removes it. */
  #complete(q: SimQueue, failure: OpFailure | undefined, start: number, end: number): void {
    const opId = q.opId;
    q.shift();
    // After a close (from the sink, say, in the middle of an abort batch) nothing is reported.
    if (this.closed) return;
    let woke: boolean;
    try {
      woke =
        failure === undefined
          ? this.sink.complete({ queue: q.id, opId, status: "ok", startNs: start, endNs: end })
          : this.sink.complete({
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
    if (woke) this.woken = true;
  }

  /**
   * Looks at the head of `q` at instant `t`: aborted and lost ops complete at once, signals and
   * satisfied waits run at once (they take no time), an op enqueued in the host's future waits
   * for that time, and anything else joins its resource's ready queues.
   */
  protected advance(q: SimQueue, t: number): void {
    q.state = ADVANCING;
    const dev = q.device;
    while (q.size > 0) {
      if (this.closed) return;
      q.loadHead();
      if (q.completed < q.abortBefore) {
        this.#complete(q, aborted(false), t, t);
        continue;
      }
      const readyAt = q.readyAt;
      if (readyAt > t) {
        q.state = PENDING;
        q.at = readyAt;
        this.events.push(q, readyAt);
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
          const c = this.counters.get(op.counter);
          if (c !== undefined) this.raise(c, op.value);
          this.#complete(q, NO_FAILURE, t, t);
          continue;
        }
        case "wait": {
          const c = this.counters.get(op.counter);
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
  protected raise(c: Counter, value: number): void {
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
        this.wake.push(q);
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
  protected stop(q: SimQueue, t: number): void {
    const res = q.resource!;
    if (q.state === RUNNING && res.link !== undefined) res.link.leave(q, t, this.events);
    // Its end event, still in the heap, goes stale: the engine honours only the event at `at`.
    q.at = -1;
    this.#release(q);
    q.state = ADVANCING;
    this.#complete(q, aborted(true), q.runStart, t);
    this.advance(q, t);
  }

  /**
   * Device `dev` is lost at `t`: its hung and blocked heads fail now, its ready ones at this
   * instant's dispatch, its running ones when they end, and every later op as it reaches a head.
   */
  protected lose(dev: DeviceState, t: number): void {
    if (dev.lost) return;
    dev.lost = true;
    for (const q of dev.queues) {
      if (this.closed) return;
      if (q.state === HUNG) {
        this.#release(q);
        this.#complete(q, lost(dev.index), q.runStart, t);
        this.advance(q, t);
      } else if (q.state === BLOCKED) {
        this.advance(q, t);
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
}
