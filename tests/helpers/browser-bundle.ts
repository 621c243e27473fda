// Bundles the pipeline (and the built packages it imports) for a browser page, with esbuild.
import { build } from "esbuild";

/** An IIFE that sets `globalThis.npurtPipeline = { runPipeline }`. */
export async function pipelineBundle(entry: string): Promise<string> {
  const out = await build({
    entryPoints: [entry],
    bundle: true,
    write: false,
    format: "iife",
    globalName: "npurtPipeline",
    platform: "browser",
    target: "es2022",
    logLevel: "silent",
  });
  return out.outputFiles[0]!.text;
}
