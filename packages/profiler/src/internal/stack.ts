// Frames of npurt's own packages say nothing about where the user created a resource; dropping
// them leaves the user's call site on top.
const OWN_FRAME = /[\\/](?:@npurt|packages)[\\/](?:core|streams|callbacks|profiler|device-sim)[\\/]|node:internal/;

/** The current call stack without its first line and without npurt's own frames. */
export function captureStack(): string {
  const stack = new Error().stack ?? "";
  return stack
    .split("\n")
    .slice(1)
    .filter((line) => !OWN_FRAME.test(line))
    .map((line) => line.trim())
    .join("\n");
}
