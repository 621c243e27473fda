// The root README's generated parts match their sources: the benchmark table is the one
// bench-results.json gives (regenerate with `node scripts/bench-table.mjs`), and the error-code
// list names every code core defines, with core's description.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ERROR_CODES } from "@npurt/core";
import { describe, expect, it } from "vitest";
// @ts-expect-error: a plain .mjs script without typings
import { withBenchTable } from "../scripts/bench-table.mjs";
import { REPO } from "./helpers/repo.ts";

const readme = readFileSync(join(REPO, "README.md"), "utf8");

describe("the root README", () => {
  it("has the benchmark table generated from bench-results.json", () => {
    const bench = JSON.parse(readFileSync(join(REPO, "bench-results.json"), "utf8"));
    expect(bench.results.length).toBeGreaterThan(0);
    expect(readme, "run node scripts/bench-table.mjs").toBe(
      (withBenchTable as (r: string, b: unknown) => string)(readme, bench),
    );
  });

  it("lists every error code with core's description", () => {
    const section = readme.slice(
      readme.indexOf("<!-- error-codes:start -->"),
      readme.indexOf("<!-- error-codes:end -->"),
    );
    const rows = [...section.matchAll(/^\| `([A-Z_]+)` \| (.*) \|$/gm)].map((m) => [m[1], m[2]]);
    expect(rows).toEqual(Object.entries(ERROR_CODES).map(([code, info]) => [code, info.description]));
  });

  it("keeps the quick start to two commands: install and showcase, then the tests CI runs", () => {
    const quick = readme.slice(readme.indexOf("## Quick start"), readme.indexOf("## Using npurt"));
    const commands = /```sh\n([\s\S]*?)```/.exec(quick)![1]!.trim().split("\n");
    expect(commands).toHaveLength(2);
    expect(commands[0]).toMatch(/install --frozen-lockfile && .* start/);
    expect(commands[1]).toMatch(/pnpm@[\d.]+ test\b/);
    expect(readFileSync(join(REPO, ".ci", "run"), "utf8")).toMatch(/\bpnpm test\b/);
  });
});
