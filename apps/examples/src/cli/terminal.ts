import { styleText } from "node:util";

/** Where the showcase writes: a stream with `write`, and whether it is a terminal. */
export interface OutputStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** Text styles the showcase uses (a subset of `node:util`'s `styleText` formats). */
export type Style = "bold" | "dim" | "green" | "red" | "yellow" | "cyan";

/** A progress bar that counts up to a total. */
export interface Progress {
  /** Sets how many of the total are done. */
  update(done: number): void;
  /** Ends the bar (prints the final state once). */
  finish(): void;
}

/**
 * The showcase's view of its output: lines, optional styling, and a progress bar. On a terminal
 * the bar redraws one line in place; anywhere else (a pipe, a file, CI logs) it prints a plain
 * line at each quarter, and no ANSI code is ever written when the output is not a terminal or
 * `NO_COLOR` is set.
 */
export class Terminal {
  readonly #out: OutputStream;
  /** Whether styles are applied (a terminal, and `NO_COLOR` not set). */
  readonly colour: boolean;
  /** Whether the output is a terminal (the progress bar redraws in place). */
  readonly interactive: boolean;

  constructor(out: OutputStream, env: Readonly<Record<string, string | undefined>> = {}) {
    this.#out = out;
    this.interactive = out.isTTY === true && env.TERM !== "dumb";
    // https://no-color.org: any non-empty NO_COLOR disables colour.
    this.colour = this.interactive && !env.NO_COLOR;
  }

  /** Writes one line (empty by default). */
  line(text = ""): void {
    this.#out.write(`${text}\n`);
  }

  /** Writes each line of a block, indented. */
  block(text: string, indent = "  "): void {
    for (const l of text.replace(/\n$/, "").split("\n")) this.line(l === "" ? "" : `${indent}${l}`);
  }

  /** Writes `text` as a paragraph wrapped at `width` columns, indented. */
  paragraph(text: string, indent = "  ", width = 96): void {
    let line = "";
    for (const word of text.split(/\s+/).filter((w) => w !== "")) {
      if (line !== "" && indent.length + line.length + 1 + word.length > width) {
        this.line(`${indent}${line}`);
        line = word;
      } else line = line === "" ? word : `${line} ${word}`;
    }
    if (line !== "") this.line(`${indent}${line}`);
  }

  /** `text` in the given styles, or unchanged when colour is off. */
  style(styles: Style | readonly Style[], text: string): string {
    if (!this.colour) return text;
    // This class already decided (for its own stream, not process.stdout): don't let styleText
    // check process.stdout again (Node 20.20 does by default).
    return styleText(styles as Parameters<typeof styleText>[0], text, { validateStream: false });
  }

  /** Starts a progress bar for `total` steps, labelled `label`. */
  progress(label: string, total: number): Progress {
    const out = this.#out;
    const width = 30;
    let last = -1;
    let finished = false;
    const interactive = this.interactive;
    const draw = (done: number) => {
      const fraction = total > 0 ? Math.min(1, done / total) : 1;
      if (interactive) {
        const percent = Math.floor(fraction * 100);
        if (percent === last) return;
        last = percent;
        const filled = Math.round(fraction * width);
        const bar = `${"█".repeat(filled)}${"░".repeat(width - filled)}`;
        out.write(`\r  ${label} ${bar} ${String(percent).padStart(3)}% (${done}/${total})`);
      } else {
        // Plain lines at 0, 25, 50, 75 and 100 %: readable in a log, no carriage returns.
        const quarter = Math.floor(fraction * 4);
        if (quarter === last) return;
        last = quarter;
        out.write(`  ${label.trimEnd()}: ${done}/${total} (${quarter * 25}%)\n`);
      }
    };
    draw(0);
    return {
      update(done) {
        if (!finished) draw(done);
      },
      finish() {
        if (finished) return;
        draw(total);
        finished = true;
        if (interactive) out.write("\n");
      },
    };
  }
}
