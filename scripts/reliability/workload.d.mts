// Types of workload.mjs for the TypeScript tests that import it.
import type { HarnessConfig, HarnessPackages } from "./model.mjs";

export interface ProgramResult {
  readonly violations: readonly string[];
  readonly lost: number;
  readonly ops: number;
  readonly faults: number;
  /** One line per op in issue order: stream, kind, status, start, end, error code. */
  readonly timeline: string;
}

export function runProgram(
  pkgs: HarnessPackages,
  config: HarnessConfig,
  seed: number,
  length: number,
): Promise<ProgramResult>;
