// Prints the closing line CI reads ("N passed, N failed[, N skipped]") from vitest's JSON
// report, and exits 1 when no test ran or any failed.
import { readFileSync } from "node:fs";

const file = process.argv[2] ?? "coverage/vitest-results.json";
const lineOnly = process.argv.includes("--line-only");
const r = JSON.parse(readFileSync(file, "utf8"));
const skipped = (r.numPendingTests ?? 0) + (r.numTodoTests ?? 0);
const line = `${r.numPassedTests} passed, ${r.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ""}`;
console.log(lineOnly ? line : `tests: ${line}`);
if (!lineOnly && r.numTotalTests === 0) {
  console.error("no tests were executed");
  process.exit(1);
}
process.exit(r.numFailedTests > 0 || r.numTotalTests === 0 ? 1 : 0);
