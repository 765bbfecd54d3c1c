// Outpost's read-only TFTP server. Phones fetch trust lists, SEP<MAC>.cnf.xml and loads
// here; the cache behind `open` decides where the bytes come from. Writes are never
// accepted and names that could escape the served tree never reach `open`.
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { EventEmitter } from 'node:events';
import { isIPv6 } from 'node:net';
import { decodeTftp, encodeTftp, TftpErrorCode, type TftpOption } from './codec.js';
import { checkRequestedName } from './filename.js';
import { negotiate } from './negotiate.js';
import { blockReader, type FileSource } from './block-reader.js';
import { connectedTransferSocket, ReadTransfer, type Peer, type TransferResult } from './transfer.js';
import type { ThreadedTransfer, TransferThreads } from './transfer-threads.js';

export type { FileSource } from './block-reader.js';
export type { Peer, TransferOutcome } from './transfer.js';

export type OpenResult = { ok: true; source: FileSource } | { ok: false; code: number; message: string };

export interface TftpServerOptions {
  address: string;
  /** 69 in production; 0 picks a free port (tests). */
  port: number;
  /** Looks a (already vetted) name up; answer FILE_NOT_FOUND etc. with ok:false. */
  open: (filename: string, client: Peer) => Promise<OpenResult>;
  /** Concurrent transfers (including lookups in progress); above it requests get "server busy". */
  maxTransfers?: number;
  /** Default 1468 keeps each DATA inside one 1500-byte Ethernet frame. */
  blksizeMax?: number;
  windowsizeMax?: number;
  /** First retransmission timeout when the client does not negotiate one. */
  timeoutMs?: number;
  maxTimeoutMs?: number;
  retries?: number;
  /** How long a single read from the file source may wait (a slow upstream fetch). */
  sourceTimeoutMs?: number;
  /** Native threads that serve files already in memory; without them the main thread serves all. */
  threads?: TransferThreads;
}

export interface TransferStartEvent {
  id: number;
  filename: string;
  client: Peer;
  mode: 'octet' | 'netascii';
  blksize: number;
  windowsize: number;
  tsize: number | undefined;
}

export interface TransferEndEvent extends TransferResult {
  id: number;
  filename: string;
  client: Peer;
  durationMs: number;
  /** Served by a native transfer thread (a file in memory) rather than the main thread. */
  onThread: boolean;
}

export interface TransferRefusedEvent {
  filename: string;
  client: Peer;
  code: number;
  message: string;
}

export interface MalformedRequestEvent {
  client: Peer;
  error: string;
}

export interface TftpServerEvents {
  'transfer-start': [TransferStartEvent];
  'transfer-end': [TransferEndEvent];
  'transfer-refused': [TransferRefusedEvent];
  'malformed-request': [MalformedRequestEvent];
  error: [Error];
}

interface ActiveRequest {
  filename: string;
  transfer?: { abort(reason: string, quietly?: boolean): void };
}

const DEFAULTS: Omit<Required<TftpServerOptions>, 'address' | 'port' | 'open' | 'threads'> = {
  maxTransfers: 64,
  blksizeMax: 1468,
  windowsizeMax: 64,
  timeoutMs: 1000,
  maxTimeoutMs: 8000,
  retries: 5,
  sourceTimeoutMs: 30_000,
};

export class TftpServer extends EventEmitter<TftpServerEvents> {
  private readonly opts: Required<Omit<TftpServerOptions, 'threads'>> & { threads?: TransferThreads };
  private socket: Socket | undefined;
  /** Client TID ("addr:port") -> the file it asked for, and its transfer once `open` found it. */
  private readonly active = new Map<string, ActiveRequest>();
  private nextId = 1;
  private closing = false;

  constructor(options: TftpServerOptions) {
    super();
    const given = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
    this.opts = { ...DEFAULTS, ...given } as TftpServer['opts'];
    // A window must stay well inside the 16-bit block space to tell new ACKs from old ones.
    this.opts.windowsizeMax = Math.max(1, Math.min(this.opts.windowsizeMax, 32768));
    this.opts.blksizeMax = Math.max(8, this.opts.blksizeMax);
  }

  get activeTransfers(): number {
    return this.active.size;
  }

  /** Binds the listening socket; resolves with the address actually bound. */
  listen(): Promise<Peer> {
    const socket = createSocket(isIPv6(this.opts.address) ? 'udp6' : 'udp4');
    this.socket = socket;
    socket.on('message', (msg, rinfo) => void this.onRequest(msg, rinfo));
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(this.opts.port, this.opts.address, () => {
        socket.off('error', reject);
        socket.on('error', (e) => this.reportError(e));
        const a = socket.address();
        resolve({ address: a.address, port: a.port });
      });
    });
  }

  address(): Peer | undefined {
    if (!this.socket) return undefined;
    const a = this.socket.address();
    return { address: a.address, port: a.port };
  }

  /** Stops listening and aborts every transfer in flight. */
  async close(): Promise<void> {
    this.closing = true;
    for (const r of this.active.values()) r.transfer?.abort('server shutting down');
    const socket = this.socket;
    this.socket = undefined;
    if (socket) await new Promise<void>((resolve) => socket.close(() => resolve()));
  }

  private async onRequest(msg: Buffer, rinfo: RemoteInfo): Promise<void> {
    if (this.closing) return;
    const client: Peer = { address: rinfo.address, port: rinfo.port };
    const decoded = decodeTftp(msg);
    if (!decoded.ok) {
      this.emit('malformed-request', { client, error: decoded.error });
      const opcode = msg.length >= 2 ? msg.readUInt16BE(0) : 0;
      if (opcode === 1 || opcode === 2) this.reply(client, TftpErrorCode.ILLEGAL_OPERATION, 'malformed request');
      return;
    }
    const pkt = decoded.value;
    if (pkt.op !== 'rrq' && pkt.op !== 'wrq') return; // stray transfer packets on the well-known port
    const key = `${client.address}:${client.port}`;
    const filename = pkt.filename;
    const current = this.active.get(key);
    if (current) {
      // The same request again while it is being served is a retransmitted RRQ: one transfer.
      if (current.filename === filename) return;
      // Another file from the same address and port: the client has moved on and its port was
      // reused. The old transfer ends without a word, since that TID is now the new request's.
      current.transfer?.abort('the client asked for another file', true);
      this.active.delete(key);
    }
    if (pkt.op === 'wrq') return this.refuse(filename, client, TftpErrorCode.ACCESS_VIOLATION, 'read-only server');
    const mode = pkt.mode.toLowerCase();
    if (mode !== 'octet' && mode !== 'netascii') {
      return this.refuse(filename, client, TftpErrorCode.ILLEGAL_OPERATION, `unsupported mode ${pkt.mode}`);
    }
    const named = checkRequestedName(filename);
    if (!named.ok) return this.refuse(filename, client, TftpErrorCode.ACCESS_VIOLATION, named.error);
    if (this.active.size >= this.opts.maxTransfers) {
      return this.refuse(filename, client, TftpErrorCode.NOT_DEFINED, 'server busy, try again later');
    }
    const request: ActiveRequest = { filename };
    this.active.set(key, request);
    try {
      await this.serve(key, request, mode, pkt.options, client);
    } catch (e) {
      this.forget(key, request);
      this.refuse(filename, client, TftpErrorCode.NOT_DEFINED, 'internal error');
      this.reportError(e instanceof Error ? e : new Error(String(e)));
    }
  }

  private async serve(key: string, request: ActiveRequest, mode: 'octet' | 'netascii', options: TftpOption[], client: Peer): Promise<void> {
    const filename = request.filename;
    const opened = await this.opts.open(filename, client);
    // Shutting down, or the client moved on to another file meanwhile.
    if (this.closing || this.active.get(key) !== request) return;
    if (!opened.ok) {
      this.forget(key, request);
      return this.refuse(filename, client, opened.code, opened.message);
    }
    const source = opened.source;
    const params = negotiate(options, source.size, mode, this.opts);
    const id = this.nextId++;
    const started = Date.now();
    const end = (onThread: boolean) => (result: TransferResult) => {
      this.forget(key, request);
      this.emit('transfer-end', { id, filename, client, durationMs: Date.now() - started, onThread, ...result });
    };
    const tsize = params.oack.some((o) => o.name.toLowerCase() === 'tsize') ? source.size : undefined;
    request.transfer = this.startOnThread(source, { address: this.opts.address, client, mode, params }, end(true));
    if (!request.transfer) {
      const socket = await connectedTransferSocket(this.opts.address, client);
      const transfer = new ReadTransfer(socket, blockReader(source, mode, params.blksize), params, this.opts, end(false));
      request.transfer = transfer;
      transfer.start();
    }
    this.emit('transfer-start', { id, filename, client, mode, blksize: params.blksize, windowsize: params.windowsize, tsize });
  }

  /** Starts the transfer on a native thread when the whole file is in memory and a thread can be had. */
  private startOnThread(source: FileSource, job: Omit<ThreadedTransfer, 'timing' | 'bytes'>, end: (result: TransferResult) => void): ActiveRequest['transfer'] {
    const threads = this.opts.threads;
    if (!threads?.accepts(source.bytes)) return undefined;
    const { timeoutMs, maxTimeoutMs, retries, sourceTimeoutMs } = this.opts;
    try {
      return threads.run({ ...job, timing: { timeoutMs, maxTimeoutMs, retries, sourceTimeoutMs }, bytes: source.bytes }, end);
    } catch (e) {
      this.reportError(e instanceof Error ? e : new Error(String(e))); // no thread to be had: the event loop serves it
      return undefined;
    }
  }

  private forget(key: string, request: ActiveRequest): void {
    if (this.active.get(key) === request) this.active.delete(key);
  }

  /** An unheard 'error' event would throw; a server on a hostile LAN must not. */
  private reportError(e: Error): void {
    if (this.listenerCount('error') > 0) this.emit('error', e);
  }

  private refuse(filename: string, client: Peer, code: number, message: string): void {
    this.reply(client, code, message);
    this.emit('transfer-refused', { filename, client, code, message });
  }

  private reply(client: Peer, code: number, message: string): void {
    this.socket?.send(encodeTftp({ op: 'error', code, message }), client.port, client.address, () => undefined);
  }
}
