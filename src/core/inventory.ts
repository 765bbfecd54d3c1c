// The phone inventory: the one place that maps MAC <-> device name <-> IP <-> DN <-> registration,
// and each phone's journey (timestamped events per boot step) that every plane feeds.
import { EventEmitter } from 'node:events';
import type { Db, Migration } from '../store/database.js';
import { openWriteBehind, type WriteBehind } from '../store/write-behind.js';
import { parseMac } from '../util/mac.js';

export type JourneyStep = 'link' | 'power' | 'dhcp' | 'tftp' | 'http' | 'register' | 'call' | 'wan';
export type JourneyOutcome = 'ok' | 'fail' | 'info';

export interface JourneyEvent {
  at: string;
  step: JourneyStep;
  outcome: JourneyOutcome;
  detail: string;
}

export interface Registration {
  protocol: 'sip' | 'sccp';
  /** Who answered the phone's last registration: CUCM through Outpost, or Outpost itself. */
  servedBy: 'upstream' | 'local';
  contact?: string;
  expiresAt?: string;
}

/** A call-control server named in the phone's own cnf.xml (before Outpost rewrote it). */
export interface CallManager {
  host: string;
  sipPort?: number;
  sccpPort?: number;
}

export interface Phone {
  deviceName: string;
  mac: string;
  ip?: string;
  /** Directory number of line 1. */
  dn?: string;
  /** Every line's directory number, from the cnf.xml or the registration. */
  lines?: string[];
  /** The CUCM members the phone's cnf.xml names: where Outpost relays its registration. */
  callManagers?: CallManager[];
  /** `sip` or `sccp`, from the cnf.xml or the first registration seen. */
  protocol?: 'sip' | 'sccp';
  model?: string;
  firmware?: string;
  registration?: Registration;
  firstSeen: string;
  lastSeen: string;
  lastEvent?: JourneyEvent;
}

/** How a plane names the phone it saw: any one identity is enough. */
export type PhoneKey = { mac: string } | { deviceName: string } | { ip: string };

export type PhoneFields = Partial<Pick<Phone, 'ip' | 'dn' | 'lines' | 'callManagers' | 'protocol' | 'model' | 'firmware' | 'registration'>>;

export const INVENTORY_MIGRATIONS: Migration[] = [{
  id: 'core-001-phones',
  sql: `
    CREATE TABLE phones (
      device_name TEXT PRIMARY KEY,
      mac TEXT NOT NULL UNIQUE,
      fields TEXT NOT NULL,
      first_seen TEXT NOT NULL,
      last_seen TEXT NOT NULL
    );
    CREATE TABLE journey (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      device_name TEXT NOT NULL,
      at TEXT NOT NULL,
      step TEXT NOT NULL,
      outcome TEXT NOT NULL,
      detail TEXT NOT NULL
    );
    CREATE INDEX journey_by_phone ON journey (device_name, id);`,
}];

const UPSERT_PHONE_SQL = `INSERT INTO phones (device_name, mac, fields, first_seen, last_seen) VALUES (?, ?, ?, ?, ?)
  ON CONFLICT(device_name) DO UPDATE SET fields = excluded.fields, last_seen = excluded.last_seen`;
const INSERT_EVENT_SQL = 'INSERT INTO journey (device_name, at, step, outcome, detail) VALUES (?, ?, ?, ?, ?)';
const TRIM_JOURNEY_SQL = 'DELETE FROM journey WHERE device_name = ? AND id <= (SELECT id FROM journey WHERE device_name = ? ORDER BY id DESC LIMIT 1 OFFSET ?)';

const JOURNEY_KEEP = 500;
// A journey is trimmed back to JOURNEY_KEEP once it is this much longer, not on every write:
// a boot storm then costs one insert per event rather than an insert and a delete.
const JOURNEY_SLACK = 100;
const FLUSH_MS = 250;

/** 12 upper-case hex digits, or undefined if the text is not a MAC address. */
export function normalizeMac(text: string): string | undefined {
  return parseMac(text)?.toString('hex').toUpperCase();
}

/** `SEP001122334455` -> `001122334455`. */
export function macFromDeviceName(name: string): string | undefined {
  const m = /^SEP([0-9A-F]{12})$/i.exec(name);
  return m ? m[1].toUpperCase() : undefined;
}

export class Inventory extends EventEmitter<{ event: [Phone, JourneyEvent] }> {
  private readonly phones = new Map<string, Phone>(); // by device name
  private readonly byMac = new Map<string, Phone>();
  private readonly byIp = new Map<string, Phone>();
  private pending: { deviceName: string; event: JourneyEvent }[] = [];
  private dirty = new Set<Phone>();
  private flushTimer: NodeJS.Timeout | undefined;
  /** Journey rows on disk per device name. */
  private readonly journeyRows = new Map<string, number>();
  private readonly writer: WriteBehind;

  constructor(private readonly db: Db, private readonly onWriteError: (e: Error) => void = () => undefined) {
    super();
    this.writer = openWriteBehind(db, onWriteError);
    for (const row of db.prepare('SELECT device_name, mac, fields, first_seen, last_seen FROM phones').all() as {
      device_name: string; mac: string; fields: string; first_seen: string; last_seen: string;
    }[]) {
      const phone: Phone = { ...JSON.parse(row.fields), deviceName: row.device_name, mac: row.mac, firstSeen: row.first_seen, lastSeen: row.last_seen };
      this.index(phone);
    }
    for (const row of db.prepare('SELECT device_name, count(*) AS n FROM journey GROUP BY device_name').all() as { device_name: string; n: number }[]) {
      this.journeyRows.set(row.device_name, row.n);
    }
  }

  list(): Phone[] {
    return [...this.phones.values()].sort((a, b) => a.deviceName.localeCompare(b.deviceName));
  }

  find(key: PhoneKey): Phone | undefined {
    if ('deviceName' in key) return this.phones.get(key.deviceName.toUpperCase());
    if ('mac' in key) {
      const mac = normalizeMac(key.mac);
      return mac ? this.byMac.get(mac) : undefined;
    }
    return this.byIp.get(key.ip);
  }

  /** Updates what is known of a phone, creating it when a MAC or SEP name identifies it. */
  update(key: PhoneKey, fields: PhoneFields = {}, now = new Date().toISOString()): Phone | undefined {
    let phone = this.find(key);
    if (!phone) {
      const mac = 'mac' in key ? normalizeMac(key.mac) : 'deviceName' in key ? macFromDeviceName(key.deviceName) : undefined;
      if (!mac) return undefined;
      phone = { deviceName: `SEP${mac}`, mac, firstSeen: now, lastSeen: now };
      this.index(phone);
    }
    if (fields.ip && fields.ip !== phone.ip) {
      if (phone.ip && this.byIp.get(phone.ip) === phone) this.byIp.delete(phone.ip);
      this.byIp.set(fields.ip, phone);
    }
    for (const name in fields) {
      const value = (fields as Record<string, unknown>)[name];
      if (value !== undefined) (phone as unknown as Record<string, unknown>)[name] = value;
    }
    phone.lastSeen = now;
    this.dirty.add(phone);
    this.scheduleFlush();
    return phone;
  }

  /** Adds an event to a phone's journey (and updates fields); unknown phones without a MAC are ignored. */
  record(key: PhoneKey, step: JourneyStep, outcome: JourneyOutcome, detail: string, fields?: PhoneFields): Phone | undefined {
    const at = new Date().toISOString();
    const phone = this.update(key, fields, at);
    if (!phone) return undefined;
    const event: JourneyEvent = { at, step, outcome, detail };
    phone.lastEvent = event;
    this.pending.push({ deviceName: phone.deviceName, event });
    this.emit('event', phone, event);
    return phone;
  }

  /** The phone's journey, oldest first, once everything recorded so far is on disk. */
  async journey(deviceName: string, limit = JOURNEY_KEEP): Promise<JourneyEvent[]> {
    this.flush();
    await this.writer.drain();
    const rows = this.db.prepare(
      'SELECT at, step, outcome, detail FROM journey WHERE device_name = ? ORDER BY id DESC LIMIT ?',
    ).all(deviceName.toUpperCase(), limit) as JourneyEvent[];
    return rows.reverse();
  }

  /** Hands pending changes to the writer thread as one transaction; journey events are history, not promises to a phone. */
  flush(): void {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    if (this.dirty.size === 0 && this.pending.length === 0) return;
    const phones = [...this.dirty].map(({ deviceName, mac, firstSeen, lastSeen, ...fields }) => [deviceName, mac, JSON.stringify(fields), firstSeen, lastSeen]);
    const events = this.pending.map(({ deviceName, event }) => [deviceName, event.at, event.step, event.outcome, event.detail]);
    const trims: unknown[][] = [];
    for (const { deviceName } of this.pending) {
      const rows = (this.journeyRows.get(deviceName) ?? 0) + 1;
      const trim = rows > JOURNEY_KEEP + JOURNEY_SLACK;
      if (trim) trims.push([deviceName, deviceName, JOURNEY_KEEP]);
      this.journeyRows.set(deviceName, trim ? JOURNEY_KEEP : rows);
    }
    this.dirty = new Set();
    this.pending = [];
    this.writer.write([{ sql: UPSERT_PHONE_SQL, rows: phones }, { sql: INSERT_EVENT_SQL, rows: events }, { sql: TRIM_JOURNEY_SQL, rows: trims }])
      .catch((e: unknown) => this.onWriteError(e as Error));
  }

  /** Writes what is pending and waits until it is on disk. */
  async close(): Promise<void> {
    this.flush();
    await this.writer.close();
  }

  private index(phone: Phone): void {
    this.phones.set(phone.deviceName, phone);
    this.byMac.set(phone.mac, phone);
    if (phone.ip) this.byIp.set(phone.ip, phone);
  }

  private scheduleFlush(): void {
    if (!this.flushTimer) {
      this.flushTimer = setTimeout(() => this.flush(), FLUSH_MS);
      this.flushTimer.unref();
    }
  }
}
