// Where committed leases go to disk. In the daemon: a worker thread with its own SQLite
// connection, so an fsync never stalls the event loop that receives DHCP frames (frames
// that arrive meanwhile form the next group). Run from TypeScript sources (tests), the
// worker script does not exist and the same transaction runs on the caller's connection.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type BetterSqlite3 from 'better-sqlite3';
import { UPSERT_LEASE_SQL, toRow, type Lease, type LeaseRow } from './leases.js';

export interface LeaseWriter {
  /** Resolves once the leases are committed and fsynced; rejects when they are not. */
  write(leases: Lease[]): Promise<void>;
  close(): Promise<void>;
}

const WORKER_SCRIPT = new URL('./lease-writer-worker.js', import.meta.url);

export function openLeaseWriter(db: BetterSqlite3.Database, onWorkerLost: (error: Error) => void): LeaseWriter {
  const inline = new InlineLeaseWriter(db);
  if (db.memory || !existsSync(fileURLToPath(WORKER_SCRIPT))) return inline;
  return new ThreadLeaseWriter(db.name, inline, onWorkerLost);
}

class InlineLeaseWriter implements LeaseWriter {
  private readonly writeAll: (rows: LeaseRow[]) => void;

  constructor(db: BetterSqlite3.Database) {
    const upsert = db.prepare(UPSERT_LEASE_SQL);
    this.writeAll = db.transaction((rows: LeaseRow[]) => {
      for (const row of rows) upsert.run(row);
    });
  }

  write(leases: Lease[]): Promise<void> {
    try {
      this.writeAll(leases.map(toRow));
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(e as Error);
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

class ThreadLeaseWriter implements LeaseWriter {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private nextId = 1;
  /** Set when the thread died: later writes run on the main connection instead. */
  private lost = false;

  constructor(file: string, private readonly fallback: LeaseWriter, onLost: (error: Error) => void) {
    this.worker = new Worker(WORKER_SCRIPT, { workerData: { file } });
    this.worker.on('message', (m: { id: number; error?: string }) => {
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if (m.error === undefined) w.resolve();
      else w.reject(new Error(m.error));
    });
    const die = (error: Error) => {
      if (this.lost) return;
      this.lost = true;
      // What was in flight may or may not be on disk: its ACKs are not sent.
      for (const w of this.waiting.values()) w.reject(error);
      this.waiting.clear();
      onLost(error);
    };
    this.worker.on('error', die);
    this.worker.on('exit', (code) => die(new Error(`lease writer thread exited with code ${code}`)));
  }

  write(leases: Lease[]): Promise<void> {
    if (this.lost) return this.fallback.write(leases);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, rows: leases.map(toRow) });
    });
  }

  async close(): Promise<void> {
    this.lost = true;
    await this.worker.terminate();
  }
}
