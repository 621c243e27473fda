import { readFileSync } from "node:fs";
import { ERROR_CODES } from "@npurt/core";
import { expect, it } from "vitest";

// Codes are public API: the table in core's README must list exactly the codes core defines.
it("core's README documents every error code, with its CANN and CUDA counterparts", () => {
  const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
  const rows = new Map<string, string[]>();
  for (const line of readme.split("\n")) {
    const m = /^\|\s*`([A-Z_]+)`\s*\|(.*)\|\s*$/.exec(line);
    if (m)
      rows.set(
        m[1]!,
        m[2]!.split("|").map((c) => c.trim()),
      );
  }
  expect([...rows.keys()].sort()).toEqual(Object.keys(ERROR_CODES).sort());
  for (const [code, info] of Object.entries(ERROR_CODES)) {
    const [cann, cuda] = rows.get(code)!;
    expect(cann, code).toBe(info.cann === null ? "—" : String(info.cann));
    expect(cuda, code).toBe(info.cuda === null ? "—" : String(info.cuda));
  }
});
