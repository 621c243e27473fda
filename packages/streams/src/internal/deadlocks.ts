import type { DeadlockReason, DeadlockReport } from "../reports.js";
import type { Engine } from "./engine.js";
import type { StreamRecord } from "./records.js";

interface Node {
  readonly rec: StreamRecord;
  /** Streams this one waits on (their progress would unblock it). */
  readonly edges: StreamRecord[];
  /** Set when the stream is blocked forever by itself (not through others). */
  reason: DeadlockReason | undefined;
  event: number | undefined;
  message: string;
}

/**
 * Finds streams that are blocked forever, from a snapshot of the engine's tables:
 *
 * 1. A stream whose head op waits for an event value that no pending record will reach: the
 *    record was discarded (abort, force destroy) or the event was destroyed.
 * 2. A wait-for graph among blocked streams: an event wait points at the streams holding the
 *    pending records it needs. A stream all of whose way out runs through streams blocked
 *    forever is blocked forever too.
 *
 * Event waits alone cannot form a cycle (a capture-at-call wait only names work already queued,
 * and future-record cycles are refused when they would form), so there is no cycle case here.
 * A blocking host callback depends on host code only: the runtime refuses the calls through
 * which it could wait for its own stream (`NOT_PERMITTED_IN_CALLBACK`), and what else it awaits
 * is opaque, so a stream blocked on a running callback is never reported.
 */
export function findDeadlocks(engine: Engine): DeadlockReport[] {
  const recs: StreamRecord[] = [];
  for (const [, rec] of engine.streams.entries()) recs.push(rec);
  for (const rec of engine.draining) recs.push(rec);
  const nodes = new Map<StreamRecord, Node>();
  for (const rec of recs) {
    const node = blockedNode(engine, rec, recs);
    if (node !== undefined) nodes.set(rec, node);
  }
  const doomed = new Map<StreamRecord, DeadlockReport>();
  for (const node of nodes.values()) {
    if (node.reason !== undefined) {
      doomed.set(node.rec, report(node, node.reason, node.message, []));
    }
  }
  // Anything waiting on a doomed stream is doomed too.
  let changed = true;
  while (changed) {
    changed = false;
    for (const node of nodes.values()) {
      if (doomed.has(node.rec)) continue;
      const on = node.edges.filter((r) => doomed.has(r));
      if (on.length === 0 || on.length < node.edges.length) continue;
      const ids = on.map((r) => r.id);
      doomed.set(
        node.rec,
        report(
          node,
          "waits-on-deadlocked",
          `stream ${node.rec.id} waits on stream(s) ${ids.join(", ")}, which are blocked forever`,
          ids,
        ),
      );
      changed = true;
    }
  }
  return [...doomed.values()].sort((a, b) => a.stream - b.stream);
}

function report(node: Node, reason: DeadlockReason, message: string, waitsFor: number[]): DeadlockReport {
  return {
    stream: node.rec.id,
    device: node.rec.device,
    reason,
    waitsFor: waitsFor.length > 0 ? waitsFor : node.edges.map((r) => r.id),
    ...(node.event === undefined ? {} : { event: node.event }),
    message,
  };
}

function blockedNode(engine: Engine, rec: StreamRecord, all: readonly StreamRecord[]): Node | undefined {
  const head = rec.specials?.peek();
  if (head === undefined || head.seq !== rec.completed) return undefined;
  if (head.kind === "wait") {
    const ev = head.event!;
    if (engine.counterValue(ev.counter) >= head.value) return undefined;
    const producers: StreamRecord[] = [];
    for (const other of all) {
      if (other.specials === undefined) continue;
      for (const op of other.specials) {
        if (op.kind === "record" && op.event === ev && op.value >= head.value) {
          producers.push(other);
          break;
        }
      }
    }
    const node: Node = { rec, edges: producers, reason: undefined, event: ev.id, message: "" };
    if (producers.length > 0) return node;
    const lost = ev.discarded;
    if (lost !== undefined && lost.value >= head.value) {
      node.reason = lost.destroyed ? "producer-destroyed" : "producer-aborted";
      node.message = `stream ${rec.id} waits for event ${ev.id}, whose record on stream ${lost.streamId} was discarded when that stream was ${lost.destroyed ? "force-destroyed" : "aborted"}`;
      return node;
    }
    if (ev.destroyed) {
      node.reason = "record-never-comes";
      node.message = `stream ${rec.id} waits for a record of event ${ev.id}, which was destroyed: no record can come`;
      return node;
    }
    return undefined; // a future record may still come
  }
  return undefined;
}
