// Finds Debian's Chromium for the browser tests, installing it when missing and allowed (root
// with apt-get); otherwise returns the reason the tests skip.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync } from "node:fs";

const PATH = "/usr/bin/chromium";

/** Flags for a headless Chromium on a machine with a closed network (no background calls). */
export const CHROMIUM_ARGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** The Chromium executable, or a reason why there is none. */
export function findChromium(): { path: string } | { skip: string } {
  if (existsSync(PATH)) return { path: PATH };
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  const apt = spawnSync("sh", ["-c", "command -v apt-get"], { encoding: "utf8" }).status === 0;
  if (!root || !apt)
    return {
      skip: `chromium is not installed at ${PATH} and cannot be installed here (needs root and apt-get)`,
    };
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
    execFileSync("apt-get", ["update", "-qq"], { stdio: "ignore", env });
    execFileSync("apt-get", ["install", "-y", "-qq", "chromium"], { stdio: "ignore", env });
  } catch (error) {
    return { skip: `installing chromium failed: ${(error as Error).message}` };
  }
  return existsSync(PATH) ? { path: PATH } : { skip: `apt-get installed chromium but ${PATH} is missing` };
}
