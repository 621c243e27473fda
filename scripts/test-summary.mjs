// Prints the closing line CI reads ("N passed, N failed[, N skipped]") from vitest's JSON
// report, and exits 1 when no test ran or anything failed. A test file that fails to load (a
// syntax or import error) has no failed test of its own, so it counts as one failure here:
// otherwise the line would read "0 failed" for a broken run.
// With --line-only it prints just the line and exits 0: the verdict was already given.
import { readFileSync } from "node:fs";

const file = process.argv[2] ?? "coverage/vitest-results.json";
const lineOnly = process.argv.includes("--line-only");
const r = JSON.parse(readFileSync(file, "utf8"));
const brokenFiles = (r.testResults ?? []).filter(
  (f) => f.status === "failed" && !(f.assertionResults ?? []).some((a) => a.status === "failed"),
);
const failed = (r.numFailedTests ?? 0) + brokenFiles.length;
const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
const line = `${r.numPassedTests ?? 0} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}`;
console.log(lineOnly ? line : `tests: ${line}`);
if (lineOnly) process.exit(0);
for (const f of brokenFiles)
  console.error(`test file failed outside any test: ${f.name}\n  ${f.message ?? ""}`);
if (r.numTotalTests === 0) console.error("no tests were executed");
process.exit(failed > 0 || r.numTotalTests === 0 || r.success === false ? 1 : 0);
