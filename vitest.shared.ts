import { defaultServerConditions } from "vite";
import { defineProject } from "vitest/config";

/**
 * Per-package vitest project. Workspace packages resolve through the "npurt-source" export
 * condition to their TypeScript sources, so tests need no build of their dependencies.
 */
export function npurtProject(
  name: string,
  extra: { include?: string[]; testTimeout?: number; globalSetup?: string } = {},
) {
  const conditions = ["npurt-source", ...defaultServerConditions];
  return defineProject({
    resolve: { conditions },
    ssr: { resolve: { conditions, externalConditions: ["npurt-source"] } },
    test: {
      name,
      include: extra.include ?? ["test/**/*.test.ts"],
      environment: "node",
      testTimeout: extra.testTimeout ?? 20_000,
      ...(extra.globalSetup === undefined ? {} : { globalSetup: extra.globalSetup }),
    },
  });
}
