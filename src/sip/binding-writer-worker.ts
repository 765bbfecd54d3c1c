// The binding-writer thread: applies groups of binding changes (one transaction, one fsync
// each) on its own SQLite connection, so the SIP plane keeps answering while the disk is busy.
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { batchWriter, type BindingBatch } from './binding-writer.js';

const db = new Database((workerData as { file: string }).file);
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.pragma('busy_timeout = 5000');
const apply = batchWriter(db);

parentPort?.on('message', (batch: BindingBatch) => {
  try {
    apply(batch);
    parentPort?.postMessage({});
  } catch (e) {
    parentPort?.postMessage({ error: (e as Error).message });
  }
});
