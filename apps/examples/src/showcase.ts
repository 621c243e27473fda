// The npurt showcase's command: `pnpm start` (every example) or `pnpm example <name>` (one).
// Both build the packages first; `--help` lists the examples and options.
import { main } from "./cli/main.js";

main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  // pnpm runs the script in apps/examples; INIT_CWD is where the user typed the command.
  cwd: process.env.INIT_CWD ?? process.cwd(),
}).then(
  (outcome) => {
    process.exitCode = outcome.exitCode;
  },
  (error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  },
);
