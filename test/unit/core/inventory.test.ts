import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { INVENTORY_MIGRATIONS, Inventory, normalizeMac } from '../../../src/core/inventory.js';
import { openDatabase } from '../../../src/store/database.js';

const dirs: string[] = [];
const tmp = () => { const d = mkdtempSync(join(tmpdir(), 'outpost-inv-')); dirs.push(d); return d; };
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

describe('phone inventory', () => {
  it('normalizes MAC spellings', () => {
    expect(normalizeMac('00:11:22:aa:bb:cc')).toBe('001122AABBCC');
    expect(normalizeMac('0011.22aa.bbcc')).toBe('001122AABBCC');
    expect(normalizeMac('SEP001122AABBCC')).toBeUndefined();
  });

  it('joins MAC, device name and IP, and keeps the journey across a restart', async () => {
    const dir = tmp();
    let db = openDatabase(dir, INVENTORY_MIGRATIONS);
    let inv = new Inventory(db);
    inv.record({ mac: '00:11:22:33:44:01' }, 'dhcp', 'ok', 'ACK 10.20.0.100', { ip: '10.20.0.100' });
    inv.record({ ip: '10.20.0.100' }, 'tftp', 'ok', 'SEP001122334401.cnf.xml from upstream');
    inv.record({ deviceName: 'SEP001122334401' }, 'register', 'ok', 'SIP 200 from CUCM', { dn: '2001' });
    expect(inv.record({ ip: '10.9.9.9' }, 'tftp', 'ok', 'unknown')).toBeUndefined();
    await inv.close();
    db.close();

    db = openDatabase(dir, INVENTORY_MIGRATIONS);
    inv = new Inventory(db);
    const phone = inv.find({ ip: '10.20.0.100' });
    expect(phone?.deviceName).toBe('SEP001122334401');
    expect(phone?.dn).toBe('2001');
    expect((await inv.journey('SEP001122334401')).map((e) => e.step)).toEqual(['dhcp', 'tftp', 'register']);
    db.close();
  });

  it('keeps the newest 500 journey events per phone on disk, across restarts', async () => {
    const dir = tmp();
    let db = openDatabase(dir, INVENTORY_MIGRATIONS);
    let inv = new Inventory(db);
    const phone = { deviceName: 'SEP001122334402' };
    for (let i = 0; i < 700; i++) inv.record(phone, 'register', 'ok', `refresh ${i}`);
    await inv.close();
    db.close();

    db = openDatabase(dir, INVENTORY_MIGRATIONS);
    inv = new Inventory(db);
    for (let i = 700; i < 1300; i++) inv.record(phone, 'register', 'ok', `refresh ${i}`);
    const rows = () => (db.prepare('SELECT count(*) AS n FROM journey').get() as { n: number }).n;
    const journey = await inv.journey(phone.deviceName);
    expect(rows()).toBeLessThanOrEqual(600);
    expect(journey).toHaveLength(500);
    expect(journey.at(-1)?.detail).toBe('refresh 1299');
    expect(journey[0].detail).toBe('refresh 800');
    db.close();
  });
});
