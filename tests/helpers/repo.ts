// Where things are in the repository, for checks that read it as a user would.
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

/** The repository's root directory. */
export const REPO = fileURLToPath(new URL("../../", import.meta.url));

/** Directories that are build output, installs or tool state, never documentation. */
const SKIPPED = new Set([
  ".git",
  "node_modules",
  "dist",
  "docs-site",
  "coverage",
  ".turbo",
  ".tools",
  ".blocks",
  "out",
]);

/**
 * Every markdown file a reader of the repository meets (READMEs, guides, package docs), as paths
 * relative to the root. Changelogs and pending changesets are release notes, not documentation.
 */
export function markdownFiles(): string[] {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (SKIPPED.has(entry.name)) continue;
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== ".changeset") walk(path);
      } else if (entry.name.endsWith(".md") && entry.name !== "CHANGELOG.md") {
        found.push(relative(REPO, path));
      }
    }
  };
  walk(REPO);
  return found.sort();
}
