// One SQLite database under dataDir. WAL with synchronous=FULL: a committed transaction is
// on disk when commit returns, which is what "durable before the ACK leaves" relies on.
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

export type Db = Database.Database;

/** A named schema step; each plane owns its own, applied once in the order given. */
export interface Migration {
  id: string;
  sql: string;
}

export function openDatabase(dataDir: string, migrations: Migration[]): Db {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(join(dataDir, 'outpost.db'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 2000');
  migrate(db, migrations);
  return db;
}

export function migrate(db: Db, migrations: Migration[]): void {
  db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (id TEXT PRIMARY KEY, applied_at TEXT NOT NULL)');
  const applied = new Set(db.prepare('SELECT id FROM schema_migrations').pluck().all() as string[]);
  const record = db.prepare('INSERT INTO schema_migrations (id, applied_at) VALUES (?, ?)');
  for (const m of migrations) {
    if (applied.has(m.id)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      record.run(m.id, new Date().toISOString());
    })();
  }
}
