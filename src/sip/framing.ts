// Cuts a SIP-over-TCP byte stream into messages (RFC 3261 §18.3) and recognises the
// RFC 5626 keep-alives phones send on idle connections. TCP delivers arbitrary pieces: one
// message may arrive in many segments and one segment may carry several messages. Limits on
// the header block and body keep a hostile peer from making Outpost buffer without end; any
// error is final, and the transport is expected to close the connection.

import { type Result, ok, err } from '../util/result.js';
import { type SipHead, type SipMessage, decodeHead, declaredContentLength, findHeaderEnd } from './message.js';

export type FramedItem =
  /** A complete message and the exact bytes it was cut from. */
  | { kind: 'message'; message: SipMessage; bytes: Buffer }
  /** Double CRLF: the peer checks the connection; answer with a single CRLF (the pong). */
  | { kind: 'ping' }
  /** Single CRLF between messages: the peer's answer to our ping. */
  | { kind: 'pong' };

export interface FramerLimits {
  /** Largest header block (start line to the empty line) accepted. */
  maxHeaderBytes: number;
  /** Largest Content-Length accepted. */
  maxBodyBytes: number;
}

export const DEFAULT_FRAMER_LIMITS: FramerLimits = { maxHeaderBytes: 64 * 1024, maxBodyBytes: 1024 * 1024 };

/** A growable byte queue: appends are amortised O(1), so many tiny segments stay cheap. */
class ByteQueue {
  private data = Buffer.alloc(4096);
  private start = 0;
  private end = 0;

  get length(): number { return this.end - this.start; }

  append(chunk: Buffer): void {
    if (this.end + chunk.length > this.data.length) {
      const needed = this.length + chunk.length;
      if (needed <= this.data.length / 2) {
        this.data.copy(this.data, 0, this.start, this.end);
      } else {
        let size = this.data.length;
        while (size < needed * 2) size *= 2;
        const bigger = Buffer.alloc(size);
        this.data.copy(bigger, 0, this.start, this.end);
        this.data = bigger;
      }
      this.end -= this.start;
      this.start = 0;
    }
    chunk.copy(this.data, this.end);
    this.end += chunk.length;
  }

  view(): Buffer { return this.data.subarray(this.start, this.end); }

  byte(i: number): number | undefined { return i < this.length ? this.data[this.start + i] : undefined; }

  /** Removes n bytes from the front and returns a copy of them. */
  take(n: number): Buffer {
    const out = Buffer.from(this.data.subarray(this.start, this.start + n));
    this.consume(n);
    return out;
  }

  consume(n: number): void {
    this.start += n;
    if (this.start === this.end) { this.start = 0; this.end = 0; }
  }
}

const CR = 0x0d;
const LF = 0x0a;

export class SipStreamFramer {
  private readonly queue = new ByteQueue();
  private readonly limits: FramerLimits;
  /** Parsed head of the message whose body is still arriving. */
  private pending: { head: SipHead; headerBytes: number; bodyBytes: number } | undefined;
  /** Where the search for the end of the header block resumes (avoids rescanning). */
  private scanFrom = 0;
  /** The previous item was a lone CRLF: a CRLF right after it completes a split ping. */
  private afterLoneCrlf = false;
  private failure: string | undefined;

  constructor(limits: Partial<FramerLimits> = {}) {
    this.limits = { ...DEFAULT_FRAMER_LIMITS, ...limits };
  }

  /** Bytes received but not yet part of a complete item. */
  get buffered(): number { return this.queue.length; }

  /** The error that stopped the framer, if any. */
  get error(): string | undefined { return this.failure; }

  /**
   * Feeds the next piece of the stream; returns the items it completed, in order. After an
   * error every call returns that error again: the stream cannot be resynchronised.
   */
  push(chunk: Buffer): Result<FramedItem>[] {
    if (this.failure !== undefined) return [err(this.failure)];
    this.queue.append(chunk);
    const out: Result<FramedItem>[] = [];
    while (true) {
      const item = this.next();
      if (item === undefined) break;
      out.push(item);
      if (!item.ok) {
        this.failure = item.error;
        break;
      }
    }
    return out;
  }

  private next(): Result<FramedItem> | undefined {
    if (this.pending) return this.completeBody();
    if (this.queue.length === 0) return undefined;
    if (this.queue.byte(0) === CR || this.queue.byte(0) === LF) return this.keepAlive();
    this.afterLoneCrlf = false;
    const view = this.queue.view();
    const headerEnd = findHeaderEnd(view, Math.max(0, this.scanFrom - 2));
    if (headerEnd < 0) {
      this.scanFrom = view.length;
      if (view.length > this.limits.maxHeaderBytes) return err(`SIP header block larger than ${this.limits.maxHeaderBytes} bytes`);
      return undefined;
    }
    this.scanFrom = 0;
    if (headerEnd > this.limits.maxHeaderBytes) return err(`SIP header block larger than ${this.limits.maxHeaderBytes} bytes`);
    const head = decodeHead(view.subarray(0, headerEnd));
    if (!head.ok) return head;
    const declared = declaredContentLength(head.value.headers);
    if (!declared.ok) return declared;
    // Over a stream Content-Length is mandatory; its absence can only mean "no body".
    const bodyBytes = declared.value ?? 0;
    if (bodyBytes > this.limits.maxBodyBytes) return err(`SIP body of ${bodyBytes} bytes exceeds ${this.limits.maxBodyBytes}`);
    this.pending = { head: head.value, headerBytes: headerEnd, bodyBytes };
    return this.completeBody();
  }

  private completeBody(): Result<FramedItem> | undefined {
    const p = this.pending;
    if (!p || this.queue.length < p.headerBytes + p.bodyBytes) return undefined;
    this.pending = undefined;
    const bytes = this.queue.take(p.headerBytes + p.bodyBytes);
    const body = Buffer.from(bytes.subarray(p.headerBytes));
    return ok({ kind: 'message', message: { ...p.head, body } as SipMessage, bytes });
  }

  /**
   * Line ends between messages: CRLFCRLF is a ping, a lone CRLF a pong. A ping split after its
   * first CRLF is first reported as a pong, then as a ping when the second CRLF arrives, so
   * the transport still answers it and never waits on a timer.
   */
  private keepAlive(): Result<FramedItem> | undefined {
    const q = this.queue;
    // A stray LF is noise a lenient peer may send between messages; drop it.
    while (q.byte(0) === LF) q.consume(1);
    if (q.length === 0) return undefined;
    if (q.byte(0) !== CR) return this.next();
    if (q.length < 2) return undefined;
    if (q.byte(1) !== LF) return err('CR not followed by LF between SIP messages');
    if (q.byte(2) === CR) {
      if (q.length < 4) return undefined; // maybe CRLFCRLF: wait for one more byte
      if (q.byte(3) === LF) {
        q.consume(4);
        this.afterLoneCrlf = false;
        return ok({ kind: 'ping' });
      }
    }
    q.consume(2);
    if (this.afterLoneCrlf) {
      this.afterLoneCrlf = false;
      return ok({ kind: 'ping' });
    }
    this.afterLoneCrlf = true;
    return ok({ kind: 'pong' });
  }
}
