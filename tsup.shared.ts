import { defineConfig, type Options } from "tsup";

/**
 * The build every publishable npurt package uses: ESM with declarations and sourcemaps for
 * Node 20. `entry` names the files the package's `exports` map points at.
 */
export function npurtBuild(entry: string[], extra: Options = {}) {
  return defineConfig({
    entry,
    format: ["esm"],
    dts: true,
    sourcemap: true,
    clean: true,
    target: "node20",
    ...extra,
  });
}
