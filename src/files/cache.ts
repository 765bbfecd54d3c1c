// The file cache: content-addressed by sha256 under dataDir/files, indexed in SQLite by the
// case-folded name phones ask for. A file is written to a temporary name, fsynced, hashed and
// renamed; a copy whose hash does not verify is never served. Verified copies stay in memory
// (up to a budget) so a boot storm reads each file from disk once.
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, readdirSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { join } from 'node:path';
import type { Db, Migration } from '../store/database.js';

export const FILE_CACHE_MIGRATIONS: Migration[] = [{
  id: 'files-001-cache',
  sql: `CREATE TABLE file_cache (
    key TEXT PRIMARY KEY, name TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL,
    fetched_at TEXT NOT NULL, last_served_at TEXT)`,
}, {
  id: 'files-002-freshness',
  sql: `ALTER TABLE file_cache ADD COLUMN validated_at TEXT;
    ALTER TABLE file_cache ADD COLUMN etag TEXT;
    ALTER TABLE file_cache ADD COLUMN last_modified TEXT;`,
}];

export interface CachedFile {
  name: string;
  sha256: string;
  size: number;
  fetchedAt: string;
  /** Last time CUCM confirmed this copy is current (a fetch or a revalidation). */
  validatedAt: string;
  lastServedAt?: string;
  /** HTTP validators from CUCM's :6970, for conditional GETs. */
  etag?: string;
  lastModified?: string;
}

export interface Validators {
  etag?: string;
  lastModified?: string;
}

/** CUCM matches names case-insensitively; so does the cache. */
export const cacheKey = (name: string) => name.toLowerCase();

const COLUMNS = `name, sha256, size, fetched_at AS fetchedAt, COALESCE(validated_at, fetched_at) AS validatedAt,
  last_served_at AS lastServedAt, etag, last_modified AS lastModified`;
const SERVED_FLUSH_MS = 5000;

export class FileCache {
  private readonly objects: string;
  private readonly tmp: string;
  /** Verified contents by sha256, least recently used first. */
  private readonly hot = new Map<string, Buffer>();
  private hotBytes = 0;
  private served = new Map<string, string>();
  private servedTimer: NodeJS.Timeout | undefined;
  /** Index rows whose objects are durable, committed together in one transaction. */
  private pendingRows: { row: CachedFile; done: (error?: Error) => void }[] = [];

  constructor(private readonly db: Db, dataDir: string, private readonly opts: { diskBudgetBytes: number; memoryBudgetBytes?: number }) {
    this.objects = join(dataDir, 'files', 'objects');
    this.tmp = join(dataDir, 'files', 'tmp');
    mkdirSync(this.objects, { recursive: true });
    mkdirSync(this.tmp, { recursive: true });
    // A crash mid-write leaves only temporary files behind; they were never indexed.
    for (const f of readdirSync(this.tmp)) rmSync(join(this.tmp, f), { force: true });
  }

  /**
   * Stores a complete file durably, then points the name at it. The disk work runs off the
   * event loop (a boot storm's transfers keep flowing), and the index rows of files stored at
   * about the same time are committed in one transaction.
   */
  async put(name: string, data: Buffer, validators: Validators = {}): Promise<CachedFile> {
    const sha256 = createHash('sha256').update(data).digest('hex');
    const tmpPath = join(this.tmp, `${sha256}.${randomBytes(4).toString('hex')}`);
    const file = await open(tmpPath, 'w', 0o644);
    try {
      await file.writeFile(data);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmpPath, join(this.objects, sha256));
    const dir = await open(this.objects, 'r');
    try { await dir.sync(); } finally { await dir.close(); }
    const now = new Date().toISOString();
    const row: CachedFile = { name, sha256, size: data.length, fetchedAt: now, validatedAt: now, ...validators };
    await new Promise<void>((resolve, reject) => {
      this.pendingRows.push({ row, done: (error) => (error ? reject(error) : resolve()) });
      if (this.pendingRows.length === 1) setImmediate(() => this.commitRows());
    });
    this.remember(sha256, data);
    return row;
  }

  private commitRows(): void {
    const batch = this.pendingRows;
    this.pendingRows = [];
    const upsert = this.db.prepare(`INSERT INTO file_cache (key, name, sha256, size, fetched_at, validated_at, etag, last_modified) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
      ON CONFLICT(key) DO UPDATE SET name = excluded.name, sha256 = excluded.sha256, size = excluded.size, fetched_at = excluded.fetched_at,
        validated_at = excluded.validated_at, etag = excluded.etag, last_modified = excluded.last_modified`);
    const replaced: string[] = [];
    try {
      // IMMEDIATE: this transaction reads before it writes, and the database's writer thread
      // commits meanwhile; a deferred one would fail at once instead of waiting its turn.
      this.db.transaction(() => {
        for (const { row } of batch) {
          const previous = this.entry(row.name);
          if (previous && previous.sha256 !== row.sha256) replaced.push(previous.sha256);
          upsert.run(cacheKey(row.name), row.name, row.sha256, row.size, row.fetchedAt, row.validatedAt, row.etag ?? null, row.lastModified ?? null);
        }
      }).immediate();
    } catch (e) {
      for (const { done } of batch) done(e as Error);
      return;
    }
    for (const sha of replaced) this.dropObjectIfUnused(sha);
    for (const { done } of batch) done();
  }

  entry(name: string): CachedFile | undefined {
    const row = this.db.prepare(`SELECT ${COLUMNS} FROM file_cache WHERE key = ?`).get(cacheKey(name)) as CachedFile | undefined;
    return row ? withoutNulls(row) : undefined;
  }

  /** The cached bytes for a name, verified against their hash; undefined when absent or corrupt. */
  get(name: string): { entry: CachedFile; data: Buffer } | undefined {
    const entry = this.entry(name);
    if (!entry) return undefined;
    const data = this.load(entry.sha256);
    if (!data) return undefined;
    this.served.set(cacheKey(name), new Date().toISOString());
    this.servedTimer ??= setTimeout(() => this.flushServed(), SERVED_FLUSH_MS).unref();
    return { entry, data };
  }

  /** CUCM confirmed the cached copy is current. */
  markValidated(name: string): void {
    this.db.prepare('UPDATE file_cache SET validated_at = ? WHERE key = ?').run(new Date().toISOString(), cacheKey(name));
  }

  /** CUCM no longer has the file: forget it. */
  remove(name: string): void {
    const entry = this.entry(name);
    if (!entry) return;
    this.db.prepare('DELETE FROM file_cache WHERE key = ?').run(cacheKey(name));
    this.dropObjectIfUnused(entry.sha256);
  }

  list(): CachedFile[] {
    this.flushServed();
    return (this.db.prepare(`SELECT ${COLUMNS} FROM file_cache ORDER BY name`).all() as CachedFile[]).map(withoutNulls);
  }

  /** Bytes on disk (each distinct content once). */
  diskBytes(): number {
    return (this.db.prepare('SELECT COALESCE(SUM(size), 0) FROM (SELECT DISTINCT sha256, size FROM file_cache)').pluck().get() as number);
  }

  /**
   * Evicts least recently used files until the cache fits its disk budget. Files `keep` names
   * (those of known phones) are never evicted. Returns the evicted names.
   */
  evict(keep: (name: string) => boolean): string[] {
    this.flushServed();
    let excess = this.diskBytes() - this.opts.diskBudgetBytes;
    if (excess <= 0) return [];
    const rows = this.db.prepare(`SELECT name, sha256, size FROM file_cache ORDER BY COALESCE(last_served_at, fetched_at)`).all() as { name: string; sha256: string; size: number }[];
    const evicted: string[] = [];
    for (const r of rows) {
      if (excess <= 0) break;
      if (keep(r.name)) continue;
      this.db.prepare('DELETE FROM file_cache WHERE key = ?').run(cacheKey(r.name));
      if (this.dropObjectIfUnused(r.sha256)) excess -= r.size;
      evicted.push(r.name);
    }
    return evicted;
  }

  close(): void {
    this.flushServed();
  }

  private load(sha256: string): Buffer | undefined {
    const hot = this.hot.get(sha256);
    if (hot) {
      this.hot.delete(sha256); // re-insert: most recently used last
      this.hot.set(sha256, hot);
      return hot;
    }
    let data: Buffer;
    try {
      data = readFileSync(join(this.objects, sha256));
    } catch {
      return undefined;
    }
    if (createHash('sha256').update(data).digest('hex') !== sha256) return undefined;
    return this.remember(sha256, data);
  }

  /**
   * Keeps a verified file in memory (within the memory budget); TFTP transfer threads serve
   * these very bytes, without a copy per phone. Returns the bytes to serve.
   */
  private remember(sha256: string, data: Buffer): Buffer {
    const budget = this.opts.memoryBudgetBytes ?? 128 * 1024 * 1024;
    const known = this.hot.get(sha256);
    if (known) return known;
    if (data.length > budget) return data;
    this.hot.set(sha256, data);
    this.hotBytes += data.length;
    for (const [k, v] of this.hot) {
      if (this.hotBytes <= budget) break;
      this.hot.delete(k);
      this.hotBytes -= v.length;
    }
    return data;
  }

  /** Deletes a content object no name points at any more; true when it was deleted. */
  private dropObjectIfUnused(sha256: string): boolean {
    const used = this.db.prepare('SELECT 1 FROM file_cache WHERE sha256 = ? LIMIT 1').get(sha256);
    if (used) return false;
    const hot = this.hot.get(sha256);
    if (hot) {
      this.hot.delete(sha256);
      this.hotBytes -= hot.length;
    }
    rmSync(join(this.objects, sha256), { force: true });
    return true;
  }

  /** Serve times are history, not promises: written together rather than one fsync per request. */
  private flushServed(): void {
    if (this.servedTimer) clearTimeout(this.servedTimer);
    this.servedTimer = undefined;
    if (this.served.size === 0) return;
    const served = this.served;
    this.served = new Map();
    const update = this.db.prepare('UPDATE file_cache SET last_served_at = ? WHERE key = ?');
    try {
      this.db.transaction(() => { for (const [key, at] of served) update.run(at, key); })();
    } catch {
      // The database stayed busy past its timeout: these serve times only order evictions.
    }
  }
}

function withoutNulls(row: CachedFile): CachedFile {
  return Object.fromEntries(Object.entries(row).filter(([, v]) => v !== null)) as unknown as CachedFile;
}

