// A writer of ASCII JSON straight into a reused byte buffer, for the Chrome trace of a million ops:
// building it from template strings cost about 4 s, most of it number-to-string conversions and
// the collector walking millions of short strings (issue 11's "write 1e6 ops ≤ 2 s" benchmark).
// Here numbers are written two digits at a time and nothing is allocated per event.

const encoder = new TextEncoder();

/** ASCII (or any) text encoded once, for the fixed parts of every event. */
export function lit(text: string): Uint8Array {
  return encoder.encode(text);
}

const DOT = 46;
const MINUS = 45;
const ZERO = 48;
/** Room for any safe integer (16 digits) with a sign and a 3-digit fraction. */
const NUMBER_ROOM = 24;
/** `"00"` … `"99"`: the digits of each pair, so a number takes half the divisions. */
const PAIRS = lit(Array.from({ length: 100 }, (_, i) => String(i).padStart(2, "0")).join(""));
const DUR = lit(',"dur":');
const CLOSE2 = lit("}}");
const CLOSE = 125;

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
    if (this.pos + NUMBER_ROOM > this.buf.length) this.make(NUMBER_ROOM);
    if (n < 0) {
      this.buf[this.pos++] = MINUS;
      n = -n;
    }
    this.digits(n);
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
    if (this.pos + NUMBER_ROOM > this.buf.length) this.make(NUMBER_ROOM);
    this.microsInPlace(ns);
  }

  /**
   * `head`, then `startNs` and `,"dur":` `durNs` as microseconds: the opening of a complete
   * event, the piece every slice of the trace starts with, in one call and one room check.
   */
  span(head: Uint8Array, startNs: number, durNs: number): void {
    const n = head.length;
    if (this.pos + n + 2 * NUMBER_ROOM + DUR.length > this.buf.length)
      this.make(n + 2 * NUMBER_ROOM + DUR.length);
    this.buf.set(head, this.pos);
    this.pos += n;
    if (Number.isSafeInteger(startNs)) this.microsInPlace(startNs);
    else this.micros(startNs);
    this.buf.set(DUR, this.pos);
    this.pos += DUR.length;
    if (Number.isSafeInteger(durNs)) this.microsInPlace(durNs);
    else this.micros(durNs);
  }

  /**
   * `head`, `timeNs` as microseconds, `args` and `value`, then `}}`: a counter sample such as
   * `{"ph":"C","pid":1,"ts":12.5,"name":"queue","args":{"depth":3}}`, in one call.
   */
  sample(head: Uint8Array, timeNs: number, args: Uint8Array, value: number): void {
    const room = head.length + args.length + 2 * NUMBER_ROOM + 2;
    if (!Number.isSafeInteger(timeNs) || !Number.isSafeInteger(value) || this.pos + room > this.buf.length) {
      // The rare case (a wall clock's fractional time, a buffer nearly full): piece by piece.
      this.bytes(head);
      this.micros(timeNs);
      this.bytes(args);
      this.num(value);
      this.bytes(CLOSE2);
      return;
    }
    const buf = this.buf;
    buf.set(head, this.pos);
    this.pos += head.length;
    this.microsInPlace(timeNs);
    buf.set(args, this.pos);
    this.pos += args.length;
    if (value < 0) {
      buf[this.pos++] = MINUS;
      value = -value;
    }
    this.digits(value);
    // "}}" by hand: two bytes cost less than a set() call.
    buf[this.pos++] = CLOSE;
    buf[this.pos++] = CLOSE;
  }

  /** Hands what is buffered to the sink. */
  flush(): void {
    if (this.pos === 0) return;
    this.sink(this.buf.subarray(0, this.pos));
    this.pos = 0;
  }

  /** {@link micros} of a safe integer, with {@link NUMBER_ROOM} bytes free. */
  private microsInPlace(ns: number): void {
    if (ns < 0) {
      this.buf[this.pos++] = MINUS;
      ns = -ns;
    }
    const whole = Math.floor(ns / 1000);
    const frac = ns - whole * 1000;
    this.digits(whole);
    if (frac === 0) return;
    // At most ".ddd", trailing zeros dropped.
    const buf = this.buf;
    let p = this.pos;
    const d1 = (frac / 100) | 0;
    const rest = frac - d1 * 100;
    buf[p++] = DOT;
    buf[p++] = ZERO + d1;
    if (rest !== 0) {
      const d2 = (rest / 10) | 0;
      const d3 = rest - d2 * 10;
      buf[p++] = ZERO + d2;
      if (d3 !== 0) buf[p++] = ZERO + d3;
    }
    this.pos = p;
  }

  /** Writes a non-negative safe integer; the caller made room for it. */
  private digits(n: number): void {
    let len: number;
    if (n < 1e5) len = n < 100 ? (n < 10 ? 1 : 2) : n < 1000 ? 3 : n < 1e4 ? 4 : 5;
    else if (n < 1e9) len = n < 1e7 ? (n < 1e6 ? 6 : 7) : n < 1e8 ? 8 : 9;
    else {
      len = 10;
      for (let x = n / 1e10; x >= 1; x /= 10) len++;
    }
    const buf = this.buf;
    let p = this.pos + len;
    this.pos = p;
    let x = n;
    // Above int32, peel the low digits off with doubles until int32 arithmetic (several times
    // faster than Math.floor) can take over.
    while (x > 0x7fffffff) {
      const q = Math.floor(x / 100);
      const r = (x - q * 100) * 2;
      buf[--p] = PAIRS[r + 1]!;
      buf[--p] = PAIRS[r]!;
      x = q;
    }
    let i = x | 0;
    while (i >= 100) {
      const q = (i / 100) | 0;
      const r = (i - q * 100) * 2;
      buf[--p] = PAIRS[r + 1]!;
      buf[--p] = PAIRS[r]!;
      i = q;
    }
    if (i >= 10) {
      buf[--p] = PAIRS[i * 2 + 1]!;
      buf[--p] = PAIRS[i * 2]!;
    } else buf[--p] = ZERO + i;
  }

  /** Makes room for `n` more bytes: flushes, and grows the buffer for a single huge piece. */
  private make(n: number): void {
    this.flush();
    if (n > this.buf.length) this.buf = new Uint8Array(n);
  }
}
