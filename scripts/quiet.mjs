#!/usr/bin/env node
// Runs a workspace tool (`node scripts/quiet.mjs turbo run build`, `… vitest run`) without the
// noise a newcomer's first run would otherwise print: turbo's telemetry notice, and ANSI colour
// codes when the output is not a terminal (vitest's colour library turns colours on whenever TERM
// is set, so piped logs were full of them; FORCE_COLOR still forces them). Setting the variables
// here rather than as `VAR=1 tool` in package.json keeps the scripts working on Windows too.
import { spawn } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";

const [tool, ...args] = process.argv.slice(2);
if (!tool) {
  console.error("usage: node scripts/quiet.mjs <turbo|vitest|…> [args…]");
  process.exit(2);
}
const env = { ...process.env, TURBO_TELEMETRY_DISABLED: "1" };
if (!process.stdout.isTTY && !("FORCE_COLOR" in env)) env.NO_COLOR = "1";

const require = createRequire(join(process.cwd(), "package.json"));
const manifest = require.resolve(`${tool}/package.json`);
const { bin } = require(manifest);
const entry = join(dirname(manifest), typeof bin === "string" ? bin : bin[tool]);
const child = spawn(process.execPath, [entry, ...args], { stdio: "inherit", env });
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => child.kill(signal));
child.on("exit", (code, signal) => {
  if (signal) process.kill(process.pid, signal);
  else process.exit(code ?? 1);
});
