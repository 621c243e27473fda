import { type Clock, type InstrumentationEvent, NpuTypeError, type TimerId } from "@npurt/core";
import { RingQueue } from "@npurt/core/internal";
import { type AttachTarget, resolveTarget, Subscription } from "./internal/attach-target.js";
import { StreamBinder } from "./internal/stream-binder.js";
import { numberOption, optionsOf } from "./internal/validate.js";

/** What a blocked queue waits for. */
export type WaitTarget =
  /** A record another queue has enqueued but not yet run. */
  | {
      readonly kind: "record";
      readonly counter: number;
      readonly value: number;
      readonly queue: number;
      readonly stream: number | undefined;
    }
  /** A value no enqueued device op will signal: a host callback's release, or a record never enqueued. */
  | { readonly kind: "unsignalled"; readonly counter: number; readonly value: number };

/** A queue with pending work and no progress. */
export interface BlockedQueue {
  readonly queue: number;
  readonly stream: number | undefined;
  readonly device: number;
  readonly pendingOps: number;
  /** The op at the head of the queue: the one running or waiting. */
  readonly head: string;
  /** Set when the head is a wait. */
  readonly waitingFor: WaitTarget | undefined;
}

/** What {@link StallWatchdog} reports when work is pending and nothing moved for the timeout. */
export interface StallReport {
  /** The clock's time of the check (ns). */
  readonly atNs: number;
  /** Time since the last progress (a completion, a callback start or finish), ns. */
  readonly idleNs: number;
  readonly pendingOps: number;
  readonly blocked: readonly BlockedQueue[];
  /** Queues that wait on each other in a cycle (first repeated at the end), if any: a deadlock. */
  readonly cycle: readonly number[] | undefined;
  /** What a person reads. */
  readonly description: string;
}

/** Options of {@link StallWatchdog}. */
export interface StallWatchdogOptions {
  /** No progress for this long (on the target's clock, virtual or wall) while work is pending is a stall. */
  readonly timeoutNs: number;
  /** Called with each stall found by the timer (once per stall: progress re-arms it). */
  readonly onStall?: (report: StallReport) => void;
}

interface Pending {
  readonly opId: number;
  readonly kind: string;
  readonly name: string;
  readonly counter: number;
  readonly value: number;
}

/**
 * A watchdog over a device's queues: when work is pending and nothing completed for
 * `timeoutNs` (measured on the target's clock, so deterministic in virtual time), it reports the
 * blocked queues, what each waits for (a record on another queue, or a value nobody will
 * signal), and the wait-for cycle if there is one.
 *
 * @example
 * ```ts
 * const watchdog = new StallWatchdog({ timeoutNs: 1e9, onStall: (r) => console.error(r.description) }).attach(device);
 * // or poll: watchdog.check()
 * ```
 */
export class StallWatchdog {
  readonly #timeoutNs: number;
  readonly #onStall: ((report: StallReport) => void) | undefined;
  #sub = new Subscription("StallWatchdog");
  #clock: Clock | undefined;
  /** Pending ops per queue, oldest first (core reports completions in queue order). */
  #queues = new Map<number, { device: number; pending: RingQueue<Pending> }>();
  #streams = new StreamBinder();
  #pendingOps = 0;
  #lastProgress = 0;
  #timer: TimerId | undefined;
  #reported = false;
  #reports: StallReport[] = [];

  constructor(options: StallWatchdogOptions) {
    const opts = optionsOf(options, "StallWatchdog options");
    if (opts.timeoutNs === undefined) throw new NpuTypeError("StallWatchdog needs timeoutNs");
    this.#timeoutNs = numberOption(opts.timeoutNs, 0, "timeoutNs", 1);
    if (opts.onStall !== undefined && typeof opts.onStall !== "function") {
      throw new NpuTypeError("onStall must be a function");
    }
    this.#onStall = opts.onStall;
  }

  /**
   * Starts watching (`ILLEGAL_STATE` if already attached). With a target that has a clock (a
   * `Device`), a timer on that clock checks while work is pending; without one, call
   * {@link StallWatchdog.check}.
   */
  attach(target: AttachTarget): this {
    const t = resolveTarget(target);
    this.#sub.open(t.bus, this.#listener);
    this.#clock = t.clock;
    this.#lastProgress = t.clock?.now() ?? 0;
    return this;
  }

  /** Stops watching and cancels the timer. */
  detach(): void {
    this.#sub.close();
    if (this.#timer !== undefined) this.#clock?.clearTimer(this.#timer);
    this.#timer = undefined;
  }

  /** The stalls the timer found so far. */
  reports(): readonly StallReport[] {
    return [...this.#reports];
  }

  /**
   * Checks now (`nowNs` defaults to the target clock's time): a report if work is pending and
   * nothing progressed for the timeout, else `undefined`.
   */
  check(nowNs?: number): StallReport | undefined {
    const now = nowNs ?? this.#clock?.now();
    if (typeof now !== "number" || !Number.isFinite(now)) {
      throw new NpuTypeError("check needs nowNs when the target has no clock");
    }
    const idle = now - this.#lastProgress;
    if (this.#pendingOps === 0 || idle < this.#timeoutNs) return undefined;
    return this.#report(now, idle);
  }

  #report(now: number, idleNs: number): StallReport {
    // Who will signal each pending (counter, value)? The queue holding a pending signal for it.
    const signaller = new Map<string, number>();
    for (const [q, s] of this.#queues) {
      for (const p of s.pending) if (p.kind === "signal") signaller.set(`${p.counter}:${p.value}`, q);
    }
    const blocked: BlockedQueue[] = [];
    const waitsOn = new Map<number, number>();
    for (const [q, s] of [...this.#queues].sort((a, b) => a[0] - b[0])) {
      const head = s.pending.peek();
      if (head === undefined) continue;
      let waitingFor: WaitTarget | undefined;
      if (head.kind === "wait") {
        const by = signaller.get(`${head.counter}:${head.value}`);
        if (by === undefined) waitingFor = { kind: "unsignalled", counter: head.counter, value: head.value };
        else {
          waitingFor = {
            kind: "record",
            counter: head.counter,
            value: head.value,
            queue: by,
            stream: this.#streams.streamOf(by),
          };
          waitsOn.set(q, by);
        }
      }
      blocked.push({
        queue: q,
        stream: this.#streams.streamOf(q),
        device: s.device,
        pendingOps: s.pending.size,
        head:
          head.kind === "wait" || head.kind === "signal"
            ? `${head.kind} c${head.counter}=${head.value}`
            : head.name,
        waitingFor,
      });
    }
    const cycle = findCycle(waitsOn);
    const name = (q: number) => {
      const stream = this.#streams.streamOf(q);
      return stream === undefined ? `queue ${q}` : `stream ${stream} (queue ${q})`;
    };
    const lines = blocked.map((b) => {
      const w = b.waitingFor;
      const what =
        w === undefined
          ? `running ${b.head}`
          : w.kind === "record"
            ? `waits for c${w.counter}=${w.value}, recorded by ${name(w.queue)} behind its own pending work`
            : `waits for c${w.counter}=${w.value}, which no enqueued op records (a host callback's release or a record never made)`;
      return `  ${name(b.queue)}: ${b.pendingOps} pending, ${what}`;
    });
    const head = cycle
      ? `deadlock: ${cycle.map(name).join(" → ")}`
      : `stall: no progress for ${idleNs} ns with ${this.#pendingOps} ops pending`;
    const report: StallReport = {
      atNs: now,
      idleNs,
      pendingOps: this.#pendingOps,
      blocked,
      cycle,
      description: `${head}\n${lines.join("\n")}`,
    };
    return report;
  }

  #arm(): void {
    const clock = this.#clock;
    if (clock === undefined || this.#timer !== undefined || !this.#sub.attached) return;
    const due = Math.max(1, this.#lastProgress + this.#timeoutNs - clock.now());
    this.#timer = clock.setTimer(due, () => {
      this.#timer = undefined;
      if (!this.#sub.attached || this.#pendingOps === 0) return;
      const report = this.check();
      if (report !== undefined && !this.#reported) {
        this.#reported = true;
        this.#reports.push(report);
        this.#onStall?.(report);
      }
      // Keep watching only until the stall is reported; progress arms the timer again.
      if (!this.#reported) this.#arm();
    });
  }

  #progress(time: number): void {
    this.#lastProgress = time;
    this.#reported = false;
  }

  readonly #listener = (e: InstrumentationEvent): void => {
    this.#streams.observe(e);
    switch (e.type) {
      case "op.enqueued": {
        let s = this.#queues.get(e.queue);
        if (s === undefined) {
          s = { device: e.device, pending: new RingQueue() };
          this.#queues.set(e.queue, s);
        }
        let counter = -1;
        let value = 0;
        if (e.kind === "signal" || e.kind === "wait") {
          const colon = e.name.indexOf(":");
          const eq = e.name.indexOf("=", colon);
          counter = Number(e.name.slice(colon + 1, eq));
          value = Number(e.name.slice(eq + 1));
        }
        if (this.#pendingOps === 0) this.#progress(e.time);
        s.pending.push({ opId: e.opId, kind: e.kind, name: e.name, counter, value });
        this.#pendingOps++;
        this.#arm();
        return;
      }
      case "op.completed": {
        const s = this.#queues.get(e.queue);
        // The head, or an op enqueued before the watchdog attached (not in the ring at all): a
        // ring rather than an array, so a queue of a million ops is not O(n²) to drain.
        if (s !== undefined && s.pending.peek()?.opId === e.opId) {
          s.pending.shift();
          this.#pendingOps--;
        }
        this.#progress(e.time);
        if (this.#pendingOps > 0) this.#arm();
        return;
      }
      case "callback.started":
      case "callback.finished":
        this.#progress(e.time);
        return;
      default:
        return;
    }
  };
}

/** A cycle in a functional graph (each node waits on at most one), first node repeated at the end. */
function findCycle(next: ReadonlyMap<number, number>): number[] | undefined {
  for (const start of [...next.keys()].sort((a, b) => a - b)) {
    const path: number[] = [];
    const seen = new Map<number, number>();
    let q: number | undefined = start;
    while (q !== undefined && !seen.has(q)) {
      seen.set(q, path.length);
      path.push(q);
      q = next.get(q);
    }
    if (q !== undefined) {
      const cycle = path.slice(seen.get(q)!);
      // Rotate so the smallest queue id leads: the same cycle reads the same from any start.
      const min = cycle.indexOf(Math.min(...cycle));
      const rotated = [...cycle.slice(min), ...cycle.slice(0, min)];
      return [...rotated, rotated[0]!];
    }
  }
  return undefined;
}
