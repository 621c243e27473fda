import { defineConfig } from "vitest/config";

// The root run covers every workspace project; CI uses it for one merged coverage report.
export default defineConfig({
  test: {
    projects: ["packages/*", "apps/*", "tests"],
    coverage: {
      provider: "v8",
      include: ["packages/*/src/**/*.ts"],
      exclude: ["**/*.d.ts"],
      reporter: ["text-summary", "json-summary"],
      thresholds: {
        lines: 85,
        functions: 85,
        branches: 75,
        statements: 85,
        "packages/core/src/**": { lines: 90, functions: 90, branches: 80, statements: 90 },
      },
    },
  },
});
