// Where the binding mirror goes to disk. In the daemon: a worker thread with its own SQLite
// connection, so the fsync of a burst of REGISTERs never stalls the event loop that answers
// them. Run from TypeScript sources (tests), the worker script does not exist and the same
// transaction runs on the caller's connection.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Db } from '../store/database.js';

/** One group of binding changes, written in one transaction. */
export interface BindingBatch {
  removeAors: string[];
  remove: { aor: string; contact: string }[];
  upsert: BindingRow[];
}

export interface BindingRow {
  aor: string; contact: string; deviceName: string | null; dn: string | null; callId: string; cseq: number; expiresAt: string;
  servedBy: string; source: string; transport: string; flow: string; register: Buffer | null;
}

export const UPSERT_BINDING_SQL = `INSERT INTO sip_bindings (aor, contact, device_name, dn, call_id, cseq, expires_at, served_by, source, transport, flow, register)
  VALUES (@aor, @contact, @deviceName, @dn, @callId, @cseq, @expiresAt, @servedBy, @source, @transport, @flow, @register)
  ON CONFLICT(aor, contact) DO UPDATE SET device_name = excluded.device_name, dn = excluded.dn, call_id = excluded.call_id,
    cseq = excluded.cseq, expires_at = excluded.expires_at, served_by = excluded.served_by, source = excluded.source,
    transport = excluded.transport, flow = excluded.flow, register = excluded.register`;

/** The transaction that applies a batch on one connection (the worker's or the caller's). */
export function batchWriter(db: Db): (batch: BindingBatch) => void {
  const upsert = db.prepare(UPSERT_BINDING_SQL);
  const remove = db.prepare('DELETE FROM sip_bindings WHERE aor = ? AND contact = ?');
  const removeAll = db.prepare('DELETE FROM sip_bindings WHERE aor = ?');
  return db.transaction((batch: BindingBatch) => {
    for (const aor of batch.removeAors) removeAll.run(aor);
    for (const r of batch.remove) remove.run(r.aor, r.contact);
    for (const row of batch.upsert) upsert.run(row);
  });
}

export interface BindingWriter {
  write(batch: BindingBatch): void;
  /** Resolves once everything written so far is on disk. */
  close(): Promise<void>;
}

const WORKER_SCRIPT = new URL('./binding-writer-worker.js', import.meta.url);

export function openBindingWriter(db: Db, onError: (e: Error) => void): BindingWriter {
  const inline = new InlineWriter(db, onError);
  if (db.memory || !existsSync(fileURLToPath(WORKER_SCRIPT))) return inline;
  return new ThreadWriter(db.name, inline, onError);
}

class InlineWriter implements BindingWriter {
  private readonly apply: (batch: BindingBatch) => void;

  constructor(db: Db, private readonly onError: (e: Error) => void) {
    this.apply = batchWriter(db);
  }

  write(batch: BindingBatch): void {
    try { this.apply(batch); } catch (e) { this.onError(e as Error); }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

class ThreadWriter implements BindingWriter {
  private readonly worker: Worker;
  private inFlight = 0;
  private drained: (() => void) | undefined;
  /** Set when the thread died: later batches go to the main connection instead. */
  private lost = false;

  constructor(file: string, private readonly fallback: BindingWriter, onError: (e: Error) => void) {
    this.worker = new Worker(WORKER_SCRIPT, { workerData: { file } });
    this.worker.unref();
    this.worker.on('message', (m: { error?: string }) => {
      if (m.error !== undefined) onError(new Error(m.error));
      if (--this.inFlight === 0) this.drained?.();
    });
    const die = (e: Error) => {
      if (this.lost) return;
      this.lost = true;
      this.inFlight = 0;
      this.drained?.();
      onError(e);
    };
    this.worker.on('error', die);
    this.worker.on('exit', (code) => die(new Error(`binding writer thread exited with code ${code}`)));
  }

  write(batch: BindingBatch): void {
    if (this.lost) return this.fallback.write(batch);
    this.inFlight++;
    this.worker.postMessage(batch);
  }

  async close(): Promise<void> {
    if (!this.lost && this.inFlight > 0) await new Promise<void>((resolve) => { this.drained = resolve; });
    this.lost = true;
    await this.worker.terminate();
  }
}
