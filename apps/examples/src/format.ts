/** Formats nanoseconds of virtual time as milliseconds with two decimals. */
export function ms(ns: number): string {
  return `${(ns / 1e6).toFixed(2)} ms`;
}

/** Formats nanoseconds as microseconds with one decimal. */
export function us(ns: number): string {
  return `${(ns / 1e3).toFixed(1)} µs`;
}

/** Formats a fraction (0 … 1) as a whole percentage. */
export function pct(fraction: number): string {
  return `${Math.round(fraction * 100)}%`;
}

/** Formats bytes as MiB with one decimal. */
export function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
}

/** Formats a byte size in the largest binary unit that divides it (B, KiB, MiB, GiB). */
export function size(bytes: number): string {
  const units = ["B", "KiB", "MiB", "GiB"];
  let n = bytes;
  let u = 0;
  while (u < units.length - 1 && n >= 1024 && n % 1024 === 0) {
    n /= 1024;
    u++;
  }
  return `${n} ${units[u]}`;
}

/** Renders rows as an aligned text table (no trailing spaces). */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join("\n");
}
