import type { ShowcaseArgs } from "./args.js";
import type { Terminal } from "./terminal.js";

/** What an example gets to run with. */
export interface ShowcaseContext {
  readonly term: Terminal;
  readonly args: ShowcaseArgs;
  /** The directory for output files, absolute. */
  readonly outDir: string;
  /** A path as the user should read it: relative to the directory they ran from when inside it. */
  display(path: string): string;
}

/** One runnable example of the showcase. */
export interface ShowcaseExample {
  /** What `pnpm example <name>` takes. */
  readonly name: string;
  readonly title: string;
  /** One line for `--help`. */
  readonly summary: string;
  /** Where to read its code, from the repository's root. */
  readonly sources: readonly string[];
  /** Runs it, printing as it goes; resolves with what it measured (for the tests). */
  run(ctx: ShowcaseContext): Promise<unknown>;
}
