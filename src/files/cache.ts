// The file cache: content-addressed by sha256 under dataDir/files, indexed in SQLite by the
// case-folded name phones ask for. A file is written to a temporary name, fsynced, hashed and
// renamed; a copy whose hash no longer verifies is never served.
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, writeSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Db, Migration } from '../store/database.js';

export const FILE_CACHE_MIGRATIONS: Migration[] = [{
  id: 'files-001-cache',
  sql: `CREATE TABLE file_cache (
    key TEXT PRIMARY KEY, name TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL,
    fetched_at TEXT NOT NULL, last_served_at TEXT)`,
}];

export interface CachedFile {
  name: string;
  sha256: string;
  size: number;
  fetchedAt: string;
  lastServedAt?: string;
}

/** CUCM matches names case-insensitively; so does the cache. */
export const cacheKey = (name: string) => name.toLowerCase();

export class FileCache {
  private readonly objects: string;
  private readonly tmp: string;

  constructor(private readonly db: Db, dataDir: string) {
    this.objects = join(dataDir, 'files', 'objects');
    this.tmp = join(dataDir, 'files', 'tmp');
    mkdirSync(this.objects, { recursive: true });
    mkdirSync(this.tmp, { recursive: true });
    // A crash mid-write leaves only temporary files behind; they were never indexed.
    for (const f of readdirSync(this.tmp)) rmSync(join(this.tmp, f), { force: true });
  }

  /** Stores a complete file durably, then points the name at it. */
  put(name: string, data: Buffer): CachedFile {
    const sha256 = createHash('sha256').update(data).digest('hex');
    const tmpPath = join(this.tmp, `${sha256}.${randomBytes(4).toString('hex')}`);
    const fd = openSync(tmpPath, 'w', 0o644);
    try {
      for (let off = 0; off < data.length;) off += writeSync(fd, data, off);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmpPath, join(this.objects, sha256));
    syncDir(this.objects);
    const entry: CachedFile = { name, sha256, size: data.length, fetchedAt: new Date().toISOString() };
    this.db.prepare(`INSERT INTO file_cache (key, name, sha256, size, fetched_at) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT(key) DO UPDATE SET name = excluded.name, sha256 = excluded.sha256, size = excluded.size, fetched_at = excluded.fetched_at`)
      .run(cacheKey(name), name, sha256, data.length, entry.fetchedAt);
    return entry;
  }

  /** The cached bytes for a name, verified against their hash; undefined when absent or corrupt. */
  get(name: string): { entry: CachedFile; data: Buffer } | undefined {
    const row = this.db.prepare('SELECT name, sha256, size, fetched_at AS fetchedAt, last_served_at AS lastServedAt FROM file_cache WHERE key = ?')
      .get(cacheKey(name)) as CachedFile | undefined;
    if (!row) return undefined;
    let data: Buffer;
    try {
      data = readFileSync(join(this.objects, row.sha256));
    } catch {
      return undefined;
    }
    if (createHash('sha256').update(data).digest('hex') !== row.sha256) return undefined;
    this.db.prepare('UPDATE file_cache SET last_served_at = ? WHERE key = ?').run(new Date().toISOString(), cacheKey(name));
    return { entry: row, data };
  }

  list(): CachedFile[] {
    return this.db.prepare('SELECT name, sha256, size, fetched_at AS fetchedAt, last_served_at AS lastServedAt FROM file_cache ORDER BY name').all() as CachedFile[];
  }
}

function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try { fsyncSync(fd); } finally { closeSync(fd); }
}
