// Write-behind for SQLite: groups of statements applied in one transaction (one fsync) on a
// worker thread with its own connection, so a busy disk never stalls the event loop that
// answers phones. DHCP waits for its group before sending ACKs; the SIP binding mirror and
// the phone inventory only need their writes ordered and eventually on disk. Run from
// TypeScript sources (tests) the worker script does not exist, and the same transaction runs
// on the caller's connection.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Statement } from 'better-sqlite3';
import type { Db } from './database.js';

/** One statement and the parameter sets to run it with: an array (positional) or an object (named) per run. */
export interface Write {
  sql: string;
  rows: readonly (readonly unknown[] | object)[];
}

export interface WriteBehind {
  /** Applies the writes in one transaction; resolves once they are on disk, rejects when they are not. */
  write(writes: Write[]): Promise<void>;
  /** Resolves once everything written so far has been applied (or failed). */
  drain(): Promise<void>;
  close(): Promise<void>;
}

/** The transaction that applies one group on a connection (the worker's or the caller's). */
export function groupApplier(db: Db): (writes: Write[]) => void {
  const statements = new Map<string, Statement<unknown[]>>();
  const prepared = (sql: string) => {
    let s = statements.get(sql);
    if (!s) statements.set(sql, (s = db.prepare<unknown[]>(sql)));
    return s;
  };
  return db.transaction((writes: Write[]) => {
    for (const w of writes) {
      const s = prepared(w.sql);
      for (const row of w.rows) {
        if (Array.isArray(row)) s.run(...(row as unknown[]));
        else s.run(row);
      }
    }
  });
}

const WORKER_SCRIPT = new URL('./write-behind-worker.js', import.meta.url);

/** One writer per database, shared by everything that writes behind: one thread, one queue, no lock contention between writers. */
const shared = new WeakMap<Db, { behind: WriteBehind; lost: Set<(error: Error) => void>; users: number }>();

/**
 * A handle on the database's write-behind queue. `onLost` hears once that the thread died;
 * later groups then run on the caller's connection.
 */
export function openWriteBehind(db: Db, onLost: (error: Error) => void): WriteBehind {
  let queue = shared.get(db);
  if (!queue) {
    const lost = new Set<(error: Error) => void>();
    const inline = new InlineWriteBehind(db);
    const behind = db.memory || !existsSync(fileURLToPath(WORKER_SCRIPT)) ? inline : new ThreadWriteBehind(db.name, inline, (e) => { for (const l of lost) l(e); });
    queue = { behind, lost, users: 0 };
    shared.set(db, queue);
  }
  const q = queue;
  q.users++;
  q.lost.add(onLost);
  let closed = false;
  return {
    write: (writes) => q.behind.write(writes),
    drain: () => q.behind.drain(),
    async close() {
      if (closed) return;
      closed = true;
      q.lost.delete(onLost);
      await q.behind.drain();
      if (--q.users > 0) return;
      shared.delete(db);
      await q.behind.close();
    },
  };
}

class InlineWriteBehind implements WriteBehind {
  private readonly apply: (writes: Write[]) => void;

  constructor(db: Db) {
    this.apply = groupApplier(db);
  }

  write(writes: Write[]): Promise<void> {
    try {
      this.apply(writes);
      return Promise.resolve();
    } catch (e) {
      return Promise.reject(e as Error);
    }
  }

  drain(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

class ThreadWriteBehind implements WriteBehind {
  private readonly worker: Worker;
  private readonly waiting = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  private nextId = 1;
  private drained: (() => void)[] = [];
  /** Set when the thread died: later groups go to the caller's connection instead. */
  private lost = false;

  constructor(file: string, private readonly fallback: WriteBehind, onLost: (error: Error) => void) {
    this.worker = new Worker(WORKER_SCRIPT, { workerData: { file } });
    this.worker.unref();
    this.worker.on('message', (m: { id: number; error?: string }) => {
      const w = this.waiting.get(m.id);
      if (!w) return;
      this.waiting.delete(m.id);
      if (m.error === undefined) w.resolve();
      else w.reject(new Error(m.error));
      this.notifyIfDrained();
    });
    const die = (error: Error) => {
      if (this.lost) return;
      this.lost = true;
      // What was in flight may or may not be on disk: nobody may act as if it were.
      for (const w of this.waiting.values()) w.reject(error);
      this.waiting.clear();
      this.notifyIfDrained();
      onLost(error);
    };
    this.worker.on('error', die);
    this.worker.on('exit', (code) => die(new Error(`database writer thread exited with code ${code}`)));
  }

  write(writes: Write[]): Promise<void> {
    if (this.lost) return this.fallback.write(writes);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.worker.postMessage({ id, writes });
    });
  }

  drain(): Promise<void> {
    if (this.waiting.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drained.push(resolve));
  }

  async close(): Promise<void> {
    await this.drain();
    this.lost = true;
    await this.worker.terminate();
  }

  private notifyIfDrained(): void {
    if (this.waiting.size > 0) return;
    for (const resolve of this.drained.splice(0)) resolve();
  }
}
