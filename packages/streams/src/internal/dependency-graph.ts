import type {
  CallbackRecord,
  EventCounter,
  EventRecord,
  FutureWait,
  SpecialOp,
  StreamRecord,
} from "./records.js";

/**
 * One edge of the wait-for graph: the op of `stream` at `seq` cannot complete before `producer`
 * completed its op at `producerSeq`.
 */
export interface WaitHop {
  readonly stream: StreamRecord;
  readonly seq: number;
  readonly producer: StreamRecord;
  readonly producerSeq: number;
  /** The event waited for (directly, or by the host callback in the way); none for implicit sync. */
  readonly event: EventRecord | undefined;
  /**
   * What waits: an event wait (plain or future), a blocking host callback's own wait, a blocking
   * callback queued behind a running one in a serial executor, the legacy stream's implicit sync.
   */
  readonly via: "wait" | "callback" | "executor" | "implicit-sync";
}

/** Whether `op` (pending, of `stream`) cannot complete while the thing being checked is pending. */
export type HeldOp = (stream: StreamRecord, op: SpecialOp) => boolean;

/**
 * The wait-for graph of the streams, read from their pending special ops: a node is "stream S
 * completes its ops before position p", and it needs every pending op of S before p to complete.
 * An op needs, by kind:
 *
 * - an event wait (plain or future): the stream holding the record it waits for, up to that
 *   record (a future wait not matched by a record yet needs nothing known);
 * - a blocking host callback's release: while the callback runs, the producers of the records it
 *   waits for through its context; while it is launched or queued in a serial executor, what the
 *   running callbacks wait for (it cannot start before they end);
 * - the legacy default stream's implicit sync: the other stream, up to its sync signal.
 *
 * Finds a path from `from` (completing its ops before `upTo`) to a held op, or `undefined`.
 * Every (stream, position) is explored once, so a search costs O(pending special ops) at most,
 * however many streams exist.
 *
 * A wait whose record may come from more than one stream (two streams recorded one counter) is
 * taken as able to progress: any of them could release it, so it is never the link that makes
 * a cycle certain.
 */
export function pathToHeld(from: StreamRecord, upTo: number, held: HeldOp): WaitHop[] | undefined {
  // Breadth-first over (stream, position) tasks; `scanned` remembers how far each stream was read.
  const scanned = new Map<StreamRecord, number>();
  const tasks: { stream: StreamRecord; upTo: number; via: number }[] = [{ stream: from, upTo, via: -1 }];
  const hops: { hop: WaitHop; parent: number }[] = [];
  for (let t = 0; t < tasks.length; t++) {
    const { stream, upTo: end, via } = tasks[t]!;
    const specials = stream.specials;
    const start = Math.max(scanned.get(stream) ?? 0, stream.completed);
    if (specials === undefined || start >= end) continue;
    scanned.set(stream, end);
    for (let i = firstAtOrAfter(specials, start); i < specials.size; i++) {
      const op = specials.at(i)!;
      if (op.seq >= end) break;
      if (held(stream, op)) return pathOf(hops, via);
      for (const hop of needs(stream, op)) {
        hops.push({ hop, parent: via });
        tasks.push({ stream: hop.producer, upTo: hop.producerSeq + 1, via: hops.length - 1 });
      }
    }
  }
  return undefined;
}

/**
 * Checks whether a record on `producer` at position `recordSeq`, which would satisfy the future
 * waits `resolved`, closes a cycle: whether the producer reaching that record needs one of those
 * waits to pass, through any path of the wait-for graph ({@link pathToHeld}: event waits, future
 * waits, blocking host callbacks, the serial executor, implicit sync). A plain wait never closes
 * a cycle (its record existed before it), so checking here and at a host callback's wait finds
 * every cycle when it forms, and only real ones: positions are compared, so work queued after a
 * record never counts as its dependency.
 *
 * @returns the waits of the cycle, starting with the resolved one, each as a wait of a stream for
 * an event on a producer stream (hops of implicit sync, which name no event, are left out); or
 * `undefined`.
 */
export function findFutureCycle(
  resolved: readonly FutureWait[],
  producer: StreamRecord,
  recordSeq: number,
): FutureWait[] | undefined {
  const targets = new Set(resolved);
  let target: FutureWait | undefined;
  const path = pathToHeld(producer, recordSeq, (_stream, op) => {
    if (op.kind !== "wait" || op.future === undefined || !targets.has(op.future)) return false;
    target = op.future;
    return true;
  });
  if (path === undefined) return undefined;
  const waits: FutureWait[] = [target!];
  for (const hop of path) {
    if (hop.event === undefined) continue;
    waits.push({
      stream: hop.stream,
      streamId: hop.stream.id,
      seq: hop.seq,
      event: hop.event,
      value: 0,
      producer: hop.producer,
      producerId: hop.producer.id,
      producerSeq: hop.producerSeq,
      done: false,
    });
  }
  return waits;
}

/** The streams of a path, from its start to the stream holding the held op. */
export function streamsOf(from: StreamRecord, path: readonly WaitHop[]): StreamRecord[] {
  return [from, ...path.map((h) => h.producer)];
}

/**
 * The pending records that can raise `counter` to `value`, when they all sit in one stream: that
 * stream and the position of the first of them. `undefined` when none is pending, or when more
 * than one stream holds one (either could release the wait).
 */
export function producerOf(
  counter: EventCounter,
  value: number,
): { stream: StreamRecord; seq: number } | undefined {
  const list = counter.producers;
  if (list === undefined) return undefined;
  let found: { stream: StreamRecord; seq: number } | undefined;
  for (const p of list) {
    if (p.op.value < value) continue;
    if (found === undefined) found = { stream: p.stream, seq: p.op.seq };
    else if (found.stream !== p.stream) return undefined;
  }
  return found;
}

/** The edges out of `op` of `stream` (see {@link pathToHeld}). */
function needs(stream: StreamRecord, op: SpecialOp): WaitHop[] {
  switch (op.kind) {
    case "wait": {
      if (op.counter.completed >= op.value) return [];
      const fw = op.future;
      if (fw !== undefined) {
        const p = fw.producer;
        if (p === undefined || p.completed > fw.producerSeq) return [];
        return [
          { stream, seq: op.seq, producer: p, producerSeq: fw.producerSeq, event: op.event, via: "wait" },
        ];
      }
      const p = producerOf(op.counter, op.value);
      return p === undefined
        ? []
        : [{ stream, seq: op.seq, producer: p.stream, producerSeq: p.seq, event: op.event, via: "wait" }];
    }
    case "barrier": {
      const p = op.producer;
      if (p === undefined || op.producerSeq === undefined || p.completed > op.producerSeq) return [];
      return [
        {
          stream,
          seq: op.seq,
          producer: p,
          producerSeq: op.producerSeq,
          event: undefined,
          via: "implicit-sync",
        },
      ];
    }
    case "release": {
      const cb = op.callback;
      if (cb.phase === "done") return [];
      if (cb.phase === "running") return callbackNeeds(stream, op.seq, cb, "callback");
      const out: WaitHop[] = [];
      if (cb.serialAhead !== undefined) {
        for (const running of cb.serialAhead) {
          if (running !== cb) out.push(...callbackNeeds(stream, op.seq, running, "executor"));
        }
      }
      return out;
    }
    default:
      return [];
  }
}

/** What a running callback waits for through its context, as edges of the op at `seq` of `stream`. */
function callbackNeeds(
  stream: StreamRecord,
  seq: number,
  cb: CallbackRecord,
  via: "callback" | "executor",
): WaitHop[] {
  const out: WaitHop[] = [];
  for (const w of cb.waits ?? []) {
    if (w.counter.completed >= w.value) continue;
    const p = producerOf(w.counter, w.value);
    if (p !== undefined)
      out.push({ stream, seq, producer: p.stream, producerSeq: p.seq, event: w.event, via });
  }
  return out;
}

/** Index of the first op with `seq >= position` in a queue ordered by seq (binary search). */
function firstAtOrAfter(specials: NonNullable<StreamRecord["specials"]>, position: number): number {
  let lo = 0;
  let hi = specials.size;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (specials.at(mid)!.seq < position) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function pathOf(hops: readonly { hop: WaitHop; parent: number }[], last: number): WaitHop[] {
  const path: WaitHop[] = [];
  for (let i = last; i >= 0; i = hops[i]!.parent) path.push(hops[i]!.hop);
  return path.reverse();
}
