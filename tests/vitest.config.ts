import { npurtProject } from "../vitest.shared.ts";

// These checks run the built packages (as a user gets them), so the setup builds them first
// (turbo: a cached no-op when they are up to date).
export default npurtProject("repo", {
  include: ["*.test.ts"],
  testTimeout: 120_000,
  globalSetup: "./helpers/build.ts",
});
