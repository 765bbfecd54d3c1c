// Cuts a TCP byte stream into whole SCCP messages, however the stream was split into or
// coalesced across segments. Pure state, no I/O. A length that cannot be a real message
// (below 4, above the limit) poisons the stream: the connection owner closes it.
import { LENGTH_EXCLUDES } from './codec.js';

/** Larger than any message a phone or CUCM sends (EnhancedAlarm and XML data run to ~2 KB). */
export const MAX_MESSAGE_LENGTH = 16_384;

export type FrameOutcome = { ok: true; message: Buffer } | { ok: false; error: string };

export class SccpFramer {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private failed: string | undefined;

  constructor(private readonly maxLength = MAX_MESSAGE_LENGTH) {}

  /** Bytes held waiting for the rest of a message. */
  get pending(): number {
    return this.buffered;
  }

  /** Set once the stream carried a length no message can have. */
  get error(): string | undefined {
    return this.failed;
  }

  /** Adds received bytes; returns every message they complete, then an error if the stream went bad. */
  push(chunk: Buffer): FrameOutcome[] {
    if (this.failed) return [];
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
    const out: FrameOutcome[] = [];
    while (this.buffered >= LENGTH_EXCLUDES) {
      const head = this.peek(4);
      const length = head.readUInt32LE(0);
      if (length < 4 || length > this.maxLength) {
        this.failed = `message length ${length} outside 4..${this.maxLength}`;
        this.reset();
        out.push({ ok: false, error: this.failed });
        break;
      }
      if (this.buffered < LENGTH_EXCLUDES + length) break;
      out.push({ ok: true, message: this.consume(LENGTH_EXCLUDES + length) });
    }
    return out;
  }

  /** Forgets any partial message (a gap in a captured stream). */
  reset(): void {
    this.chunks = [];
    this.buffered = 0;
  }

  private peek(n: number): Buffer {
    if (this.chunks[0].length >= n) return this.chunks[0];
    this.chunks = [Buffer.concat(this.chunks)];
    return this.chunks[0];
  }

  private consume(n: number): Buffer {
    const all = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    const out = Buffer.from(all.subarray(0, n));
    const rest = all.subarray(n);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return out;
  }
}
