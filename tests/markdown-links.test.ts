// A reader follows links: every relative link in the repository's markdown must name a file
// that exists, and no page may send the reader to material that is not in the repository (the
// articles npurt started from, the notes it was designed with), which a clone does not have.
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { links } from "./helpers/markdown.ts";
import { markdownFiles, REPO } from "./helpers/repo.ts";

/**
 * Phrases that point at files outside the repository. The semantics reference is in it
 * (`docs/reference/runtime-semantics.md`); the other reference notes are not.
 */
const OUTSIDE = [
  /reference\/(?!runtime-semantics\.md)[\w-]+\.md/i,
  /performance[- ]anchors/i,
  /design notes/i,
  /\.\.\/shared\b|\/work\/shared/i,
  /\bseeds?\//i,
  /the seed article|the seed's|seed articles?\b|callback seed|stream-management seed/i,
];

describe("markdown links", () => {
  const files = markdownFiles();

  it("finds the READMEs and guides", () => {
    expect(files).toContain("README.md");
    expect(files).toContain("docs/index.md");
    expect(files.filter((f) => /^packages\/[^/]+\/README\.md$/.test(f)).length).toBeGreaterThanOrEqual(5);
  });

  it("every relative link names a file in the repository", () => {
    const missing: string[] = [];
    for (const file of files) {
      for (const { line, target } of links(readFileSync(join(REPO, file), "utf8"))) {
        if (/^[a-z][a-z+.-]*:/i.test(target) || target.startsWith("#")) continue; // URLs, anchors
        const path = decodeURIComponent(target.replace(/[#?].*$/, ""));
        if (!existsSync(join(REPO, dirname(file), path))) missing.push(`${file}:${line}: ${target}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it("no page refers to a file that is not in the repository", () => {
    const found: string[] = [];
    for (const file of files) {
      // The generated benchmark table quotes the benchmarks' own figure names; it is data.
      readFileSync(join(REPO, file), "utf8")
        .replace(/<!-- bench-table:start -->[\s\S]*<!-- bench-table:end -->/, (table) =>
          table.replace(/[^\n]/g, ""),
        )
        .split("\n")
        .forEach((text, i) => {
          for (const pattern of OUTSIDE) if (pattern.test(text)) found.push(`${file}:${i + 1}: ${pattern}`);
        });
    }
    expect(found).toEqual([]);
  });
});
