import { describe, expect, it } from "vitest";
import { EXAMPLES } from "../src/catalog.js";
import { parseShowcaseArgs, UsageError } from "../src/cli/args.js";
import { Terminal } from "../src/cli/terminal.js";
import { hasAnsi, runShowcase } from "./capture.js";

describe("showcase command line", () => {
  it("--help lists every example with its summary and the options, and exits 0", async () => {
    const r = await runShowcase(["--help"]);
    expect(r.exitCode).toBe(0);
    for (const e of EXAMPLES) {
      expect(r.stdout).toContain(e.name);
      expect(r.stdout).toContain(e.summary);
    }
    expect(r.stdout).toContain("--requests");
    expect(r.results.size).toBe(0);
  });

  it("drops the `--` that `pnpm start -- --help` passes on", async () => {
    const r = await runShowcase(["--", "--help"]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("Usage:");
  });

  it("an unknown example name is an error naming it and the known ones, exit code 2", async () => {
    const r = await runShowcase(["lifecycle", "no-such-example"]);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toContain('unknown example "no-such-example"');
    expect(r.stderr).toContain(EXAMPLES.map((e) => e.name).join(", "));
    expect(r.stdout).toBe(""); // nothing ran
  });

  it("an unknown option or a bad number is an error with exit code 2", async () => {
    const unknown = await runShowcase(["--frobnicate"]);
    expect(unknown.exitCode).toBe(2);
    expect(unknown.stderr).toMatch(/frobnicate/);
    expect(unknown.stderr).toContain("--help");
    for (const bad of [
      ["--requests", "0"],
      ["--requests", "1.5"],
      ["--clients", "many"],
      ["--out", ""],
    ]) {
      const r = await runShowcase(["pipeline", ...bad]);
      expect(r.exitCode, bad.join(" ")).toBe(2);
      expect(r.stderr, bad.join(" ")).toContain(bad[0]!);
    }
  });

  it("parses sizes and the output directory", () => {
    const a = parseShowcaseArgs([
      "pipeline",
      "--requests",
      "10",
      "--clients",
      "5",
      "--streams",
      "2",
      "--out",
      "x",
    ]);
    expect(a).toEqual({
      help: false,
      names: ["pipeline"],
      outDir: "x",
      requests: 10,
      clients: 5,
      streams: 2,
    });
    expect(() => parseShowcaseArgs(["--streams"])).toThrow(UsageError);
  });

  it("runs one example by name: its title, its source file and what it measured", async () => {
    const r = await runShowcase(["lifecycle"]);
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain("Streams, events and the stream pool");
    expect(r.stdout).toContain("source: apps/examples/src/examples/stream-lifecycle.ts");
    expect(r.stdout).toContain("leak report at close: nothing left alive");
    expect([...r.results.keys()]).toEqual(["lifecycle"]);
    expect(r.stderr).toBe("");
  });

  it("every example's source files exist in the repository", async () => {
    const { existsSync } = await import("node:fs");
    const { resolve } = await import("node:path");
    const root = resolve(import.meta.dirname, "../../..");
    for (const e of EXAMPLES) for (const s of e.sources) expect(existsSync(resolve(root, s)), s).toBe(true);
  });
});

describe("showcase output", () => {
  it("writes no ANSI codes when the output is not a terminal, or when NO_COLOR is set", async () => {
    const piped = await runShowcase(["--help"], { isTTY: false });
    expect(hasAnsi(piped.stdout)).toBe(false);
    const noColor = await runShowcase(["--help"], { isTTY: true, env: { NO_COLOR: "1" } });
    expect(hasAnsi(noColor.stdout)).toBe(false);
    const tty = await runShowcase(["--help"], { isTTY: true });
    expect(hasAnsi(tty.stdout)).toBe(true);
  });

  it("the progress bar redraws one line on a terminal and prints plain quarter lines elsewhere", () => {
    const chunks: string[] = [];
    const plain = new Terminal({ write: (s: string) => chunks.push(s), isTTY: false });
    const bar = plain.progress("work", 8);
    for (let i = 1; i <= 8; i++) bar.update(i);
    bar.finish();
    expect(chunks).toEqual([
      "  work: 0/8 (0%)\n",
      "  work: 2/8 (25%)\n",
      "  work: 4/8 (50%)\n",
      "  work: 6/8 (75%)\n",
      "  work: 8/8 (100%)\n",
    ]);

    const drawn: string[] = [];
    const tty = new Terminal({ write: (s: string) => drawn.push(s), isTTY: true }, { NO_COLOR: "1" });
    const live = tty.progress("work", 4);
    for (let i = 1; i <= 4; i++) live.update(i);
    live.finish();
    expect(drawn.slice(0, -1).every((d) => d.startsWith("\r"))).toBe(true);
    expect(drawn.at(-2)).toContain("100% (4/4)");
    expect(drawn.at(-1)).toBe("\n");
    expect(drawn.some((d) => hasAnsi(d))).toBe(false);
  });
});

describe("output paths", () => {
  it("prints an --out directory outside the user's directory as an absolute path", async () => {
    const { mkdtempSync } = await import("node:fs");
    const { tmpdir } = await import("node:os");
    const { join } = await import("node:path");
    const elsewhere = join(mkdtempSync(join(tmpdir(), "npurt-out-")), "files");
    const r = await runShowcase([
      "pipeline",
      "--requests",
      "40",
      "--clients",
      "10",
      "--streams",
      "2",
      "--out",
      elsewhere,
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toContain(join(elsewhere, "trace.json"));
    expect(r.stdout).toContain(join(elsewhere, "timeline.html"));
    expect(r.stdout).toContain(join(elsewhere, "summary.txt"));
  });
});

describe("the whole showcase", () => {
  it("runs every example in order (a small pipeline), each with its numbered title, and exits 0", async () => {
    const r = await runShowcase(["--requests", "120", "--clients", "30", "--streams", "4"]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toBe("");
    expect([...r.results.keys()]).toEqual(EXAMPLES.map((e) => e.name));
    let at = 0;
    for (const [i, e] of EXAMPLES.entries()) {
      const header = `━━ ${i + 1}. ${e.title}`;
      const found = r.stdout.indexOf(header, at);
      expect(found, header).toBeGreaterThan(at - 1);
      at = found;
    }
    expect(r.stdout).toContain("npurt showcase");
    expect(r.stdout).toMatch(/Done: 8 examples in [\d.]+ s of wall time\./);
    expect(hasAnsi(r.stdout)).toBe(false);
  });
});
