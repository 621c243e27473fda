import { NpuError } from "@npurt/core";

/** Bytes per backing page: device memory costs host memory one page at a time, on first write. */
export const PAGE_BYTES = 64 * 1024;

/**
 * The contents of every device's memory, backed lazily: a page gets a host `Uint8Array` only
 * when something writes to it, and unwritten memory reads as zeros. So a 64 GiB device costs
 * nothing until a program writes into it.
 */
export class PagedMemory {
  readonly #pages = new Map<number, Uint8Array>();
  readonly #maxPages: number;

  /** @param maxBytes - host bytes the pages may take; backing past it throws a coded error. */
  constructor(maxBytes: number) {
    this.#maxPages = Math.floor(maxBytes / PAGE_BYTES);
  }

  /** Pages currently backed by host memory. */
  get backedPages(): number {
    return this.#pages.size;
  }

  /**
   * Calls `chunk` for each piece of `[address, address + length)` that lies in one page:
   * the page index, the offset in the page, the offset in the range, and the piece's length.
   */
  #walk(
    address: number,
    length: number,
    chunk: (index: number, offset: number, done: number, n: number) => void,
  ): void {
    let done = 0;
    while (done < length) {
      const at = address + done;
      const index = Math.floor(at / PAGE_BYTES);
      const offset = at - index * PAGE_BYTES;
      const n = Math.min(length - done, PAGE_BYTES - offset);
      chunk(index, offset, done, n);
      done += n;
    }
  }

  /** Copies `length` bytes from `address` into `out`. */
  readInto(address: number, length: number, out: Uint8Array): void {
    this.#walk(address, length, (index, offset, done, n) => {
      const page = this.#pages.get(index);
      if (page === undefined) out.fill(0, done, done + n);
      else out.set(page.subarray(offset, offset + n), done);
    });
  }

  /** A fresh copy of `length` bytes at `address`. */
  read(address: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    this.readInto(address, length, out);
    return out;
  }

  /** Writes `data` at `address`, backing the pages it touches. */
  write(address: number, data: Uint8Array): void {
    this.#walk(address, data.length, (index, offset, done, n) => {
      this.page(index).set(data.subarray(done, done + n), offset);
    });
  }

  /**
   * Copies `length` bytes from `src` to `dst` (which may overlap) a page at a time, so a
   * gigabyte device-to-device copy needs no gigabyte of scratch host memory, and copying
   * unwritten memory backs no destination page.
   */
  move(src: number, dst: number, length: number): void {
    const backwards = dst > src && dst < src + length;
    const chunks = Math.ceil(length / PAGE_BYTES);
    const scratch = new Uint8Array(Math.min(length, PAGE_BYTES));
    for (let k = 0; k < chunks; k++) {
      const i = backwards ? chunks - 1 - k : k;
      const done = i * PAGE_BYTES;
      const n = Math.min(PAGE_BYTES, length - done);
      if (this.#unbacked(src + done, n)) {
        // Unwritten source reads as zeros: zeroing the destination backs no new page.
        this.fill(dst + done, n, 0);
        continue;
      }
      const piece = n === scratch.length ? scratch : scratch.subarray(0, n);
      this.readInto(src + done, n, piece);
      this.write(dst + done, piece);
    }
  }

  /** Whether no page of `[address, address + length)` is backed. */
  #unbacked(address: number, length: number): boolean {
    const last = Math.floor((address + length - 1) / PAGE_BYTES);
    for (let index = Math.floor(address / PAGE_BYTES); index <= last; index++) {
      if (this.#pages.has(index)) return false;
    }
    return true;
  }

  /** Sets `length` bytes at `address` to `value`; zero-filling unbacked pages backs nothing. */
  fill(address: number, length: number, value: number): void {
    this.#walk(address, length, (index, offset, _done, n) => {
      if (value !== 0 || this.#pages.has(index)) this.page(index).fill(value, offset, offset + n);
    });
  }

  /**
   * A `Float32Array` viewing `[address, address + length)` directly, when the range lies in one
   * page and is 4-byte aligned; `undefined` otherwise (the caller then works on a copy).
   * `back` decides whether an unbacked page is backed (for writes) or a zero copy returned.
   */
  directView(address: number, length: number, back: boolean): Float32Array | undefined {
    const index = Math.floor(address / PAGE_BYTES);
    const offset = address - index * PAGE_BYTES;
    if (offset + length > PAGE_BYTES || address % 4 !== 0) return undefined;
    let page = this.#pages.get(index);
    if (page === undefined) {
      if (!back) return new Float32Array(length / 4);
      page = this.page(index);
    }
    return new Float32Array(page.buffer, page.byteOffset + offset, length / 4);
  }

  /** Drops the pages that lie wholly inside `[address, address + length)`. */
  discard(address: number, length: number): void {
    const first = Math.ceil(address / PAGE_BYTES);
    const end = Math.floor((address + length) / PAGE_BYTES);
    if (end - first > this.#pages.size) {
      for (const index of this.#pages.keys()) if (index >= first && index < end) this.#pages.delete(index);
    } else {
      for (let index = first; index < end; index++) this.#pages.delete(index);
    }
  }

  /** Releases every page. */
  clear(): void {
    this.#pages.clear();
  }

  page(index: number): Uint8Array {
    let page = this.#pages.get(index);
    if (page === undefined) {
      if (this.#pages.size >= this.#maxPages) {
        throw new NpuError(
          "FEATURE_NOT_SUPPORTED",
          `device memory backed by host memory would pass the simulator's limit of ` +
            `${this.#maxPages * PAGE_BYTES} bytes (config.maxHostBackedBytes)`,
        );
      }
      page = new Uint8Array(PAGE_BYTES);
      this.#pages.set(index, page);
    }
    return page;
  }
}
