import { scheduleMacrotask, type TimerId } from "@npurt/core";
import { check } from "@npurt/core/internal";
import type { ResolvedSimConfig } from "../config.js";
import type { KernelDefinition } from "../kernels/kernel-definition.js";
import type { HostCosts } from "../presets.js";
import { TIME_LIMIT_NS } from "./cost-model.js";
import { ACTION_EVENT, type Action, TIMER_EVENT, type Timer } from "./engine-events.js";
import { logSurvived } from "./failures.js";
import type { InjectedFaults } from "./injected-faults.js";
import type { MemoryEffects } from "./memory-effects.js";
import { QueueEngine } from "./queue-engine.js";
import { LATENCY, PENDING, QUEUE_EVENT, RUNNING, type SimQueue } from "./sim-queue.js";

/**
 * The time half of the engine behind {@link simulatedNpu}: a discrete-event loop in virtual
 * time that processes events in (time, sequence) order on a macrotask, hands each queue event
 * to {@link QueueEngine}, yields to the host when a completion woke it, holds instants back in
 * paced mode, and keeps the clock's timers. Host time (`host`) and device time (`now`) live
 * here; `SimBackend` advances host time by the cost of each API call.
 */
export abstract class EventLoop extends QueueEngine {
  protected readonly costs: HostCosts;
  /** Device (engine) time: the instant being processed. */
  protected now = 0;
  /** Host time: what `clock.now()` returns. */
  protected host = 0;

  readonly #timers = new Map<number, Timer>();
  readonly #paceScale: number;
  #timerFired = false;
  #scheduled = false;
  #running = false;
  #idle = true;
  #paceVirtual = 0;
  #paceWall = 0;
  #paceTimer: ReturnType<typeof setTimeout> | undefined;
  #nextTimer = 1;

  constructor(
    config: ResolvedSimConfig,
    kernels: ReadonlyMap<string, KernelDefinition>,
    effects: MemoryEffects,
    faults: InjectedFaults,
  ) {
    super(config, kernels, effects, faults);
    this.costs = config.hostCosts;
    this.#paceScale = config.timeMode === "paced" ? config.paceScale : 0;
  }

  /** Stops the engine for good: no event is processed, no timer fires after this. */
  protected halt(): void {
    this.closed = true;
    if (this.#paceTimer !== undefined) clearTimeout(this.#paceTimer);
    this.events.clear();
    this.#timers.clear();
  }

  /** Makes sure the loop runs on a later macrotask (once, however often it is asked). */
  protected schedule(): void {
    if (this.#scheduled || this.#running || this.closed) return;
    this.#scheduled = true;
    scheduleMacrotask(this.#run);
  }

  readonly #run = (): void => {
    this.#scheduled = false;
    if (this.closed || this.#running) return;
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
    const events = this.events;
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
      this.now = t;
      do {
        do {
          const item = events.pop()!;
          if (item.eventKind === QUEUE_EVENT) {
            const q = item as SimQueue;
            if (q.at === t) {
              if (q.state === RUNNING) this.finish(q, t);
              else if (q.state === PENDING) this.advance(q, t);
              else if (q.state === LATENCY) this.transfer(q, t);
            }
          } else if (item.eventKind === TIMER_EVENT) {
            this.#fire(item as Timer, t);
          } else {
            (item as Action).run(t);
          }
          if (this.wake.length > 0) this.drainWakes(t);
          if (this.closed) return;
        } while (events.size > 0 && events.peekPriority() === t);
        if (this.dirtyCount > 0) this.dispatch(t);
        if (this.closed) return;
      } while (events.size > 0 && events.peekPriority() === t);
      if (this.woken || this.#timerFired) {
        if (this.host < t) this.host = t;
        if (this.woken) this.host += this.costs.syncWakeNs;
        this.woken = false;
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
      this.#paceVirtual = this.now;
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

  /** Runs `run` as an engine event at instant `at` (aborts, host signals, device loss). */
  protected action(at: number, run: (time: number) => void): void {
    this.events.push({ eventKind: ACTION_EVENT, run }, at);
    this.schedule();
  }

  // ---- timers -------------------------------------------------------------------------------

  /** The clock's `setTimer`: fires `callback` at host time + `delayNs`, in virtual time. */
  protected setTimer(delayNs: number, callback: () => void): TimerId {
    check.number(delayNs, "timer delay");
    check.func(callback, "timer callback");
    const id = this.#nextTimer++;
    const timer: Timer = { eventKind: TIMER_EVENT, id, callback, cancelled: false };
    this.#timers.set(id, timer);
    const at = Math.max(this.host + Math.max(0, Math.ceil(delayNs)), this.now);
    // Past the time limit a timer never fires (it stays clearable): firing it would move host
    // time to where nanoseconds are lost to rounding.
    if (at > TIME_LIMIT_NS) return id;
    this.events.push(timer, at);
    this.schedule();
    return id;
  }

  /** The clock's `clearTimer`. */
  protected clearTimer(id: TimerId): void {
    const timer = this.#timers.get(id);
    if (timer === undefined) return;
    timer.cancelled = true;
    this.#timers.delete(id);
  }

  #fire(timer: Timer, t: number): void {
    if (timer.cancelled) return;
    this.#timers.delete(timer.id);
    if (this.host < t) this.host = t;
    this.#timerFired = true;
    try {
      timer.callback();
    } catch (error) {
      // A timer callback's bug must neither stop the engine nor reach the event loop.
      logSurvived("a timer callback threw", error);
    }
  }
}
