import type { HostTask, HostTaskOutcome } from "@npurt/core";

/**
 * A submitted task as the scheduler keeps it: its members read once, when it was submitted and
 * checked. Reading them again later (from a getter, or a Proxy) could give other values, or
 * throw inside the drain loop where no error handling reaches, and leave the task's `done`
 * uncalled; the functions are still called on the original task, so `this` works.
 */
export class QueuedTask {
  constructor(
    readonly task: HostTask,
    readonly run: (this: HostTask) => unknown,
    readonly done: (this: HostTask, outcome: HostTaskOutcome) => void,
    readonly label: string | undefined,
    readonly expectedDurationMs: number | undefined,
  ) {}
}
