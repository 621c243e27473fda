// Types of model.mjs for the TypeScript tests that import it.
import type { IAsyncPropertyWithHooks } from "fast-check";

/** The packages the harness drives: sources in tests, dist/ in the soak. */
export interface HarnessPackages {
  readonly core: unknown;
  readonly testing: unknown;
  readonly deviceSim: unknown;
  readonly streams: unknown;
  readonly callbacks: unknown;
}

/** One configuration of the runtime under test. */
export interface HarnessConfig {
  readonly backend: "sim" | "mock";
  readonly profile: "cann" | "cuda";
  readonly executor: "fifo" | "scheduler";
}

export function modelProperty(
  pkgs: HarnessPackages,
  config: HarnessConfig,
  maxCommands?: number,
): IAsyncPropertyWithHooks<[unknown, number]>;
