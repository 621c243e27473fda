// Runs every package's benchmarks (packages/*/bench/*.bench.mjs, apps/*/bench/*.bench.mjs,
// tests/bench/*.bench.mjs) in
// fresh processes, one after another, prints a table and writes bench-results.json.
//
//   pnpm bench                      all benchmarks (builds first)
//   pnpm bench -- --only device-sim  files whose path contains the text
//   pnpm bench -- --quick            smaller sizes: a smoke run of the same code
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

// fileURLToPath, not URL.pathname: the latter keeps %20 and friends in paths with spaces.
const root = fileURLToPath(new URL("..", import.meta.url));
const args = process.argv.slice(2);
const only = args.includes("--only") ? args[args.indexOf("--only") + 1] : undefined;
const passThrough = args.includes("--quick") ? ["--quick"] : [];

if (!args.includes("--no-build")) {
  const build = spawnSync("pnpm", ["turbo", "run", "build", "--output-logs=errors-only"], {
    cwd: root,
    stdio: "inherit",
  });
  if (build.status !== 0) process.exit(build.status ?? 1);
}

const files = [];
for (const group of ["packages", "apps"]) {
  const dir = join(root, group);
  if (!existsSync(dir)) continue;
  for (const pkg of readdirSync(dir)) {
    const bench = join(dir, pkg, "bench");
    if (!existsSync(bench)) continue;
    for (const f of readdirSync(bench).sort()) if (f.endsWith(".bench.mjs")) files.push(join(bench, f));
  }
}
// The repository checks' own benchmarks (tests/bench: the browser versus Node pipeline).
const repoBench = join(root, "tests", "bench");
if (existsSync(repoBench))
  for (const f of readdirSync(repoBench).sort()) if (f.endsWith(".bench.mjs")) files.push(join(repoBench, f));

const results = [];
const ran = new Set();
let failed = 0;
for (const file of files) {
  const rel = relative(root, file);
  if (only && !rel.includes(only)) continue;
  ran.add(rel);
  console.log(`\n=== ${rel}`);
  const run = spawnSync(process.execPath, ["--expose-gc", file, ...passThrough], {
    cwd: join(file, "..", ".."),
    encoding: "utf8",
    maxBuffer: 64 * 1024 * 1024,
    stdio: ["ignore", "pipe", "inherit"],
  });
  // A process that could not start (or was killed) has no stdout; count it as failed.
  for (const line of (run.stdout ?? "").split("\n")) {
    if (line.startsWith("BENCH_RESULT ")) {
      const r = JSON.parse(line.slice("BENCH_RESULT ".length));
      results.push({ file: rel, ...r });
    } else if (line.trim()) console.log(line);
  }
  if (run.status !== 0) {
    failed++;
    console.error(`!!! ${rel} exited with ${run.status ?? run.signal ?? run.error?.message}`);
  }
}
if (ran.size === 0) {
  console.error(`no benchmark file matched${only ? ` --only ${only}` : ""}`);
  process.exit(1);
}

const fmt = (v) => (typeof v === "number" ? v.toLocaleString("en-US", { maximumFractionDigits: 3 }) : "");
console.log("\n| figure | value | unit | baseline | ratio |\n|---|---|---|---|---|");
for (const r of results) {
  const base = r.baseline ? `${r.baseline.name}: ${fmt(r.baseline.value)}` : "";
  console.log(
    `| ${r.name} | ${fmt(r.value)} | ${r.unit} | ${base} | ${r.ratio === undefined ? "" : `${fmt(r.ratio)}×`} |`,
  );
}
// Merge: figures of files not run this time are kept, so `--only` refreshes just its part.
const out = join(root, "bench-results.json");
const previous = existsSync(out) ? (JSON.parse(readFileSync(out, "utf8")).results ?? []) : [];
const merged = [...previous.filter((r) => !ran.has(r.file)), ...results].sort((a, b) =>
  a.file.localeCompare(b.file),
);
writeFileSync(
  out,
  `${JSON.stringify({ node: process.version, date: new Date().toISOString(), quick: args.includes("--quick"), results: merged }, null, 2)}\n`,
);
console.log(`\nwrote ${relative(process.cwd(), out) || out} (${results.length} figures)`);
process.exit(failed > 0 ? 1 : 0);
