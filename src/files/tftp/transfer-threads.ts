// Transfers of files already in memory run on native threads (src/native/tftp_sender.cc), one
// per transfer on its own connected socket, as tftpd-hpa runs one process per transfer: a boot
// storm of phones pulling the same load uses every core of the box, and each block leaves
// without a JS callback per packet. The bytes are the cache's own, never copied per phone.
// Anything else (a file still arriving from CUCM) is served by ReadTransfer on the main thread.
import { loadAddon, type NativeAddon } from '../../native/addon.js';
import { encodeTftp } from './codec.js';
import type { TransferParams } from './negotiate.js';
import { toNetascii } from './netascii.js';
import type { Peer, TransferResult, TransferTiming } from './transfer.js';

export interface ThreadedTransfer {
  /** Outpost's address to send from (the transfer's own ephemeral port is bound there). */
  address: string;
  client: Peer;
  mode: 'octet' | 'netascii';
  params: TransferParams;
  timing: TransferTiming;
  /** The whole file. */
  bytes: Buffer;
}

export class TransferThreads {
  private readonly running = new Set<Promise<void>>();
  private closed = false;

  /** Undefined when the addon is not built (running from TypeScript sources without it). */
  static open(): TransferThreads | undefined {
    try {
      return new TransferThreads(loadAddon());
    } catch {
      return undefined;
    }
  }

  private constructor(private readonly addon: NativeAddon) {}

  /** Whether a transfer of these bytes can run here: the whole file is in memory. */
  accepts(bytes: Buffer | undefined): bytes is Buffer {
    return bytes !== undefined && !this.closed;
  }

  /** Starts one transfer on its own thread; `end` hears once how it ended; `abort` ends it early. */
  run(job: ThreadedTransfer, end: (result: TransferResult) => void): { abort(reason: string, quietly?: boolean): void } {
    const { params, timing } = job;
    // Netascii is a byte-by-byte mapping, so the converted file cut into blocks is the wire form.
    const bytes = job.mode === 'netascii' ? toNetascii(job.bytes) : job.bytes;
    let ended!: () => void;
    const done = new Promise<void>((resolve) => { ended = resolve; });
    this.running.add(done);
    const transfer = new this.addon.TftpTransfer({
      address: job.address,
      clientAddress: job.client.address,
      clientPort: job.client.port,
      blksize: params.blksize,
      windowsize: params.windowsize,
      ...(params.oack.length > 0 ? { oack: encodeTftp({ op: 'oack', options: params.oack }) } : {}),
      timeoutMs: params.timeoutSec !== undefined ? params.timeoutSec * 1000 : timing.timeoutMs,
      maxTimeoutMs: timing.maxTimeoutMs,
      retries: timing.retries,
    }, bytes, (result) => {
      this.running.delete(done);
      ended();
      end(result);
    });
    return { abort: (reason, quietly = false) => transfer.abort(reason, quietly) };
  }

  /** Waits for the transfers still running (the server has aborted them) to end. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.running);
  }
}
