import { closeSync, openSync, writeSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { NpuTypeError } from "@npurt/core";
import { type ChromeTraceOptions, checkRecording, encodeChromeTrace } from "../chrome-trace.js";
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
  // Synchronous writes of 1 MiB byte chunks: memory stays bounded (a write stream would queue
  // the whole trace, since the encoder never yields), no string is built, and the file is
  // complete when this resolves.
  const fd = openSync(path, "w");
  try {
    encodeChromeTrace(recording, (bytes) => writeFully(fd, bytes), options);
  } finally {
    closeSync(fd);
  }
}

/** `writeSync` may write less than asked (a pipe, a full disk's last blocks): loop until done. */
function writeFully(fd: number, bytes: Uint8Array): void {
  let done = 0;
  while (done < bytes.length) done += writeSync(fd, bytes, done);
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
