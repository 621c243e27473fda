import type { SimQueue } from "./sim-queue.js";

/** Tells a {@link Timer} apart from the other event-heap items (see `QUEUE_EVENT`). */
export const TIMER_EVENT = 1;
/** Tells an {@link Action} apart from the other event-heap items. */
export const ACTION_EVENT = 2;

/** A timer of the backend's clock: fires its callback at its instant unless cleared first. */
export interface Timer {
  readonly eventKind: typeof TIMER_EVENT;
  readonly id: number;
  readonly callback: () => void;
  cancelled: boolean;
}

/** A rare engine event (abort, host signal, device loss); closures are fine off the hot path. */
export interface Action {
  readonly eventKind: typeof ACTION_EVENT;
  readonly run: (time: number) => void;
}

/** What the engine's event heap holds, ordered by (time, sequence). */
export type EngineEvent = SimQueue | Timer | Action;
