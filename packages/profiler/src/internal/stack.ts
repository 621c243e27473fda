// Frames of npurt's own packages say nothing about where the user created a resource; dropping
// them leaves the user's call site on top.
const OWN_FRAME =
  /[\\/]packages[\\/](?:core|streams|callbacks|profiler|device-sim)[\\/]src[\\/]|[\\/]@npurt[\\/][a-z-]+[\\/](?:dist|src)[\\/]|node:internal/;

/** The current call stack without its first line and without npurt's own frames. */
export function captureStack(): string {
  // npurt's own frames come first and can fill V8's default of 10; take enough to reach the user.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 64;
  const stack = new Error().stack ?? "";
  Error.stackTraceLimit = limit;
  return stack
    .split("\n")
    .slice(1)
    .filter((line) => !OWN_FRAME.test(line))
    .map((line) => line.trim())
    .join("\n");
}
