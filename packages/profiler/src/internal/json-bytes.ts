// A writer of ASCII JSON straight into a reused byte buffer, for the Chrome trace of a million ops:
// building it from template strings cost about 4 s, most of it number-to-string conversions and
// the collector walking millions of short strings (issue 11's "write 1e6 ops ≤ 2 s" benchmark).
// Here numbers are written digit by digit and nothing is allocated per event.

const encoder = new TextEncoder();

/** ASCII (or any) text encoded once, for the fixed parts of every event. */
export function lit(text: string): Uint8Array {
  return encoder.encode(text);
}

const DOT = 46;
const MINUS = 45;
const ZERO = 48;

/**
 * Receives a full buffer; the bytes are only valid during the call (the buffer is reused). A
 * chunk always ends between two whole pieces, so it is valid UTF-8 on its own.
 */
export type ByteSink = (bytes: Uint8Array) => void;

/**
 * Appends bytes to a fixed buffer and hands it to a sink whenever it fills. Fields are plain
 * (TypeScript `private`, not `#`): this is the innermost loop of a million-op trace, and plain
 * properties measured faster there.
 */
export class JsonBytes {
  private readonly sink: ByteSink;
  private buf: Uint8Array;
  private pos = 0;

  constructor(sink: ByteSink, capacity = 1 << 20) {
    this.sink = sink;
    this.buf = new Uint8Array(Math.max(64, capacity));
  }

  /** Appends pre-encoded bytes. */
  bytes(b: Uint8Array): void {
    const n = b.length;
    if (this.pos + n > this.buf.length) this.make(n);
    this.buf.set(b, this.pos);
    this.pos += n;
  }

  /** Appends text (encoded now: for text that is not repeated). */
  text(s: string): void {
    this.bytes(encoder.encode(s));
  }

  /**
   * Appends a number as JSON. Safe integers are written digit by digit; anything else goes
   * through `String` (the same digits JSON.stringify prints).
   */
  num(n: number): void {
    if (!Number.isSafeInteger(n)) {
      this.text(Number.isFinite(n) ? String(n) : "null");
      return;
    }
    if (n < 0) {
      this.byte(MINUS);
      n = -n;
    }
    this.digits(n, 0);
  }

  /**
   * Appends `ns / 1000` (nanoseconds as Trace Event microseconds) exactly, without trailing zeros:
   * 1234567 → `1234.567`, 1234500 → `1234.5`, 1234000 → `1234`. A non-integer count of
   * nanoseconds (a wall clock's) is written as `String(ns / 1000)`.
   */
  micros(ns: number): void {
    if (!Number.isSafeInteger(ns)) {
      this.text(Number.isFinite(ns) ? String(ns / 1000) : "null");
      return;
    }
    if (ns < 0) {
      this.byte(MINUS);
      ns = -ns;
    }
    const whole = Math.floor(ns / 1000);
    const frac = ns - whole * 1000;
    this.digits(whole, 0);
    if (frac === 0) return;
    // At most ".ddd": written in place, trailing zeros dropped.
    if (this.pos + 4 > this.buf.length) this.make(4);
    const buf = this.buf;
    let p = this.pos;
    const d1 = (frac / 100) | 0;
    const d2 = ((frac / 10) | 0) - d1 * 10;
    const d3 = frac - ((frac / 10) | 0) * 10;
    buf[p++] = DOT;
    buf[p++] = ZERO + d1;
    if (d2 !== 0 || d3 !== 0) buf[p++] = ZERO + d2;
    if (d3 !== 0) buf[p++] = ZERO + d3;
    this.pos = p;
  }

  /** Hands what is buffered to the sink. */
  flush(): void {
    if (this.pos === 0) return;
    this.sink(this.buf.subarray(0, this.pos));
    this.pos = 0;
  }

  private byte(b: number): void {
    if (this.pos === this.buf.length) this.make(1);
    this.buf[this.pos++] = b;
  }

  /** Writes a non-negative safe integer, left-padded with zeros to `width` digits. */
  private digits(n: number, width: number): void {
    let len: number;
    if (n < 1e5) len = n < 100 ? (n < 10 ? 1 : 2) : n < 1000 ? 3 : n < 1e4 ? 4 : 5;
    else if (n < 1e9) len = n < 1e7 ? (n < 1e6 ? 6 : 7) : n < 1e8 ? 8 : 9;
    else {
      len = 10;
      for (let x = n / 1e10; x >= 1; x /= 10) len++;
    }
    if (len < width) len = width;
    if (this.pos + len > this.buf.length) this.make(len);
    const buf = this.buf;
    let p = this.pos + len;
    this.pos = p;
    const end = p - len;
    if (n <= 0x7fffffff) {
      // Int32 arithmetic: several times faster than Math.floor on doubles.
      let x = n | 0;
      do {
        const q = (x / 10) | 0;
        buf[--p] = ZERO + x - q * 10;
        x = q;
      } while (x > 0);
    } else {
      do {
        const q = Math.floor(n / 10);
        buf[--p] = ZERO + (n - q * 10);
        n = q;
      } while (n > 0);
    }
    while (p > end) buf[--p] = ZERO;
  }

  /** Makes room for `n` more bytes: flushes, and grows the buffer for a single huge piece. */
  private make(n: number): void {
    this.flush();
    if (n > this.buf.length) this.buf = new Uint8Array(n);
  }
}
