import { closeSync, openSync, writeSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { NpuTypeError } from "@npurt/core";
import { type ChromeTraceOptions, checkRecording, writeChromeTrace } from "../chrome-trace.js";
import { type HtmlTimelineOptions, toHtmlTimeline } from "../html-timeline.js";
import type { Recording } from "../recording.js";

/**
 * Writes the recording's Chrome Trace Event JSON to `path` (creating its folder), streaming the
 * chunks so a million-op trace never becomes one string. Resolves once the file is complete.
 */
export async function writeTraceFile(
  path: string,
  recording: Recording,
  options?: ChromeTraceOptions,
): Promise<void> {
  if (typeof path !== "string" || path === "") throw new NpuTypeError("path must be a non-empty string");
  checkRecording(recording);
  await mkdir(dirname(path), { recursive: true });
  // Synchronous writes of 64 KiB chunks: memory stays bounded (a write stream would queue the
  // whole trace, since the writer never yields), and the file is complete when this resolves.
  const fd = openSync(path, "w");
  try {
    writeChromeTrace(recording, (chunk) => writeSync(fd, chunk), options);
  } finally {
    closeSync(fd);
  }
}

/** Writes the self-contained HTML timeline to `path` (creating its folder). */
export async function writeHtmlTimelineFile(
  path: string,
  recording: Recording,
  options?: HtmlTimelineOptions,
): Promise<void> {
  if (typeof path !== "string" || path === "") throw new NpuTypeError("path must be a non-empty string");
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, toHtmlTimeline(recording, options));
}
