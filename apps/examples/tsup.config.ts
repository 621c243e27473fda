import { defineConfig } from "tsup";

export default defineConfig({
  entry: ["src/showcase.ts"],
  format: ["esm"],
  dts: false,
  sourcemap: true,
  clean: true,
  target: "node20",
});
