import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { main, type ShowcaseOutcome } from "../src/cli/main.js";

/** What a showcase run printed and returned. */
export interface Captured extends ShowcaseOutcome {
  readonly stdout: string;
  readonly stderr: string;
  /** The directory the run treated as the user's (output files land under it). */
  readonly cwd: string;
}

/** Runs the showcase's `main` in-process with captured output, in a fresh temporary directory. */
export async function runShowcase(
  argv: readonly string[],
  options: { isTTY?: boolean; env?: Record<string, string | undefined> } = {},
): Promise<Captured> {
  const out: string[] = [];
  const err: string[] = [];
  const cwd = mkdtempSync(join(tmpdir(), "npurt-showcase-"));
  const outcome = await main(argv, {
    stdout: { write: (s: string) => out.push(s), isTTY: options.isTTY ?? false },
    stderr: { write: (s: string) => err.push(s), isTTY: options.isTTY ?? false },
    env: options.env ?? {},
    cwd,
  });
  return { ...outcome, stdout: out.join(""), stderr: err.join(""), cwd };
}

/** Whether `text` holds an ANSI escape sequence. */
export function hasAnsi(text: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: looking for ESC is the point
  return /\u001b\[/.test(text);
}
