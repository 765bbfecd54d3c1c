// One read transfer on its own ephemeral socket, connected to the client: sends DATA in windows (RFC 7440; a
// window of 1 is plain RFC 1350 lockstep), retransmits with exponential backoff, and
// keeps block numbers absolute internally so loads past 65535 blocks roll over cleanly.
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { decodeTftp, encodeTftp, TftpErrorCode } from './codec.js';
import type { BlockReader } from './block-reader.js';
import type { TransferParams } from './negotiate.js';

export interface Peer {
  address: string;
  port: number;
}

export type TransferOutcome = 'complete' | 'timeout' | 'client-error' | 'source-error' | 'aborted';

export interface TransferTiming {
  /** First retransmission timeout when the client did not negotiate one. */
  timeoutMs: number;
  /** Backoff stops doubling here. */
  maxTimeoutMs: number;
  /** Retransmissions of the same window before giving up. */
  retries: number;
  /** How long one read from the file source may take before the phone is told to retry. */
  sourceTimeoutMs: number;
}

export interface TransferResult {
  outcome: TransferOutcome;
  /** Payload bytes produced (each counted once, however often it was resent). */
  bytes: number;
  blocks: number;
  retransmissions: number;
  error?: string;
}

const BLOCK_SPACE = 0x10000;

/**
 * A transfer's own ephemeral port on `address`, its TID (RFC 1350 §4), connected to the client:
 * sends skip the per-packet address lookup, and the kernel itself turns away packets from any
 * other host or port (with ICMP port unreachable, as tftpd-hpa's connected sockets do).
 */
export function connectedTransferSocket(address: string, client: Peer): Promise<Socket> {
  const socket = createSocket(isIPv6(address) ? 'udp6' : 'udp4');
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(0, address, () => {
      socket.connect(client.port, client.address, () => {
        socket.off('error', reject);
        // Errors on a transfer socket only ever mean that transfer fails by timeout.
        socket.on('error', () => undefined);
        resolve(socket);
      });
    });
  });
}

export class ReadTransfer {
  /** Highest block the client has acknowledged; -1 while an OACK (block 0) is outstanding. */
  private acked = 0;
  private sentHighest = 0;
  private finalBlock: number | undefined;
  private readonly packets = new Map<number, Buffer>();
  private interval: number;
  private readonly baseInterval: number;
  private retriesLeft: number;
  private fastResentFor = -2;
  private pumping = false;
  private timer: NodeJS.Timeout | undefined;
  /** When the retransmission timer should fire (0: not armed); the timer itself is reused. */
  private deadline = 0;
  private timerAt = 0;
  private done = false;
  private bytes = 0;
  private retransmissions = 0;

  constructor(
    /** Connected to the client: it hears nothing from any other TID. */
    private readonly socket: Socket,
    private readonly reader: BlockReader,
    private readonly params: TransferParams,
    private readonly timing: TransferTiming,
    private readonly onEnd: (result: TransferResult) => void,
  ) {
    this.baseInterval = params.timeoutSec !== undefined ? params.timeoutSec * 1000 : timing.timeoutMs;
    this.interval = this.baseInterval;
    this.retriesLeft = timing.retries;
  }

  start(): void {
    this.socket.on('message', (msg) => this.onMessage(msg));
    if (this.params.oack.length > 0) {
      const oack = encodeTftp({ op: 'oack', options: this.params.oack });
      this.acked = -1;
      this.packets.set(0, oack);
      this.send(oack);
      this.arm();
    } else {
      this.pump();
    }
  }

  /** Ends the transfer from outside, telling the client why unless `quietly` (its TID serves another request now). */
  abort(reason: string, quietly = false): void {
    if (!quietly) this.sendError(TftpErrorCode.NOT_DEFINED, reason);
    this.finish('aborted', reason);
  }

  private onMessage(msg: Buffer): void {
    if (this.done) return;
    // An ACK is all a transfer mostly hears: read its block number without a full decode.
    if (msg.length === 4 && msg[0] === 0 && msg[1] === 4) return this.onAck(msg.readUInt16BE(2));
    const decoded = decodeTftp(msg);
    if (!decoded.ok) {
      // An ERROR is the client giving up, however it is spelled (some omit the final NUL).
      if (msg.length >= 4 && msg[0] === 0 && msg[1] === 5) this.finish('client-error', `client sent error ${msg.readUInt16BE(2)}: ${msg.toString('latin1', 4).replace(/\0.*$/s, '')}`);
      return;
    }
    const pkt = decoded.value;
    if (pkt.op === 'ack') this.onAck(pkt.block);
    else if (pkt.op === 'error') this.finish('client-error', `client sent error ${pkt.code}: ${pkt.message}`);
  }

  private onAck(wireBlock: number): void {
    const ahead = (((wireBlock - this.acked) % BLOCK_SPACE) + BLOCK_SPACE) % BLOCK_SPACE;
    if (ahead === 0) {
      // A repeated ACK. In lockstep it is never answered (that is the sorcerer's apprentice
      // bug); with a window it means a block was lost, so resend once per ACK value.
      if (this.params.windowsize > 1 && this.sentHighest > this.acked && this.fastResentFor !== this.acked) {
        this.fastResentFor = this.acked;
        this.resendOutstanding();
      }
      return;
    }
    if (ahead > this.sentHighest - this.acked) return; // stale or for a block never sent
    const block = this.acked + ahead;
    for (let b = this.acked + 1; b <= block; b++) this.packets.delete(b);
    this.acked = block;
    this.interval = this.baseInterval;
    this.retriesLeft = this.timing.retries;
    if (this.finalBlock !== undefined && block >= this.finalBlock) {
      this.finish('complete');
      return;
    }
    if (block < this.sentHighest) {
      // RFC 7440: an ACK inside the window restarts the window after the acknowledged block.
      this.resendOutstanding();
    } else {
      this.disarm();
    }
    this.pump();
  }

  private windowOpen(): boolean {
    return !this.done && this.finalBlock === undefined && this.sentHighest < this.acked + this.params.windowsize;
  }

  /**
   * Sends new blocks while the window has room, blocks strictly in order. Blocks already in
   * memory go out synchronously (no promise per packet in a boot storm); the first block that
   * is still arriving hands over to the waiting pump.
   */
  private pump(): void {
    if (this.pumping) return;
    while (this.windowOpen()) {
      const payload = this.reader.nextNow?.();
      if (payload === undefined) {
        void this.pumpWaiting();
        return;
      }
      this.sendBlock(payload);
    }
  }

  /** One waiting pump at a time. */
  private async pumpWaiting(): Promise<void> {
    this.pumping = true;
    try {
      while (this.windowOpen()) {
        const payload = this.reader.nextNow?.() ?? await this.nextPayload();
        if (payload === undefined || this.done) return;
        this.sendBlock(payload);
      }
    } finally {
      this.pumping = false;
    }
  }

  private sendBlock(payload: Buffer): void {
    const block = this.sentHighest + 1;
    const pkt = encodeTftp({ op: 'data', block: block % BLOCK_SPACE, data: payload });
    this.packets.set(block, pkt);
    this.bytes += payload.length;
    if (payload.length < this.params.blksize) this.finalBlock = block;
    this.sentHighest = block;
    this.send(pkt);
    this.arm();
  }

  private async nextPayload(): Promise<Buffer | undefined> {
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<'stalled'>((resolve) => {
      timer = setTimeout(() => resolve('stalled'), this.timing.sourceTimeoutMs);
    });
    try {
      const got = await Promise.race([this.reader.next(), stalled]);
      if (got === 'stalled') {
        this.sendError(TftpErrorCode.NOT_DEFINED, 'file not available yet, try again');
        this.finish('source-error', 'file source stalled');
        return undefined;
      }
      return got;
    } catch (e) {
      this.sendError(TftpErrorCode.NOT_DEFINED, 'read error');
      this.finish('source-error', e instanceof Error ? e.message : String(e));
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  private resendOutstanding(): void {
    for (let b = this.acked + 1; b <= this.sentHighest; b++) {
      const pkt = this.packets.get(b);
      if (!pkt) continue;
      this.send(pkt);
      this.retransmissions++;
    }
    this.arm();
  }

  private onTimeout(): void {
    this.timer = undefined;
    if (this.done || this.sentHighest <= this.acked) return;
    if (this.retriesLeft <= 0) {
      this.finish('timeout', `no acknowledgement after ${this.timing.retries} retransmissions`);
      return;
    }
    this.retriesLeft--;
    this.interval = Math.min(this.interval * 2, Math.max(this.timing.maxTimeoutMs, this.baseInterval));
    this.resendOutstanding();
  }

  /**
   * Sets the retransmission deadline. Re-arming per block would create and cancel a timer for
   * every packet; instead one timer runs and, when it fires early, waits out the rest.
   */
  private arm(): void {
    const now = Date.now();
    this.deadline = now + this.interval;
    if (this.timer && this.timerAt <= this.deadline) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = this.deadline;
    this.timer = setTimeout(() => this.onTimer(), this.interval);
  }

  private onTimer(): void {
    this.timer = undefined;
    if (this.deadline === 0 || this.done) return;
    const left = this.deadline - Date.now();
    if (left > 0) {
      this.timerAt = this.deadline;
      this.timer = setTimeout(() => this.onTimer(), left);
      return;
    }
    this.deadline = 0;
    this.onTimeout();
  }

  private disarm(): void {
    this.deadline = 0;
  }

  private send(pkt: Buffer): void {
    // UDP send errors (a vanished client) surface as timeouts: the transfer socket's error
    // listener swallows them, so no per-packet callback is needed.
    this.socket.send(pkt);
  }

  private sendError(code: number, message: string): void {
    if (this.done) return;
    this.send(encodeTftp({ op: 'error', code, message }));
  }

  private finish(outcome: TransferOutcome, error?: string): void {
    if (this.done) return;
    this.done = true;
    this.disarm();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.packets.clear();
    // The socket closes after queued sends (a final ERROR) have been handed to the kernel.
    setImmediate(() => {
      try {
        this.socket.close();
      } catch {
        // already closed
      }
    });
    const blocks = this.sentHighest;
    this.onEnd({ outcome, bytes: this.bytes, blocks, retransmissions: this.retransmissions, ...(error ? { error } : {}) });
  }
}
