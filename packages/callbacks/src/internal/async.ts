import { type Clock, scheduleMacrotask } from "@npurt/core";
import { RingQueue } from "@npurt/core/internal";

/**
 * Whether `value` is a promise or another thenable (what an async callback returns). A `then`
 * getter that throws counts as a thenable: awaiting it reads `then` again, inside the caller's
 * error handling, and fails the callback with that error (read here, outside it, the error
 * would escape the drain loop and leave the callback unsettled).
 */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  if (value === undefined || value === null || (typeof value !== "object" && typeof value !== "function")) {
    return false;
  }
  try {
    return typeof (value as { then?: unknown }).then === "function";
  } catch {
    return true;
  }
}

/** Something that drains work in turns: a graph run, a scheduler. */
export interface TurnTarget {
  /** Runs one turn (a batch). */
  turn(): void;
}

// Every pump shares one microtask callback and one macrotask callback at module level. Per-run
// closures as microtask callbacks let V8 specialise optimised code on one run's objects, and
// that code is thrown away (deoptimised) at the next garbage collection after the run ends:
// each new run then started cold. Sharing the hop also batches concurrent graphs together.
const microDue = new RingQueue<Pump>(16);
const macroDue = new RingQueue<Pump>(16);
let microScheduled = false;
// A promise reaction rather than queueMicrotask: the same microtask queue, but Node's
// queueMicrotask wraps every callback in an AsyncResource (three times the cost of a hop).
const resolved = Promise.resolve();
let macroScheduled = false;

// Two separate loops rather than one with a flag: a branch first taken after optimisation
// (the occasional macrotask) would deoptimise the loop and every drain loop inlined into it.
function flushMicro(): void {
  microScheduled = false;
  try {
    // Only the pumps due now: one that asks for another turn while we run waits for the next hop.
    for (let count = microDue.size; count > 0; count--) {
      const pump = microDue.shift()!;
      pump.scheduled = false;
      pump.target.turn();
    }
  } finally {
    // Turns catch every user error; if a bug throws anyway, the other pumps still get their turn.
    if (microDue.size > 0 && !microScheduled) {
      microScheduled = true;
      resolved.then(flushMicro);
    }
  }
}

function flushMacro(): void {
  macroScheduled = false;
  try {
    for (let count = macroDue.size; count > 0; count--) {
      const pump = macroDue.shift()!;
      pump.scheduled = false;
      // Each on its own clock: a wall-clock start would put a virtual-time pump's slice in the
      // far future, and it would never yield again.
      pump.startSlice();
      pump.target.turn();
    }
  } finally {
    if (macroDue.size > 0 && !macroScheduled) {
      macroScheduled = true;
      scheduleMacrotask(flushMacro);
    }
  }
}

/**
 * Schedules turns of a {@link TurnTarget}, at most one pending at a time. Turns are microtasks
 * (tens of nanoseconds, so a batch of 16 callbacks costs one hop instead of sixteen), but after
 * `sliceMs` of continuous draining the next turn is a macrotask, so timers, I/O and abort
 * listeners driven by the event loop still get to run while a large graph drains.
 */
export class Pump {
  /** Whether a turn is pending (managed by the flush loop). */
  scheduled = false;
  /** When the current slice of continuous work began, in ms of the pump's clock. */
  #sliceStart: number;
  readonly target: TurnTarget;
  readonly #sliceMs: number;
  /** The clock when it is virtual; wall clocks read `performance.now()` directly (a hot path). */
  #virtual: Clock | undefined;

  /**
   * @param clock - slices are measured on it: with a virtual clock (a simulated device's), the
   * points where the pump yields to the event loop depend only on the program, so a simulated
   * timeline stays the same from run to run; on wall time they keep timers and I/O responsive.
   */
  constructor(target: TurnTarget, sliceMs: number, clock: Clock) {
    this.target = target;
    this.#sliceMs = sliceMs;
    this.#virtual = clock.mode === "virtual" ? clock : undefined;
    this.#sliceStart = this.#nowMs();
  }

  /** Measures slices on `clock` from now on (an executor that adopted its device's clock). */
  useClock(clock: Clock): void {
    this.#virtual = clock.mode === "virtual" ? clock : undefined;
    this.#sliceStart = this.#nowMs();
  }

  /** Starts a new slice of continuous work now. */
  startSlice(): void {
    this.#sliceStart = this.#nowMs();
  }

  #nowMs(): number {
    const virtual = this.#virtual;
    return virtual === undefined ? performance.now() : virtual.now() / 1e6;
  }

  /** Schedules one turn, unless one is pending. */
  request(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    if (this.#nowMs() - this.#sliceStart >= this.#sliceMs) {
      macroDue.push(this);
      if (!macroScheduled) {
        macroScheduled = true;
        scheduleMacrotask(flushMacro);
      }
    } else {
      microDue.push(this);
      if (!microScheduled) {
        microScheduled = true;
        resolved.then(flushMicro);
      }
    }
  }

  /** Starts a new time slice and schedules a turn: for work arriving after the pump went idle. */
  wake(): void {
    if (!this.scheduled) this.startSlice();
    this.request();
  }
}
