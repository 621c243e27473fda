import type { Device, NpuError } from "@npurt/core";
import { reduceStreamState, type StreamAction } from "../stream-state.js";
import type { StreamRecord } from "./records.js";

/** What deciding a stream's state needs to know of the runtime. */
export interface StreamStatusContext {
  readonly device: Device;
  stoppedError(device: number): NpuError | undefined;
  counterValue(counter: StreamRecord["callbackCounter"]): number;
}

/** The lifecycle steps a caller reports; every other state follows from the stream's queue. */
export type LifecycleAction = Extract<StreamAction, "created" | "abort" | "destroy" | "reuse">;

/**
 * The one function that decides a stream's state. A caller reports a lifecycle step (`created`,
 * `abort`, `destroy`, `reuse`) when one happened; everything else — RUNNING, BLOCKED, COMPLETED,
 * and the way back from ABORTED — is derived here from the stream's queue: whether work is
 * pending, and whether the op at its head waits (an unsatisfied event wait, or a blocking host
 * callback not finished). The transitions themselves go through {@link reduceStreamState}, so
 * its table stays the whole state machine, and each change is emitted as a `stream.state` event
 * (not for a record never handed out, which has no id).
 */
export function updateStreamState(
  ctx: StreamStatusContext,
  rec: StreamRecord,
  action?: LifecycleAction,
): void {
  if (action !== undefined) apply(ctx, rec, action);
  let state = rec.state;
  if (state === "DESTROYED" || state === "CREATING") return;
  if (state === "ABORTED") {
    if (ctx.stoppedError(rec.device) !== undefined || rec.completed < rec.abortTarget) return;
    apply(ctx, rec, "recover");
    state = rec.state;
  }
  if (rec.completed >= rec.enqueued && rec.callbacksPending === 0) {
    if (state === "RUNNING" || state === "BLOCKED") apply(ctx, rec, "drain");
    return;
  }
  if (state === "READY" || state === "COMPLETED") apply(ctx, rec, "submit");
  if (headBlocks(ctx, rec)) apply(ctx, rec, "block");
  else if (rec.state === "BLOCKED") apply(ctx, rec, "unblock");
}

function headBlocks(ctx: StreamStatusContext, rec: StreamRecord): boolean {
  const head = rec.specials?.peek();
  if (head === undefined || head.seq !== rec.completed) return false;
  if (head.kind === "wait") return ctx.counterValue(head.counter.handle) < head.value;
  if (head.kind === "barrier") return ctx.counterValue(head.counter) < head.value;
  return head.kind === "release" && head.callback.phase !== "done";
}

function apply(ctx: StreamStatusContext, rec: StreamRecord, action: StreamAction): void {
  const from = rec.state;
  const to = reduceStreamState(from, action);
  if (to === from) return;
  rec.state = to;
  const bus = ctx.device.instrumentation;
  if (bus.active && rec.id !== 0) {
    bus.emit({ type: "stream.state", time: ctx.device.clock.now(), stream: rec.id, from, to });
  }
}
