#!/usr/bin/env node
// Writes the benchmark table of the root README from bench-results.json, between the markers
// <!-- bench-table:start --> and <!-- bench-table:end -->.
//
//   node scripts/bench-table.mjs          rewrite the README's table
//   node scripts/bench-table.mjs --check  exit 1 if the README's table is not the generated one
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const START = "<!-- bench-table:start -->";
const END = "<!-- bench-table:end -->";

/** A number as a reader wants it: three significant digits, thousands separated. */
export function formatValue(value) {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return value.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: 0 });
}

const cell = (text) => String(text).replaceAll("|", "\\|");

/** Where a figure comes from: the package (or the repository checks) whose benchmark printed it. */
function groupOf(file) {
  const m = /^packages\/([^/]+)\//.exec(file);
  return m ? `@npurt/${m[1]}` : file.startsWith("tests/") ? "repository (browser vs Node)" : file;
}

/** The markdown table (with its lead line) for the results of bench-results.json. */
export function benchTable(results) {
  const lines = [
    "| package | figure | npurt | peer measured in the same run | ratio |",
    "|---|---|---|---|---|",
  ];
  for (const r of results) {
    const base = r.baseline
      ? `${cell(r.baseline.name)}: ${formatValue(r.baseline.value)} ${cell(r.unit)}`
      : "—";
    const ratio = r.ratio === undefined ? "—" : `${formatValue(r.ratio)}×`;
    lines.push(
      `| ${groupOf(r.file)} | ${cell(r.name)} | ${formatValue(r.value)} ${cell(r.unit)} | ${base} | ${ratio} |`,
    );
  }
  return lines.join("\n");
}

/** `readme` with its table replaced by the one generated from `bench` (bench-results.json's content). */
export function withBenchTable(readme, bench) {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${START} … ${END} section`);
  const lead = `Measured on Node ${bench.node}${bench.quick ? " (quick run)" : ""}; each ratio compares with the peer measured in the same run, as the figure's name says.`;
  return `${readme.slice(0, start + START.length)}\n${lead}\n\n${benchTable(bench.results)}\n${readme.slice(end)}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const root = new URL("..", import.meta.url);
  const readmePath = new URL("README.md", root);
  const readme = readFileSync(readmePath, "utf8");
  const next = withBenchTable(readme, JSON.parse(readFileSync(new URL("bench-results.json", root), "utf8")));
  if (process.argv.includes("--check")) {
    if (next !== readme) {
      console.error(
        "README.md's benchmark table is not the one bench-results.json gives: run node scripts/bench-table.mjs",
      );
      process.exit(1);
    }
  } else if (next !== readme) {
    writeFileSync(readmePath, next);
    console.log("README.md: benchmark table rewritten from bench-results.json");
  }
}
