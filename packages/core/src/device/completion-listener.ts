import type { OpCompletion } from "../backend/device-backend.js";

/** Receives the completions of one queue's ops; return `true` when it woke host code. */
// biome-ignore lint/suspicious/noConfusingVoidType: most listeners return nothing; `void` lets them.
export type QueueCompletionListener = (completion: OpCompletion) => boolean | undefined | void;
