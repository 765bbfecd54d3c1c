// Transfers of files already in memory run on worker threads, one connected socket each, so a
// boot storm of phones pulling the same load uses every core of the box instead of one event
// loop. The bytes are shared (a SharedArrayBuffer the cache keeps verified files in), never
// copied per phone. Anything else (a file still arriving from CUCM, a rewritten cnf.xml) is
// served by the main thread as before.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { TransferParams } from './negotiate.js';
import type { Peer, TransferResult, TransferTiming } from './transfer.js';

export interface PooledTransfer {
  /** Outpost's address to send from (the transfer's own ephemeral port is bound there). */
  address: string;
  client: Peer;
  mode: 'octet' | 'netascii';
  params: TransferParams;
  timing: TransferTiming;
  /** The whole file, backed by a SharedArrayBuffer. */
  bytes: Buffer;
}

/** What a worker is asked to do. */
export type WorkerRequest = { kind: 'start'; id: number; job: PooledTransfer } | { kind: 'abort'; id: number; reason: string; quietly: boolean };
/** What a worker answers: a transfer ended. */
export interface WorkerReply { id: number; result: TransferResult }

const WORKER_SCRIPT = new URL('./transfer-worker.js', import.meta.url);

interface Slot {
  worker: Worker;
  running: number;
  lost: boolean;
}

export class TransferPool {
  private readonly slots: Slot[] = [];
  private readonly ends = new Map<number, { slot: Slot; end: (r: TransferResult) => void }>();
  private nextId = 1;

  /** A pool of `size` threads; undefined when there is no worker script (running from TypeScript sources). */
  static open(size: number): TransferPool | undefined {
    if (size < 1 || !existsSync(fileURLToPath(WORKER_SCRIPT))) return undefined;
    return new TransferPool(size);
  }

  private constructor(size: number) {
    for (let i = 0; i < size; i++) this.slots.push(this.spawn());
  }

  get size(): number {
    return this.slots.length;
  }

  /** Whether a transfer of these bytes can run here (they must be shared, and a thread alive). */
  accepts(bytes: Buffer | undefined): bytes is Buffer {
    return bytes !== undefined && bytes.buffer instanceof SharedArrayBuffer && this.slots.some((s) => !s.lost);
  }

  /** Runs one transfer on the least busy thread; `abort` ends it early. */
  run(job: PooledTransfer, end: (result: TransferResult) => void): { abort(reason: string, quietly?: boolean): void } {
    const slot = this.slots.filter((s) => !s.lost).reduce((a, b) => (b.running < a.running ? b : a));
    const id = this.nextId++;
    slot.running++;
    this.ends.set(id, { slot, end });
    slot.worker.postMessage({ kind: 'start', id, job } satisfies WorkerRequest);
    return { abort: (reason, quietly = false) => slot.worker.postMessage({ kind: 'abort', id, reason, quietly } satisfies WorkerRequest) };
  }

  async close(): Promise<void> {
    await Promise.all(this.slots.map((s) => s.worker.terminate()));
  }

  private spawn(): Slot {
    const worker = new Worker(WORKER_SCRIPT);
    worker.unref();
    const slot: Slot = { worker, running: 0, lost: false };
    worker.on('message', (m: WorkerReply) => this.ended(m.id, m.result));
    const die = (e: Error) => {
      if (slot.lost) return;
      slot.lost = true;
      // Its transfers are gone with it; the phones retry and are served elsewhere.
      for (const [id, t] of this.ends) if (t.slot === slot) this.ended(id, { outcome: 'aborted', bytes: 0, blocks: 0, retransmissions: 0, error: e.message });
    };
    worker.on('error', die);
    worker.on('exit', (code) => die(new Error(`TFTP transfer thread exited with code ${code}`)));
    return slot;
  }

  private ended(id: number, result: TransferResult): void {
    const t = this.ends.get(id);
    if (!t) return;
    this.ends.delete(id);
    t.slot.running--;
    t.end(result);
  }
}
