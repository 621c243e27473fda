import { BLOCKED, HUNG, LATENCY, PENDING, READY, RUNNING, type SimQueue } from "./sim-queue.js";

/** What an abort needs of the engine. */
export interface AbortEngine {
  /** Ends `q`'s running (or hung) head at `t`: frees what it holds, reports it aborted. */
  stop(q: SimQueue, t: number): void;
  /** Takes `q`'s ready head out of its resource's ready queues. */
  unready(q: SimQueue): void;
  /** Looks at `q`'s head again at `t` (the aborted ops complete from there, in queue order). */
  advance(q: SimQueue, t: number): void;
}

/**
 * Aborts `q`'s ops with an ordinal below `until` at instant `t`, as `aclrtStreamAbort` does
 * ("停止指定Stream上正在执行的任务、丢弃指定Stream上已下发但未执行的任务", hicann/runtime
 * `docs/api_docs/aclrtStreamAbort.md`): the running op is stopped at `t` (a kernel or copy ends
 * early, with no effect on memory, and reports `'aborted'` with `STREAM_ABORT`), the queued ones
 * are discarded; each still completes once, in queue order. An op that ends at `t` itself was
 * processed before this event and keeps its own result. Ops enqueued after the call run normally.
 */
export function abortQueue(engine: AbortEngine, q: SimQueue, until: number, t: number): void {
  if (until > q.abortBefore) q.abortBefore = until;
  if (q.completed >= q.abortBefore) return;
  switch (q.state) {
    case RUNNING:
    case LATENCY:
    case HUNG:
      engine.stop(q, t);
      return;
    case READY:
      engine.unready(q);
      engine.advance(q, t);
      return;
    case BLOCKED:
    case PENDING:
      engine.advance(q, t);
      return;
    default:
      // IDLE: nothing pending.
      return;
  }
}
