// The database writer thread: applies each group of writes in one transaction (one fsync) on
// its own SQLite connection, in the order they were sent.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { groupApplier, type Write } from './write-behind.js';

const db = new Database((workerData as { file: string }).file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.pragma('busy_timeout = 5000');
const apply = groupApplier(db);

parentPort?.on('message', (m: { id: number; writes: Write[] }) => {
  try {
    apply(m.writes);
    parentPort?.postMessage({ id: m.id });
  } catch (e) {
    parentPort?.postMessage({ id: m.id, error: (e as Error).message });
  }
});
