// Shared by the DHCP tests: the real DORA capture, tshark as the independent decoder, a
// minimal pcap writer for frames Outpost builds, and throwaway SQLite databases.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { readCapture, type CapturedFrame } from '../../../src/util/pcap.js';
import { DHCP_MIGRATIONS } from '../../../src/dhcp/leases.js';

export const DORA_PCAP = 'test/fixtures/pcap/dhcp/dhcp_dora_option150_tftp_servers_rfc5859.pcap';

export function doraFrames(): CapturedFrame[] {
  const capture = readCapture(readFileSync(DORA_PCAP));
  if (!capture.ok) throw new Error(capture.error);
  return capture.frames;
}

/** Fields of each packet as tshark reads them, all occurrences joined by commas. */
export function tsharkFields(file: string, fields: string[], prefs: string[] = []): string[][] {
  const args = ['-r', file, ...prefs.flatMap((p) => ['-o', p]), '-T', 'fields', '-E', 'separator=/t', '-E', 'occurrence=a', '-E', 'aggregator=,'];
  for (const f of fields) args.push('-e', f);
  const out = execFileSync('tshark', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return out.split('\n').filter((l) => l !== '').map((l) => l.split('\t'));
}

/** Classic little-endian pcap, microsecond stamps, Ethernet link type. */
export function writePcap(file: string, frames: Buffer[]): void {
  const header = Buffer.alloc(24);
  header.writeUInt32LE(0xa1b2c3d4, 0);
  header.writeUInt16LE(2, 4);
  header.writeUInt16LE(4, 6);
  header.writeUInt32LE(65535, 16);
  header.writeUInt32LE(1, 20);
  const records = frames.map((frame, i) => {
    const rec = Buffer.alloc(16);
    rec.writeUInt32LE(1_700_000_000 + i, 0);
    rec.writeUInt32LE(frame.length, 8);
    rec.writeUInt32LE(frame.length, 12);
    return Buffer.concat([rec, frame]);
  });
  writeFileSync(file, Buffer.concat([header, ...records]));
}

export interface TempDir {
  path: string;
  remove(): void;
}

export function tempDir(prefix: string): TempDir {
  const path = mkdtempSync(join(tmpdir(), `outpost-${prefix}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Opens the database the way the daemon does: WAL, synchronous FULL, DHCP tables created. */
export function openLeaseDb(file: string): Database.Database {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  for (const sql of DHCP_MIGRATIONS) db.exec(sql);
  return db;
}

/** What another process reading the database file sees: only what was committed. */
export function leaseOnDisk(file: string, address: string): { mac: string; state: string; expiresAt: number } | undefined {
  const reader = new Database(file, { readonly: true });
  try {
    return reader.prepare('SELECT mac, state, expires_at AS expiresAt FROM dhcp_leases WHERE address = ?').get(address) as
      { mac: string; state: string; expiresAt: number } | undefined;
  } finally {
    reader.close();
  }
}

export { prng } from '../../support/prng.js';
