// The lease store on a real SQLite file: what is durable, what is not, and which address a
// client gets.

import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseAddressRange, type AddressRange } from '../../../src/util/ipv4.js';
import { LeaseStore, type Lease } from '../../../src/dhcp/leases.js';
import { openLeaseDb, tempDir, type TempDir } from './helpers.js';

const T0 = 1_700_000_000_000;
const HOUR = 3_600_000;
const PHONE_A = { mac: '00:1b:54:00:00:0a', clientId: null };
const PHONE_B = { mac: '00:1b:54:00:00:0b', clientId: null };

function range(text: string): AddressRange {
  const r = parseAddressRange(text);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

function bound(address: string, client: { mac: string; clientId: string | null }, at: number, hours = 1): Lease {
  return { address, ...client, hostname: null, vendorClass: 'Cisco Systems, Inc. IP Phone CP-8845', state: 'bound', expiresAt: at + hours * HOUR, updatedAt: at };
}

describe('LeaseStore', () => {
  let dir: TempDir;
  let file: string;
  beforeEach(() => {
    dir = tempDir('leases');
    file = join(dir.path, 'outpost.db');
  });
  afterEach(() => dir.remove());

  it('keeps committed leases across closing and reopening the database', () => {
    const db = openLeaseDb(file);
    new LeaseStore(db).commit(bound('10.20.0.100', PHONE_A, T0));
    db.close();
    const reopened = new LeaseStore(openLeaseDb(file));
    expect(reopened.findByAddress('10.20.0.100', T0)).toMatchObject({ mac: PHONE_A.mac, state: 'bound', vendorClass: 'Cisco Systems, Inc. IP Phone CP-8845' });
    expect(reopened.findByClient(PHONE_A, T0)?.address).toBe('10.20.0.100');
  });

  it('holds offers in memory only, for a short time', () => {
    const db = openLeaseDb(file);
    const store = new LeaseStore(db, { offerHoldMs: 30_000 });
    store.offer({ address: '10.20.0.100', ...PHONE_A, hostname: null, vendorClass: null }, T0);
    expect(store.heldOffer(PHONE_A, T0 + 1000)?.address).toBe('10.20.0.100');
    expect(store.heldOffer(PHONE_A, T0 + 30_000)).toBeUndefined();
    expect(store.list(T0).map((l) => l.state)).toEqual(['offered']);
    expect(db.prepare('SELECT COUNT(*) AS n FROM dhcp_leases').get()).toEqual({ n: 0 });
    expect(() => store.commit({ ...bound('10.20.0.101', PHONE_A, T0), state: 'offered' })).toThrow(/never committed/);
  });

  it('does not offer an address held for another client', () => {
    const store = new LeaseStore(openLeaseDb(file));
    const pool = range('10.20.0.100-10.20.0.101');
    store.offer({ address: '10.20.0.100', ...PHONE_A, hostname: null, vendorClass: null }, T0);
    expect(store.chooseAddress(pool, PHONE_B, T0)).toBe('10.20.0.101');
    expect(store.chooseAddress(pool, PHONE_A, T0)).toBe('10.20.0.100');
    expect(store.isAvailableFor('10.20.0.100', PHONE_B, T0)).toBe(false);
  });

  it('chooses the previous address, then a never-used one, then the least recently used expired one', () => {
    const store = new LeaseStore(openLeaseDb(file));
    const pool = range('10.20.0.100-10.20.0.102');
    const others = ['01', '02', '03', '04'].map((n) => ({ mac: `00:1b:54:00:01:${n}`, clientId: null }));
    store.commit(bound('10.20.0.100', PHONE_A, T0));
    store.release('10.20.0.100', PHONE_A, T0 + 10);
    // Someone else may have the released address only once nothing never-used is left.
    expect(store.chooseAddress(pool, others[0], T0 + 20)).toBe('10.20.0.101');
    expect(store.chooseAddress(pool, PHONE_A, T0 + 20)).toBe('10.20.0.100');
    store.commit(bound('10.20.0.101', others[0], T0 + 30));
    store.commit(bound('10.20.0.102', others[1], T0 + 40));
    expect(store.chooseAddress(pool, others[2], T0 + 50)).toBe('10.20.0.100');
    store.commit(bound('10.20.0.100', others[2], T0 + 50));
    expect(store.chooseAddress(pool, others[3], T0 + 60)).toBeUndefined();
    // All three expire; the one least recently updated goes first.
    expect(store.chooseAddress(pool, others[3], T0 + 2 * HOUR)).toBe('10.20.0.101');
  });

  it('gives the client the address it asked for when it has none, and skips excluded ones', () => {
    const store = new LeaseStore(openLeaseDb(file));
    const pool = range('10.20.0.100-10.20.0.110');
    expect(store.chooseAddress(pool, PHONE_A, T0, { requested: '10.20.0.107' })).toBe('10.20.0.107');
    expect(store.chooseAddress(pool, PHONE_A, T0, { requested: '10.9.9.9' })).toBe('10.20.0.100');
    expect(store.chooseAddress(pool, PHONE_B, T0, { exclude: new Set(['10.20.0.100', '10.20.0.101']) })).toBe('10.20.0.102');
  });

  it('quarantines a declined address, durably, then lets it be used again', () => {
    const db = openLeaseDb(file);
    const store = new LeaseStore(db);
    const pool = range('10.20.0.100-10.20.0.100');
    store.decline('10.20.0.100', PHONE_A, T0, 600_000);
    store.flush();
    db.close();
    const reopened = new LeaseStore(openLeaseDb(file));
    expect(reopened.findByAddress('10.20.0.100', T0)?.state).toBe('declined');
    expect(reopened.chooseAddress(pool, PHONE_B, T0 + 1000)).toBeUndefined();
    expect(reopened.chooseAddress(pool, PHONE_A, T0 + 1000)).toBeUndefined();
    expect(reopened.chooseAddress(pool, PHONE_B, T0 + 600_000)).toBe('10.20.0.100');
  });

  it('releases only the holder\'s lease', () => {
    const store = new LeaseStore(openLeaseDb(file));
    store.commit(bound('10.20.0.100', PHONE_A, T0));
    expect(store.release('10.20.0.100', PHONE_B, T0 + 1)).toBe(false);
    expect(store.release('10.20.0.100', PHONE_A, T0 + 1)).toBe(true);
    expect(store.findByAddress('10.20.0.100', T0 + 2)?.state).toBe('released');
  });

  it('binds one address per client: a new binding releases the old one in the same commit', () => {
    const store = new LeaseStore(openLeaseDb(file));
    store.commit(bound('10.20.0.100', PHONE_A, T0));
    store.commit(bound('10.20.0.105', PHONE_A, T0 + 5));
    expect(store.findByAddress('10.20.0.100', T0 + 6)?.state).toBe('released');
    expect(store.findByClient(PHONE_A, T0 + 6)?.address).toBe('10.20.0.105');
  });

  it('matches a client by option 61, and by MAC for leases made without one', () => {
    const store = new LeaseStore(openLeaseDb(file));
    store.commit(bound('10.20.0.100', PHONE_A, T0));
    expect(store.findByClient({ mac: PHONE_A.mac, clientId: '01001b5400000a' }, T0)?.address).toBe('10.20.0.100');
    store.commit(bound('10.20.0.101', { mac: '00:1b:54:00:00:0c', clientId: 'ff0102' }, T0));
    expect(store.findByClient({ mac: '00:1b:54:00:00:0d', clientId: 'ff0102' }, T0)?.address).toBe('10.20.0.101');
    expect(store.findByClient({ mac: '00:1b:54:00:00:0c', clientId: 'ff0999' }, T0)).toBeUndefined();
  });

  it('commits a group of leases in one transaction: all or none', () => {
    const db = openLeaseDb(file);
    const store = new LeaseStore(db);
    store.commitMany([bound('10.20.0.100', PHONE_A, T0), bound('10.20.0.101', PHONE_B, T0)]);
    expect(store.list(T0).map((l) => l.address)).toEqual(['10.20.0.100', '10.20.0.101']);
    const invalid = { ...bound('10.20.0.103', { mac: '00:1b:54:00:00:0e', clientId: null }, T0), state: 'lost' } as unknown as Lease;
    expect(() => store.commitMany([bound('10.20.0.102', { mac: '00:1b:54:00:00:0f', clientId: null }, T0), invalid])).toThrow();
    expect(db.prepare('SELECT COUNT(*) AS n FROM dhcp_leases').get()).toEqual({ n: 2 });
    expect(store.findByAddress('10.20.0.102', T0)).toBeUndefined();
  });

  it('reports a bound lease past its end as expired', () => {
    const store = new LeaseStore(openLeaseDb(file));
    store.commit(bound('10.20.0.100', PHONE_A, T0));
    expect(store.findByAddress('10.20.0.100', T0 + HOUR)?.state).toBe('expired');
    expect(store.list(T0 + HOUR)[0].state).toBe('expired');
  });
});
