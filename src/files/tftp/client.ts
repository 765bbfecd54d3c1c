// TFTP client the cache uses to fetch a miss from the central CUCM's TFTP. Data is handed
// to onData as each block arrives so phones waiting on the same file can be served while
// the fetch is still running.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { decodeTftp, encodeTftp, TftpErrorCode, type TftpOption, type TftpPacket } from './codec.js';
import { acceptOack, PLAIN, requestOptions, type Negotiated } from './client-options.js';

export type { Negotiated } from './client-options.js';

export interface FetchTftpOptions {
  host: string;
  port?: number;
  filename: string;
  /** Block size to ask for (RFC 2348); the server may answer less. */
  blksize?: number;
  /** Window to ask for (RFC 7440); servers without it fall back to lockstep. */
  windowsize?: number;
  /** Ask for the file size up front (RFC 2349). */
  tsize?: boolean;
  /** Retransmission timeout; default 2000 ms. Announced to the server rounded to whole seconds. */
  timeoutMs?: number;
  /** Retransmissions without progress before giving up; default 5. */
  retries?: number;
  /** Receives each new block in order. When given, the result carries no `data`. */
  onData?: (chunk: Buffer, offset: number) => void;
  /** Called once the server answers (OACK or first DATA), with the size when it announced one. */
  onStart?: (size: number | undefined) => void;
  /**
   * Ask only for the size (with tsize): end the transfer after the OACK and return the size
   * the server announced. A server that ignores options sends the whole file instead.
   */
  sizeOnly?: boolean;
  signal?: AbortSignal;
}

export type FetchTftpResult =
  /** `recoveries`: how often a lost or repeated block, or silence, made the client ask again. */
  | { ok: true; size: number; data?: Buffer; negotiated: Negotiated; recoveries: number }
  | { ok: false; code?: number; error: string };

/** What one attempt ended with; 'plain' asks fetchTftp to retry without options. */
type AttemptEnd = FetchTftpResult | { ok: 'plain'; reason: string };

const BLOCK_SPACE = 0x10000;

export async function fetchTftp(opts: FetchTftpOptions): Promise<FetchTftpResult> {
  if (opts.signal?.aborted) return { ok: false, error: 'aborted' };
  let serverAddress: string;
  try {
    serverAddress = isIP(opts.host) ? opts.host : (await lookup(opts.host)).address;
  } catch (e) {
    return { ok: false, error: `cannot resolve ${opts.host}: ${e instanceof Error ? e.message : String(e)}` };
  }
  const timeoutMs = opts.timeoutMs ?? 2000;
  const options = requestOptions({ blksize: opts.blksize, windowsize: opts.windowsize, tsize: opts.tsize, timeoutMs });
  const first = await new FetchAttempt(opts, serverAddress, options, timeoutMs).run();
  if (first.ok !== 'plain') return first;
  // The server refused our options (ERROR 8) or sent an OACK we could not accept:
  // ask again as a plain RFC 1350 client, which every TFTP server understands.
  const second = await new FetchAttempt(opts, serverAddress, [], timeoutMs).run();
  return second.ok === 'plain' ? { ok: false, error: `option negotiation failed: ${second.reason}` } : second;
}

class FetchAttempt {
  private socket: Socket | undefined;
  private serverPort: number | undefined;
  private params: Negotiated = PLAIN;
  /** Absolute number of the next block expected (block numbers roll over on the wire). */
  private expected = 1;
  private offset = 0;
  private sinceAck = 0;
  private reacked = false;
  private recoveries = 0;
  private retriesLeft: number;
  private timer: NodeJS.Timeout | undefined;
  private readonly chunks: Buffer[] = [];
  private settle: ((end: AttemptEnd) => void) | undefined;
  private readonly rrq: Buffer;
  private readonly onAbort = () => this.fail({ ok: false, error: 'aborted' }, 'transfer aborted');

  constructor(
    private readonly opts: FetchTftpOptions,
    private readonly serverAddress: string,
    private readonly options: TftpOption[],
    private readonly timeoutMs: number,
  ) {
    this.retriesLeft = opts.retries ?? 5;
    this.rrq = encodeTftp({ op: 'rrq', filename: opts.filename, mode: 'octet', options });
  }

  run(): Promise<AttemptEnd> {
    return new Promise((resolve) => {
      this.settle = resolve;
      const socket = createSocket(isIP(this.serverAddress) === 6 ? 'udp6' : 'udp4');
      this.socket = socket;
      socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
      socket.on('error', (e) => this.end({ ok: false, error: `socket error: ${e.message}` }));
      this.opts.signal?.addEventListener('abort', this.onAbort, { once: true });
      socket.bind(0, () => {
        // A whole window arrives at once: the kernel's default queue (about 200 KB of
        // buffers) overflows near 100 blocks of 1428 bytes, and every overflow costs a window.
        const window = (this.opts.windowsize ?? 1) * ((this.opts.blksize ?? 512) + 512);
        if (window > 64 * 1024) {
          try { socket.setRecvBufferSize(2 * window); } catch { /* kept the kernel default */ }
        }
        this.sendToServer(this.rrq, this.opts.port ?? 69);
        this.arm();
      });
    });
  }

  private onMessage(msg: Buffer, rinfo: RemoteInfo): void {
    if (!this.settle) return this.dally(msg, rinfo);
    // Only the upstream we asked may answer; anything else is ignored (spoofing, strays).
    if (rinfo.address !== this.serverAddress) return;
    if (this.serverPort !== undefined && rinfo.port !== this.serverPort) {
      this.socket?.send(encodeTftp({ op: 'error', code: TftpErrorCode.UNKNOWN_TID, message: 'unknown transfer ID' }), rinfo.port, rinfo.address, () => undefined);
      return;
    }
    const decoded = decodeTftp(msg);
    if (!decoded.ok) return;
    const pkt = decoded.value;
    if (this.serverPort === undefined) this.onFirstReply(pkt, rinfo.port);
    else this.onReply(pkt);
  }

  private onFirstReply(pkt: TftpPacket, port: number): void {
    if (pkt.op === 'oack') {
      this.serverPort = port;
      const accepted = acceptOack(this.options, pkt.options);
      if (!accepted.ok) {
        this.send(encodeTftp({ op: 'error', code: TftpErrorCode.OPTION_NEGOTIATION, message: accepted.error }));
        this.end({ ok: 'plain', reason: accepted.error });
        return;
      }
      this.params = accepted.value;
      if (this.opts.sizeOnly && this.params.tsize !== undefined) {
        // The size is all we came for: tell the server so it does not retransmit block 1.
        this.send(encodeTftp({ op: 'error', code: TftpErrorCode.NOT_DEFINED, message: 'size check done' }));
        this.end({ ok: true, size: this.params.tsize, negotiated: this.params, recoveries: 0 });
        return;
      }
      if (!this.started()) return;
      this.progress();
      this.sendAck(0);
    } else if (pkt.op === 'data') {
      this.serverPort = port; // no OACK: the server ignored our options, plain RFC 1350
      if (!this.started()) return;
      this.onData(pkt.block, pkt.data);
    } else if (pkt.op === 'error') {
      if (pkt.code === TftpErrorCode.OPTION_NEGOTIATION && this.options.length > 0) {
        this.end({ ok: 'plain', reason: pkt.message });
      } else {
        this.end({ ok: false, code: pkt.code, error: pkt.message || `error ${pkt.code}` });
      }
    }
  }

  private onReply(pkt: TftpPacket): void {
    if (pkt.op === 'data') this.onData(pkt.block, pkt.data);
    else if (pkt.op === 'error') this.end({ ok: false, code: pkt.code, error: pkt.message || `error ${pkt.code}` });
    else if (pkt.op === 'oack' && this.expected === 1) this.sendAck(0); // our ACK of the OACK was lost
  }

  private onData(wireBlock: number, payload: Buffer): void {
    if (payload.length > this.params.blksize) {
      this.fail({ ok: false, error: `block of ${payload.length} bytes exceeds blksize ${this.params.blksize}` }, 'block too large');
      return;
    }
    if (wireBlock !== this.expected % BLOCK_SPACE) {
      // A repeat (our ACK was lost) or a gap in a window: acknowledge the last good block
      // once; the timer covers further losses without feeding a retransmission storm.
      if (!this.reacked) {
        this.reacked = true;
        this.recoveries++;
        this.sendAck((this.expected - 1) % BLOCK_SPACE);
      }
      return;
    }
    try {
      if (this.opts.onData) this.opts.onData(payload, this.offset);
      else this.chunks.push(Buffer.from(payload));
    } catch (e) {
      this.fail({ ok: false, error: `onData failed: ${e instanceof Error ? e.message : String(e)}` }, 'receiver failed');
      return;
    }
    this.offset += payload.length;
    this.expected++;
    this.sinceAck++;
    this.progress();
    if (payload.length < this.params.blksize) {
      this.sendAck(wireBlock);
      const data = this.opts.onData ? undefined : Buffer.concat(this.chunks);
      this.end({ ok: true, size: this.offset, negotiated: this.params, recoveries: this.recoveries, ...(data ? { data } : {}) });
    } else if (this.sinceAck >= this.params.windowsize) {
      this.sendAck(wireBlock);
    }
  }

  /** Tells the caller the transfer is on; false when its callback failed and the fetch ended. */
  private started(): boolean {
    try {
      this.opts.onStart?.(this.params.tsize);
      return true;
    } catch (e) {
      this.fail({ ok: false, error: `onStart failed: ${e instanceof Error ? e.message : String(e)}` }, 'receiver failed');
      return false;
    }
  }

  private progress(): void {
    this.reacked = false;
    this.retriesLeft = this.opts.retries ?? 5;
    this.arm();
  }

  private onTimeout(): void {
    this.timer = undefined;
    if (!this.settle) return;
    if (this.retriesLeft <= 0) {
      this.fail({ ok: false, error: `timed out after ${this.opts.retries ?? 5} retransmissions` }, 'timed out');
      return;
    }
    this.retriesLeft--;
    this.recoveries++;
    if (this.serverPort === undefined) this.sendToServer(this.rrq, this.opts.port ?? 69);
    else this.sendAck((this.expected - 1) % BLOCK_SPACE);
    this.arm();
  }

  private sendAck(block: number): void {
    this.sinceAck = 0;
    this.send(encodeTftp({ op: 'ack', block }));
  }

  private send(pkt: Buffer): void {
    if (this.serverPort !== undefined) this.sendToServer(pkt, this.serverPort);
  }

  private sendToServer(pkt: Buffer, port: number): void {
    this.socket?.send(pkt, port, this.serverAddress, () => undefined);
  }

  private arm(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.onTimeout(), this.timeoutMs);
  }

  /** Ends with an error and tells the server, so it stops sending. */
  private fail(end: FetchTftpResult, message: string): void {
    this.send(encodeTftp({ op: 'error', code: TftpErrorCode.NOT_DEFINED, message }));
    this.end(end);
  }

  private end(end: AttemptEnd): void {
    const settle = this.settle;
    if (!settle) return;
    this.settle = undefined;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.opts.signal?.removeEventListener('abort', this.onAbort);
    if (end.ok === true) {
      // Stay a moment to re-acknowledge the last block if the server did not hear our ACK.
      const linger = setTimeout(() => this.closeSocket(), this.timeoutMs);
      linger.unref();
    } else {
      this.closeSocket();
    }
    settle(end);
  }

  private dally(msg: Buffer, rinfo: RemoteInfo): void {
    if (rinfo.address !== this.serverAddress || rinfo.port !== this.serverPort) return;
    const decoded = decodeTftp(msg);
    if (decoded.ok && decoded.value.op === 'data' && decoded.value.block === (this.expected - 1) % BLOCK_SPACE) {
      this.send(encodeTftp({ op: 'ack', block: decoded.value.block }));
    }
  }

  private closeSocket(): void {
    const socket = this.socket;
    this.socket = undefined;
    try {
      socket?.close();
    } catch {
      // already closed
    }
  }
}
