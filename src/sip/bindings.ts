// The local mirror of every SIP registration: what CUCM accepted while online, and what Outpost
// granted itself in survival. It is what lets Outpost answer for phones the moment the WAN fails.
import type { Db, Migration } from '../store/database.js';

export interface SipBinding {
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
}

export const SIP_MIGRATIONS: Migration[] = [{
  id: 'sip-001-bindings',
  sql: `CREATE TABLE sip_bindings (
    aor TEXT NOT NULL, contact TEXT NOT NULL, device_name TEXT, dn TEXT,
    call_id TEXT NOT NULL, cseq INTEGER NOT NULL, expires_at TEXT NOT NULL,
    served_by TEXT NOT NULL, source TEXT NOT NULL,
    PRIMARY KEY (aor, contact))`,
}];

export class BindingStore {
  private readonly upsert;
  private readonly remove;
  private readonly removeAll;

  constructor(private readonly db: Db) {
    this.upsert = db.prepare(`INSERT INTO sip_bindings (aor, contact, device_name, dn, call_id, cseq, expires_at, served_by, source)
      VALUES (@aor, @contact, @deviceName, @dn, @callId, @cseq, @expiresAt, @servedBy, @source)
      ON CONFLICT(aor, contact) DO UPDATE SET device_name = excluded.device_name, dn = excluded.dn, call_id = excluded.call_id,
        cseq = excluded.cseq, expires_at = excluded.expires_at, served_by = excluded.served_by, source = excluded.source`);
    this.remove = db.prepare('DELETE FROM sip_bindings WHERE aor = ? AND contact = ?');
    this.removeAll = db.prepare('DELETE FROM sip_bindings WHERE aor = ?');
  }

  save(b: SipBinding): void {
    this.upsert.run({ ...b, deviceName: b.deviceName ?? null, dn: b.dn ?? null });
  }

  delete(aor: string, contact?: string): void {
    if (contact === undefined) this.removeAll.run(aor);
    else this.remove.run(aor, contact);
  }

  list(): SipBinding[] {
    return (this.db.prepare('SELECT * FROM sip_bindings ORDER BY aor, contact').all() as Record<string, unknown>[]).map((r) => ({
      aor: r.aor as string, contact: r.contact as string, deviceName: (r.device_name as string) ?? undefined, dn: (r.dn as string) ?? undefined,
      callId: r.call_id as string, cseq: r.cseq as number, expiresAt: r.expires_at as string,
      servedBy: r.served_by as 'upstream' | 'local', source: r.source as string,
    }));
  }
}
