/**
 * What happens when a callback fails (throws, rejects or times out):
 *
 * - `"continue"`: the failure is recorded and the node counts as finished; its dependents still
 *   run and see the error in {@link NodeContext.inputs}.
 * - `"skip"`: the failure is recorded and every node that depends on it, directly or
 *   transitively, is skipped (never runs); unrelated nodes still run.
 * - `"abort"`: the failure is recorded and the whole run stops (the chain breaks):
 *   nothing else starts, running callbacks see their signal abort, and
 *   every node that has not finished is reported as cancelled.
 *
 * Whatever the policy, every error ends up in the run's report with the node it came from.
 */
export type ErrorPolicy = "continue" | "skip" | "abort";

/** The accepted {@link ErrorPolicy} values, for validation. */
export const ERROR_POLICIES: readonly ErrorPolicy[] = ["continue", "skip", "abort"];
