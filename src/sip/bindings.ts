// The local mirror of every SIP registration: what CUCM accepted while online, and what Outpost
// granted itself in survival. It is what lets Outpost answer for phones the moment the WAN fails.
// Lookups are served from memory; changes reach SQLite in one transaction per short interval,
// written by a worker thread, so a burst of REGISTERs costs one fsync instead of one each and
// never waits for the disk (registrations are soft state: a phone refreshes its binding long
// before it expires, so losing the last fraction of a second to a power cut costs nothing).
import type { Db, Migration } from '../store/database.js';
import type { TransportName } from './transport.js';
import { openWriteBehind, type WriteBehind } from '../store/write-behind.js';

export interface SipBinding {
  protocol: 'sip';
  aor: string;
  contact: string;
  deviceName?: string;
  dn?: string;
  callId: string;
  cseq: number;
  expiresAt: string;
  servedBy: 'upstream' | 'local';
  /** Where the phone's requests come from (ip:port), for requests routed back to it. */
  source: string;
  transport: TransportName;
  /** Flow token naming the phone's connection (or address), used in Path and Record-Route. */
  flow: string;
  /** The phone's last REGISTER, replayed upstream when phones are handed back (kept off the JS heap). */
  register?: Buffer;
}

export const SIP_MIGRATIONS: Migration[] = [{
  id: 'sip-001-bindings',
  sql: `CREATE TABLE sip_bindings (
    aor TEXT NOT NULL, contact TEXT NOT NULL, device_name TEXT, dn TEXT,
    call_id TEXT NOT NULL, cseq INTEGER NOT NULL, expires_at TEXT NOT NULL,
    served_by TEXT NOT NULL, source TEXT NOT NULL,
    PRIMARY KEY (aor, contact))`,
}, {
  id: 'sip-002-binding-flow',
  sql: `ALTER TABLE sip_bindings ADD COLUMN transport TEXT NOT NULL DEFAULT 'udp';
    ALTER TABLE sip_bindings ADD COLUMN flow TEXT NOT NULL DEFAULT '';
    ALTER TABLE sip_bindings ADD COLUMN register TEXT;`,
}];

const UPSERT_BINDING_SQL = `INSERT INTO sip_bindings (aor, contact, device_name, dn, call_id, cseq, expires_at, served_by, source, transport, flow, register)
  VALUES (@aor, @contact, @deviceName, @dn, @callId, @cseq, @expiresAt, @servedBy, @source, @transport, @flow, @register)
  ON CONFLICT(aor, contact) DO UPDATE SET device_name = excluded.device_name, dn = excluded.dn, call_id = excluded.call_id,
    cseq = excluded.cseq, expires_at = excluded.expires_at, served_by = excluded.served_by, source = excluded.source,
    transport = excluded.transport, flow = excluded.flow, register = excluded.register`;
const DELETE_BINDING_SQL = 'DELETE FROM sip_bindings WHERE aor = ? AND contact = ?';
const DELETE_AOR_SQL = 'DELETE FROM sip_bindings WHERE aor = ?';

const FLUSH_MS = 200;
const key = (aor: string, contact: string) => `${aor}\n${contact}`;

export class BindingStore {
  private readonly byKey = new Map<string, SipBinding>();
  private readonly dirty = new Set<string>();
  private readonly removedAors = new Set<string>();
  private flushTimer: NodeJS.Timeout | undefined;

  private readonly writer: WriteBehind;

  constructor(db: Db, private readonly onWriteError: (e: Error) => void = () => undefined) {
    this.writer = openWriteBehind(db, onWriteError);
    const rows = db.prepare('SELECT * FROM sip_bindings').all() as Record<string, unknown>[];
    for (const r of rows) {
      const b: SipBinding = {
        protocol: 'sip', aor: r.aor as string, contact: r.contact as string, callId: r.call_id as string, cseq: r.cseq as number,
        expiresAt: r.expires_at as string, servedBy: r.served_by as 'upstream' | 'local', source: r.source as string,
        transport: (r.transport as TransportName) ?? 'udp', flow: (r.flow as string) ?? '',
      };
      if (r.device_name) b.deviceName = r.device_name as string;
      if (r.dn) b.dn = r.dn as string;
      if (r.register) b.register = Buffer.isBuffer(r.register) ? r.register : Buffer.from(String(r.register), 'utf8');
      this.byKey.set(key(b.aor, b.contact), b);
    }
  }

  save(b: SipBinding): void {
    const k = key(b.aor, b.contact);
    this.byKey.set(k, b);
    this.dirty.add(k);
    this.schedule();
  }

  delete(aor: string, contact?: string): void {
    if (contact === undefined) {
      for (const [k, b] of this.byKey) if (b.aor === aor) { this.byKey.delete(k); this.dirty.add(k); }
      this.removedAors.add(aor);
    } else {
      const k = key(aor, contact);
      this.byKey.delete(k);
      this.dirty.add(k);
    }
    this.schedule();
  }

  get(aor: string, contact: string): SipBinding | undefined {
    return this.byKey.get(key(aor, contact));
  }

  /** Unexpired bindings whose DN or AoR user is `number`, most recently refreshed first. */
  findByNumber(number: string, now = Date.now()): SipBinding[] {
    const out: SipBinding[] = [];
    for (const b of this.byKey.values()) {
      if (Date.parse(b.expiresAt) <= now) continue;
      if (b.dn === number || aorUser(b.aor) === number) out.push(b);
    }
    return out.sort((a, b) => b.expiresAt.localeCompare(a.expiresAt));
  }

  /** The binding whose contact is exactly this URI (a request CUCM sends straight to a phone). */
  findByContact(contact: string): SipBinding | undefined {
    for (const b of this.byKey.values()) if (b.contact === contact) return b;
    return undefined;
  }

  /** Whether any binding, even an expired one, ever existed for this number. */
  knowsNumber(number: string): boolean {
    for (const b of this.byKey.values()) if (b.dn === number || aorUser(b.aor) === number) return true;
    return false;
  }

  /** Forgets bindings that expired before `cutoff` (ms since epoch); returns how many. */
  purgeExpired(cutoff: number): number {
    let n = 0;
    for (const [k, b] of this.byKey) {
      if (Date.parse(b.expiresAt) >= cutoff) continue;
      this.byKey.delete(k);
      this.dirty.add(k);
      n++;
    }
    if (n > 0) this.schedule();
    return n;
  }

  list(): SipBinding[] {
    return [...this.byKey.values()].sort((a, b) => a.aor.localeCompare(b.aor) || a.contact.localeCompare(b.contact));
  }

  /** Hands pending changes to the writer as one transaction. */
  flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.dirty.size === 0 && this.removedAors.size === 0) return;
    const upsert: Record<string, unknown>[] = [];
    const remove: string[][] = [];
    for (const k of this.dirty) {
      const b = this.byKey.get(k);
      if (b) {
        upsert.push({ aor: b.aor, contact: b.contact, deviceName: b.deviceName ?? null, dn: b.dn ?? null, callId: b.callId, cseq: b.cseq,
          expiresAt: b.expiresAt, servedBy: b.servedBy, source: b.source, transport: b.transport, flow: b.flow, register: b.register ?? null });
      } else {
        remove.push(k.split('\n'));
      }
    }
    const removeAors = [...this.removedAors].map((aor) => [aor]);
    this.dirty.clear();
    this.removedAors.clear();
    this.writer.write([{ sql: DELETE_AOR_SQL, rows: removeAors }, { sql: DELETE_BINDING_SQL, rows: remove }, { sql: UPSERT_BINDING_SQL, rows: upsert }])
      .catch((e: unknown) => this.onWriteError(e as Error));
  }

  /** Writes what is pending and waits until it is on disk. */
  close(): Promise<void> {
    this.flush();
    return this.writer.close();
  }

  private schedule(): void {
    if (this.flushTimer) return;
    this.flushTimer = setTimeout(() => this.flush(), FLUSH_MS);
    this.flushTimer.unref();
  }
}

/** `sip:2001@host` -> `2001`. */
export function aorUser(aor: string): string | undefined {
  const m = /^sips?:([^@;]+)@/i.exec(aor);
  return m ? m[1] : undefined;
}
