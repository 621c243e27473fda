import { NpuError } from "@npurt/core";

// Shared by every manager in the process: a callback of one manager that synchronizes another
// manager's stream can deadlock just the same (both may share one executor).
let depth = 0;

/**
 * Runs a host callback's function, marking the time it runs synchronously as "inside a callback".
 * For an async callback that is its body up to the first `await`: later continuations cannot be
 * told apart from other host code without AsyncLocalStorage, which browsers lack.
 */
export function runAsCallback(fn: () => unknown): unknown {
  depth++;
  try {
    return fn();
  } finally {
    depth--;
  }
}

/** Throws `NOT_PERMITTED_IN_CALLBACK` when called from inside a host callback. */
export function assertNotInCallback(api: string): void {
  if (depth > 0) {
    throw new NpuError(
      "NOT_PERMITTED_IN_CALLBACK",
      `${api} may not be called from a host callback: it may wait for (or queue behind) the callback itself and deadlock`,
      { details: { api } },
    );
  }
}
