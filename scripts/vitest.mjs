#!/usr/bin/env node
// Runs vitest with colours only on a terminal. vitest's colour library turns colours on whenever
// TERM is set, so piped output (CI logs, `pnpm test > log`) was full of ANSI codes. NO_COLOR must
// be set before vitest loads, hence this launcher; FORCE_COLOR still forces them.
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";

if (!process.stdout.isTTY && !("FORCE_COLOR" in process.env)) process.env.NO_COLOR = "1";
const require = createRequire(import.meta.url);
const pkgPath = require.resolve("vitest/package.json");
const { bin } = require(pkgPath);
const cli = join(dirname(pkgPath), typeof bin === "string" ? bin : bin.vitest);
process.argv.splice(1, 1, cli);
await import(pathToFileURL(cli).href);
