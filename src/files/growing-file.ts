// A file whose bytes are still arriving from CUCM. Every phone waiting for the same file reads
// from one GrowingFile: each read returns as soon as its bytes exist, so fifty phones asking
// for one load share one upstream fetch and all start receiving at once.
import type { FileSource } from './tftp/block-reader.js';

export class GrowingFile implements FileSource {
  size: number | undefined;
  private buf: Buffer;
  private length = 0;
  private done = false;
  private failure: Error | undefined;
  private waiters: Array<() => void> = [];

  constructor(expectedSize?: number) {
    this.size = expectedSize;
    this.buf = Buffer.allocUnsafe(Math.max(expectedSize ?? 0, 64 * 1024));
  }

  get received(): number {
    return this.length;
  }

  get complete(): boolean {
    return this.done;
  }

  /** Announces the size once the upstream tells it (tsize, Content-Length). */
  expect(size: number): void {
    this.size = size;
    if (size > this.buf.length) this.grow(size);
  }

  append(chunk: Buffer): void {
    if (this.done || this.failure) return;
    if (this.length + chunk.length > this.buf.length) this.grow(Math.max(this.buf.length * 2, this.length + chunk.length));
    chunk.copy(this.buf, this.length);
    this.length += chunk.length;
    this.wake();
  }

  /** All bytes are here; returns them (the buffer stays shared with readers). */
  finish(): Buffer {
    this.done = true;
    this.size = this.length;
    this.wake();
    return this.buf.subarray(0, this.length);
  }

  /** The upstream failed mid-file: every waiting read rejects, so each transfer ends with an error. */
  fail(error: Error): void {
    if (this.done) return;
    this.failure = error;
    this.wake();
  }

  async read(offset: number, length: number): Promise<Buffer> {
    for (;;) {
      if (this.failure) throw this.failure;
      const here = this.peek(offset, length);
      if (here) return here;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  peek(offset: number, length: number): Buffer | undefined {
    if (this.failure || (this.length < offset + length && !this.done)) return undefined;
    // Readers keep their slice even if the buffer is replaced by a larger one later.
    return this.buf.subarray(Math.min(offset, this.length), Math.min(offset + length, this.length));
  }

  private grow(capacity: number): void {
    const bigger = Buffer.allocUnsafe(capacity);
    this.buf.copy(bigger, 0, 0, this.length);
    this.buf = bigger;
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}

/** A complete file in memory as a source. */
export function bufferSource(data: Buffer): FileSource {
  return {
    size: data.length,
    read: async (offset, length) => data.subarray(offset, offset + length),
    peek: (offset, length) => data.subarray(offset, offset + length),
    bytes: data,
  };
}
