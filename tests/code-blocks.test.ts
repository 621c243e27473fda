// Every TypeScript block in the READMEs and guides is an example a user will paste: each one is
// type-checked (strict, against the built packages' typings) and run with Node against the built
// packages, so an example that does not compile or throws fails CI.
//
// Info-string flags: `ts continues` appends the block to the one before it in the same file (a
// walkthrough split by prose); `ts no-run` is type-checked but not run (a vitest suite, say).
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { transform } from "esbuild";
import { beforeAll, describe, expect, it } from "vitest";
import { codeBlocks } from "./helpers/markdown.ts";
import { markdownFiles, REPO } from "./helpers/repo.ts";
import { run } from "./helpers/run.ts";

/** One program to check: a block, with the blocks it continues. */
interface Example {
  readonly source: string;
  readonly line: number;
  readonly file: string;
  readonly code: string;
  readonly runs: boolean;
}

const DIR = join(REPO, "tests", ".blocks");

function examples(): Example[] {
  const out: Example[] = [];
  for (const source of markdownFiles()) {
    let previous: string | undefined;
    for (const block of codeBlocks(readFileSync(join(REPO, source), "utf8"))) {
      if (block.lang !== "ts" && block.lang !== "typescript") continue;
      const continues = block.flags.includes("continues");
      if (continues && previous === undefined)
        throw new Error(`${source}:${block.line}: "continues" with no block before`);
      const code = continues ? `${previous}\n${block.code}` : block.code;
      previous = code;
      const name = `${source.replace(/[^A-Za-z0-9]+/g, "-")}-L${block.line}.ts`;
      // `export {}` makes every block a module (top-level await, its own scope).
      out.push({
        source,
        line: block.line,
        file: join(DIR, name),
        code: `${code}\nexport {};\n`,
        runs: !block.flags.includes("no-run"),
      });
    }
  }
  return out;
}

const all = examples();

beforeAll(() => {
  rmSync(DIR, { recursive: true, force: true });
  mkdirSync(DIR, { recursive: true });
  for (const e of all) writeFileSync(e.file, e.code);
  // The built packages' typings (no source condition), strict, Node's globals as the READMEs assume.
  writeFileSync(
    join(DIR, "tsconfig.json"),
    JSON.stringify({
      extends: "../../tsconfig.base.json",
      compilerOptions: { customConditions: [], noEmit: true, noUnusedLocals: false },
      files: all.map((e) => e.file),
    }),
  );
});

describe("README and guide code blocks", () => {
  it("there are examples to check, and few that do not run", () => {
    expect(all.length).toBeGreaterThan(10);
    expect(all.filter((e) => !e.runs).length).toBeLessThanOrEqual(Math.ceil(all.length / 5));
  });

  it("every block type-checks against the built packages", async () => {
    const require = createRequire(join(REPO, "package.json"));
    const tsc = join(dirname(require.resolve("typescript/package.json")), "bin", "tsc");
    const result = await run(process.execPath, [tsc, "-p", join(DIR, "tsconfig.json"), "--pretty", "false"], {
      timeoutMs: 110_000,
    });
    // Name the markdown file and line, not the generated file.
    const errors = (result.stdout + result.stderr)
      .split("\n")
      .filter(Boolean)
      .map((line) => {
        const e = all.find((x) => line.includes(x.file.slice(DIR.length + 1)));
        const at = /\((\d+),\d+\): (.*)$/.exec(line);
        // The generated file holds the block's code (after what it continues) from line 1.
        return e && at ? `${e.source}, block at line ${e.line}, its line ${at[1]}: ${at[2]}` : line;
      });
    expect(errors).toEqual([]);
  });

  for (const e of all.filter((x) => x.runs)) {
    it(`${e.source}:${e.line} runs without throwing`, async () => {
      const js = (await transform(e.code, { loader: "ts", format: "esm", target: "node20" })).code;
      const file = e.file.replace(/\.ts$/, ".mjs");
      writeFileSync(file, js);
      // In a scratch directory: examples that write files (out/trace.json) write them there.
      const cwd = join(DIR, `${e.source.replace(/[^A-Za-z0-9]+/g, "-")}-L${e.line}.cwd`);
      mkdirSync(cwd, { recursive: true });
      const result = await run(process.execPath, [file], { cwd, timeoutMs: 30_000 });
      expect(result.code, `${e.source}:${e.line} failed:\n${result.stderr}`).toBe(0);
    });
  }
});
