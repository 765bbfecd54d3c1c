// The lease-writer thread: commits groups of leases (one transaction, one fsync each) on its
// own SQLite connection, so the DHCP plane keeps receiving while the disk is busy.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { UPSERT_LEASE_SQL, type LeaseRow } from './leases.js';

const db = new Database((workerData as { file: string }).file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.pragma('busy_timeout = 5000');
const upsert = db.prepare(UPSERT_LEASE_SQL);
const writeAll = db.transaction((rows: LeaseRow[]) => {
  for (const row of rows) upsert.run(row);
});

parentPort?.on('message', (m: { id: number; rows: LeaseRow[] }) => {
  try {
    writeAll(m.rows);
    parentPort?.postMessage({ id: m.id });
  } catch (e) {
    parentPort?.postMessage({ id: m.id, error: (e as Error).message });
  }
});
