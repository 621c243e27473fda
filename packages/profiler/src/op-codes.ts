/** Op kind names, indexed by the codes in `OpColumns.kind`. */
export const OP_KIND_NAMES = ["kernel", "copy", "fill", "signal", "wait", "other"] as const;

/** Op status names, indexed by the codes in `OpColumns.status` (0: not completed yet). */
export const OP_STATUS_NAMES = ["pending", "ok", "error", "aborted"] as const;

/** The engine an op runs on: an AI core group (kernels, fills) or a copy engine by direction. */
export type EngineKind = "compute" | "h2d" | "d2h" | "d2d";
