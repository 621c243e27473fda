// vitest global setup of the repository checks: they run the built packages, as a user gets
// them, so build first. turbo caches the build, so this is a no-op when dist is up to date (in
// CI the build step ran just before).
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { REPO } from "./repo.ts";

export default function setup(): void {
  const require = createRequire(join(REPO, "package.json"));
  const pkg = require.resolve("turbo/package.json");
  const { bin } = require(pkg) as { bin: string | Record<string, string> };
  const turbo = join(dirname(pkg), typeof bin === "string" ? bin : bin.turbo!);
  execFileSync(process.execPath, [turbo, "run", "build", "--output-logs=errors-only"], {
    cwd: REPO,
    stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, TURBO_TELEMETRY_DISABLED: "1", DO_NOT_TRACK: "1" },
  });
}
