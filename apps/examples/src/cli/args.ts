import { parseArgs } from "node:util";

/** What the command line asked for. */
export interface ShowcaseArgs {
  readonly help: boolean;
  /** Examples to run, in the order given; empty for all of them. */
  readonly names: readonly string[];
  /** Where the trace, timeline and summary go (relative to the directory the user ran from). */
  readonly outDir: string;
  /** Requests, concurrent clients and pooled streams of the pipeline example. */
  readonly requests: number | undefined;
  readonly clients: number | undefined;
  readonly streams: number | undefined;
}

/** A command line the showcase cannot run: the message says why (exit code 2). */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

const OPTIONS = {
  help: { type: "boolean", short: "h" },
  out: { type: "string" },
  requests: { type: "string" },
  clients: { type: "string" },
  streams: { type: "string" },
} as const;

function positiveInteger(value: string | undefined, flag: string, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1 || n > max)
    throw new UsageError(`--${flag} must be a whole number from 1 to ${max}, got ${JSON.stringify(value)}`);
  return n;
}

/**
 * Parses the showcase's arguments with `node:util`'s `parseArgs` (strict: an unknown option is
 * a {@link UsageError}). A leading `--` is dropped, since `pnpm start -- --help` passes it on.
 */
export function parseShowcaseArgs(argv: readonly string[]): ShowcaseArgs {
  const args = argv[0] === "--" ? argv.slice(1) : [...argv];
  let parsed: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const v = parsed.values;
  if (v.out === "") throw new UsageError("--out must name a directory");
  return {
    help: v.help === true,
    names: parsed.positionals,
    outDir: v.out ?? "out",
    requests: positiveInteger(v.requests, "requests", 1_000_000),
    clients: positiveInteger(v.clients, "clients", 100_000),
    streams: positiveInteger(v.streams, "streams", 1024),
  };
}
