// The packages as a user installs them: each is packed (`pnpm pack`, as publishing would) and the
// tarballs are installed with npm, offline, into an empty directory outside the repository, so
// no dev dependency (vitest, esbuild, the siblings) can be found. There, every public entry (each
// subpath of each exports map) imports in plain Node, and the typings type-check with no lib
// beyond ES2022 and ESNext.Disposable (no DOM, no @types/node), as the README states.
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { mkdtemp } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { REPO } from "./helpers/repo.ts";
import { run } from "./helpers/run.ts";

interface Entry {
  readonly specifier: string;
  /** Entries for Node only (`./node`): their typings may use @types/node. */
  readonly nodeOnly: boolean;
}

const packages = readdirSync(join(REPO, "packages")).map((dir) => {
  const manifest = JSON.parse(readFileSync(join(REPO, "packages", dir, "package.json"), "utf8"));
  return { dir, manifest } as {
    dir: string;
    manifest: { name: string; private?: boolean; exports: Record<string, unknown> };
  };
});
const published = packages.filter((p) => p.manifest.private !== true);
const entries: Entry[] = published.flatMap(({ manifest }) =>
  Object.keys(manifest.exports)
    .filter((key) => key !== "./package.json")
    .map((key) => ({
      specifier: key === "." ? manifest.name : `${manifest.name}${key.slice(1)}`,
      nodeOnly: key === "./node",
    })),
);
/** Entries that need an optional peer dependency, and which. */
const NEEDS_PEER: Record<string, string> = { "@npurt/core/conformance": "vitest" };

let dir: string;
const pnpm = process.env.npm_execpath; // the pnpm that runs the tests, when run through it

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "npurt-published-"));
  const tarballs: string[] = [];
  for (const { dir: pkg } of published) {
    const packed = await run(
      pnpm && /pnpm/.test(pnpm) ? process.execPath : "pnpm",
      [...(pnpm && /pnpm/.test(pnpm) ? [pnpm] : []), "pack", "--pack-destination", dir],
      { cwd: join(REPO, "packages", pkg), timeoutMs: 60_000 },
    );
    expect(packed.code, packed.stderr).toBe(0);
  }
  for (const f of readdirSync(dir)) if (f.endsWith(".tgz")) tarballs.push(`./${f}`);
  writeFileSync(
    join(dir, "package.json"),
    JSON.stringify({ name: "consumer", private: true, type: "module" }),
  );
  const installed = await run(
    "npm",
    ["install", "--offline", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error", ...tarballs],
    { cwd: dir, timeoutMs: 110_000 },
  );
  expect(installed.code, installed.stderr).toBe(0);
}, 180_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("the packages as installed from their tarballs", () => {
  it("lists every published package's exports", () => {
    expect(published.map((p) => p.manifest.name).sort()).toEqual([
      "@npurt/callbacks",
      "@npurt/core",
      "@npurt/device-sim",
      "@npurt/profiler",
      "@npurt/streams",
    ]);
    expect(entries.map((e) => e.specifier)).toContain("@npurt/core/testing");
  });

  it("installs no dev dependency", () => {
    const modules = readdirSync(join(dir, "node_modules")).filter((m) => !m.startsWith("."));
    expect(modules).toEqual(["@npurt"]);
  });

  it("imports every public entry in plain Node (the conformance suite asks for vitest by name)", async () => {
    const script = entries
      .map(
        (e) => `try {
  const m = await import(${JSON.stringify(e.specifier)});
  console.log(JSON.stringify([${JSON.stringify(e.specifier)}, "ok", Object.keys(m).length]));
} catch (error) {
  console.log(JSON.stringify([${JSON.stringify(e.specifier)}, "error", String(error.message).split("\\n")[0]]));
}`,
      )
      .join("\n");
    writeFileSync(join(dir, "imports.mjs"), script);
    const result = await run(process.execPath, ["imports.mjs"], { cwd: dir });
    expect(result.code, result.stderr).toBe(0);
    const outcomes = result.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as [string, string, unknown]);
    for (const [specifier, status, detail] of outcomes) {
      const peer = NEEDS_PEER[specifier];
      if (peer) {
        expect(status, specifier).toBe("error");
        expect(String(detail), specifier).toContain(`'${peer}'`);
      } else {
        expect([specifier, status], String(detail)).toEqual([specifier, "ok"]);
        expect(detail, `${specifier} exports something`).not.toBe(0);
      }
    }
    expect(outcomes).toHaveLength(entries.length);
  });

  it("type-checks every entry's typings with no lib beyond what the README states", async () => {
    const require = createRequire(join(REPO, "package.json"));
    const tsc = join(dirname(require.resolve("typescript/package.json")), "bin", "tsc");
    const check = async (
      name: string,
      chosen: readonly Entry[],
      lib: readonly string[],
      types: readonly string[],
    ) => {
      writeFileSync(
        join(dir, `${name}.ts`),
        `${chosen.map((e, i) => `import * as m${i} from ${JSON.stringify(e.specifier)};`).join("\n")}\nexport const all = [${chosen.map((_, i) => `m${i}`).join(", ")}];\n`,
      );
      const compilerOptions = {
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        target: "ES2022",
        module: "NodeNext",
        moduleResolution: "NodeNext",
        lib,
        types,
        typeRoots: [join(REPO, "node_modules", "@types")],
      };
      writeFileSync(
        join(dir, `tsconfig.${name}.json`),
        JSON.stringify({ compilerOptions, files: [`${name}.ts`] }),
      );
      const checked = await run(process.execPath, [tsc, "-p", `tsconfig.${name}.json`, "--pretty", "false"], {
        cwd: dir,
        timeoutMs: 110_000,
      });
      expect(checked.stdout + checked.stderr, `${name}: ${chosen.map((e) => e.specifier).join(", ")}`).toBe(
        "",
      );
    };
    const base = ["ES2022", "ESNext.Disposable"];
    const inPackage = (name: string) => (e: Entry) =>
      e.specifier === name || e.specifier.startsWith(`${name}/`);
    const usesAbortSignal = inPackage("@npurt/callbacks");
    // What the root README states: ES2022 + ESNext.Disposable for all; @npurt/callbacks also
    // the global AbortSignal type (the DOM lib or @types/node); `./node` entries @types/node.
    const portable = entries.filter((e) => !e.nodeOnly && !NEEDS_PEER[e.specifier]);
    await Promise.all([
      check(
        "portable",
        portable.filter((e) => !usesAbortSignal(e)),
        base,
        [],
      ),
      check("abort-signal", portable.filter(usesAbortSignal), [...base, "DOM"], []),
      check(
        "node",
        entries.filter((e) => e.nodeOnly),
        base,
        ["node"],
      ),
    ]);
  });
});
