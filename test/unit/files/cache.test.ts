import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { FILE_CACHE_MIGRATIONS, FileCache } from '../../../src/files/cache.js';
import { openDatabase, type Db } from '../../../src/store/database.js';

const dirs: string[] = [];
const dbs: Db[] = [];
const caches: FileCache[] = [];
function fresh(budget = 1 << 30): { dir: string; db: Db; cache: FileCache } {
  const dir = mkdtempSync(join(tmpdir(), 'outpost-cache-'));
  dirs.push(dir);
  const db = openDatabase(dir, FILE_CACHE_MIGRATIONS);
  dbs.push(db);
  const cache = new FileCache(db, dir, { diskBudgetBytes: budget });
  caches.push(cache);
  return { dir, db, cache };
}
afterEach(() => {
  // Each cache writes its pending serve times (a timer's work) before its database closes.
  for (const cache of caches.splice(0)) cache.close();
  for (const db of dbs.splice(0)) db.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('file cache', () => {
  it('finds a name in any case, as CUCM does', async () => {
    const { cache } = fresh();
    await cache.put('SEP001122334455.cnf.xml', Buffer.from('<device/>'));
    expect(cache.get('sep001122334455.CNF.XML')?.data.toString()).toBe('<device/>');
  });

  it('never serves a copy whose hash does not verify', async () => {
    const { dir, db, cache } = fresh();
    const e = await cache.put('load.bin', Buffer.alloc(1000, 7));
    writeFileSync(join(dir, 'files', 'objects', e.sha256), Buffer.alloc(1000, 8));
    // A new process reads the object from disk again.
    expect(new FileCache(db, dir, { diskBudgetBytes: 1 << 30 }).get('load.bin')).toBeUndefined();
  });

  it('drops temporary files a crash left behind, which were never indexed', async () => {
    const { dir, db } = fresh();
    writeFileSync(join(dir, 'files', 'tmp', 'abc.partial'), 'half a load');
    new FileCache(db, dir, { diskBudgetBytes: 1 << 30 });
    expect(readdirSync(join(dir, 'files', 'tmp'))).toEqual([]);
  });

  it('evicts least recently used files beyond the budget, never the ones it must keep', async () => {
    const { cache } = fresh(2500);
    await cache.put('SEP001122334455.cnf.xml', Buffer.alloc(1000, 1));
    await cache.put('old.bin', Buffer.alloc(1000, 2));
    await cache.put('new.bin', Buffer.alloc(1000, 3));
    const evicted = cache.evict((n) => n.startsWith('SEP'));
    expect(evicted).toEqual(['old.bin']);
    expect(cache.list().map((f) => f.name).sort()).toEqual(['SEP001122334455.cnf.xml', 'new.bin']);
    expect(cache.diskBytes()).toBe(2000);
  });

  it('stores identical contents once and keeps them while any name points at them', async () => {
    const { cache } = fresh();
    await cache.put('a.xml', Buffer.from('same'));
    await cache.put('b.xml', Buffer.from('same'));
    cache.remove('a.xml');
    expect(cache.get('b.xml')?.data.toString()).toBe('same');
    expect(cache.diskBytes()).toBe(4);
  });
});
