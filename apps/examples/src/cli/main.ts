import { isAbsolute, relative, resolve } from "node:path";
import { EXAMPLES } from "../catalog.js";
import { parseShowcaseArgs, type ShowcaseArgs, UsageError } from "./args.js";
import type { ShowcaseContext, ShowcaseExample } from "./example.js";
import { type OutputStream, Terminal } from "./terminal.js";

/** Where the showcase runs: its output streams, environment and the user's directory. */
export interface ShowcaseIo {
  readonly stdout: OutputStream;
  readonly stderr: OutputStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  /** The directory the user ran the command from (pnpm's INIT_CWD, else the process's). */
  readonly cwd: string;
}

/** What {@link main} did: its exit code, and each example's result by name (for the tests). */
export interface ShowcaseOutcome {
  readonly exitCode: number;
  readonly results: ReadonlyMap<string, unknown>;
}

function usage(term: Terminal): void {
  term.line("Usage: pnpm start [-- options]        run the whole showcase");
  term.line("       pnpm example <name> [options]   run one example");
  term.line();
  term.line("Examples:");
  const width = Math.max(...EXAMPLES.map((e) => e.name.length));
  for (const e of EXAMPLES) term.line(`  ${term.style("bold", e.name.padEnd(width))}  ${e.summary}`);
  term.line();
  term.line("Options:");
  term.line("  -h, --help        show this help");
  term.line("  --out <dir>       where the pipeline example writes trace.json, timeline.html and");
  term.line("                    summary.txt (default: out, in the directory you ran from)");
  term.line("  --requests <n>    requests the pipeline example serves per version (default 3000)");
  term.line("  --clients <n>     concurrent clients sending them (default 1000)");
  term.line("  --streams <n>     streams in the pooled version's pool (default 16)");
  term.line();
  term.line();
  term.line("Colours and the live progress bar appear only on a terminal; NO_COLOR=1 turns colours off.");
  term.line("Everything runs on a simulated NPU in virtual time: no hardware or setup needed.");
}

function intro(term: Terminal): void {
  term.line(term.style("bold", "npurt showcase"));
  term.paragraph(
    "npurt is an asynchronous runtime for NPUs (neural processing units, accelerators such as " +
      "Huawei's Ascend), modelled on Huawei CANN's runtime, with CUDA's rules as a second profile. " +
      "Every example below runs on its simulated NPU: a deterministic model of the device in " +
      "virtual time (a clock that advances by what each operation would take on the modelled " +
      "hardware, not by how fast your computer is), so the figures are the same on every run. " +
      "Where an example compares with published figures, they come from the two Chinese blog " +
      "posts on CANN's runtime this project started from: one on callback chains and completion " +
      "notification, one on stream management.",
    "",
  );
}

function selected(args: ShowcaseArgs): ShowcaseExample[] {
  const byName = new Map(EXAMPLES.map((e) => [e.name, e]));
  const unknown = args.names.filter((n) => !byName.has(n));
  if (unknown.length > 0) {
    const list = EXAMPLES.map((e) => e.name).join(", ");
    throw new UsageError(
      `unknown example${unknown.length > 1 ? "s" : ""} ${unknown.map((n) => JSON.stringify(n)).join(", ")}; the examples are: ${list}`,
    );
  }
  return args.names.length === 0 ? [...EXAMPLES] : args.names.map((n) => byName.get(n)!);
}

/**
 * Runs the showcase for `argv` (the arguments after the script name). Exit code 0 when every
 * example ran, 1 when one threw, 2 for a command line it cannot run (the message says why).
 */
export async function main(argv: readonly string[], io: ShowcaseIo): Promise<ShowcaseOutcome> {
  const term = new Terminal(io.stdout, io.env);
  const errors = new Terminal(io.stderr, io.env);
  const results = new Map<string, unknown>();
  let args: ShowcaseArgs;
  let examples: ShowcaseExample[];
  try {
    args = parseShowcaseArgs(argv);
    examples = selected(args);
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    errors.line(`${errors.style("red", "error:")} ${error.message}`);
    errors.line("Run with --help to see the examples and options.");
    return { exitCode: 2, results };
  }
  if (args.help) {
    usage(term);
    return { exitCode: 0, results };
  }
  const ctx: ShowcaseContext = {
    term,
    args,
    outDir: resolve(io.cwd, args.outDir),
    display(path) {
      const rel = relative(io.cwd, path);
      return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel) ? rel : path;
    },
  };
  if (examples.length > 1) intro(term);
  const started = performance.now();
  let failed = 0;
  for (const [i, example] of examples.entries()) {
    term.line();
    const title = examples.length > 1 ? `${i + 1}. ${example.title}` : example.title;
    term.line(term.style(["bold", "cyan"], `━━ ${title} ${"━".repeat(Math.max(3, 94 - title.length))}`));
    for (const [j, source] of example.sources.entries())
      term.line(term.style("dim", `  ${j === 0 ? "source:" : "       "} ${source}`));
    term.line();
    try {
      results.set(example.name, await example.run(ctx));
    } catch (error) {
      failed++;
      errors.line(
        `${errors.style("red", `example ${example.name} failed:`)} ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      );
    }
  }
  term.line();
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  term.line(
    failed === 0
      ? term.style(
          "green",
          `Done: ${examples.length} example${examples.length > 1 ? "s" : ""} in ${seconds} s of wall time.`,
        )
      : term.style("red", `${failed} of ${examples.length} examples failed.`),
  );
  return { exitCode: failed === 0 ? 0 : 1, results };
}
