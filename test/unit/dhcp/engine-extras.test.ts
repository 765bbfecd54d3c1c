// The server paths added for the voice VLAN: reservations by MAC and client id, the offer
// cap, staged leases that reach disk only on flush, ARP conflicts and the RFC 2131 phases.

import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DhcpMessage } from '../../../src/dhcp/codec.js';
import { DhcpEngine, type ArrivalContext, type DhcpServerConfig } from '../../../src/dhcp/engine.js';
import { LeaseStore } from '../../../src/dhcp/leases.js';
import { emptyOptions, type DhcpOptions } from '../../../src/dhcp/options.js';
import { leaseOnDisk, openLeaseDb, tempDir, type TempDir } from './helpers.js';

const T0 = 1_700_000_000_000;
const CONFIG: DhcpServerConfig = {
  serverAddress: '10.20.0.1', subnetMask: '255.255.255.0', pool: '10.20.0.100-10.20.0.199', router: '10.20.0.1',
  leaseTimeSeconds: 3600, tftpServers: ['10.20.0.1'],
};
const PHONE = '00:1b:54:aa:bb:01';
const DIRECT: ArrivalContext = { viaRelay: false, giaddr: '0.0.0.0' };

function client(type: DhcpOptions['messageType'], fields: Partial<DhcpMessage> = {}, options: Partial<DhcpOptions> = {}): DhcpMessage {
  return {
    op: 1, htype: 1, hlen: 6, hops: 0, xid: 7, secs: 0, broadcast: false, reservedFlags: 0,
    ciaddr: '0.0.0.0', yiaddr: '0.0.0.0', siaddr: '0.0.0.0', giaddr: '0.0.0.0', chaddr: PHONE, sname: '', file: '',
    ...fields,
    options: { ...emptyOptions(), messageType: type, ...options },
  };
}

describe('DhcpEngine: reservations, offer cap, staging, conflicts, phases', () => {
  let dir: TempDir;
  let file: string;
  let db: Database.Database;
  let store: LeaseStore;
  beforeEach(() => {
    dir = tempDir('engine-extras');
    file = join(dir.path, 'outpost.db');
    db = openLeaseDb(file);
    store = new LeaseStore(db);
  });
  afterEach(() => {
    if (db.open) db.close();
    dir.remove();
  });

  /** The lease as committed, without its expiry. */
  const onDisk = (address: string) => {
    const lease = leaseOnDisk(file, address);
    return lease && { mac: lease.mac, state: lease.state };
  };


  it('gives a MAC reservation its address, even outside the pool, and never to anyone else', () => {
    const engine = new DhcpEngine({ ...CONFIG, reservations: [{ mac: '00-1B-54-AA-BB-01', ip: '10.20.0.50' }, { mac: '00:1b:54:00:00:09', ip: '10.20.0.100' }] }, store);
    const offer = engine.handle(client('DISCOVER'), DIRECT, T0);
    expect(offer.reply?.message.yiaddr).toBe('10.20.0.50');
    expect(offer.probe).toBeUndefined();
    const ack = engine.handle(client('REQUEST', {}, { serverId: '10.20.0.1', requestedIp: '10.20.0.50' }), DIRECT, T0);
    expect(ack.reply?.message.options.messageType).toBe('ACK');
    // 10.20.0.100 is reserved for another phone: a stranger starts at .101 and cannot take .100.
    const stranger = '00:00:5e:00:53:01';
    expect(engine.handle(client('DISCOVER', { chaddr: stranger }), DIRECT, T0).reply?.message.yiaddr).toBe('10.20.0.101');
    const grab = engine.handle(client('REQUEST', { chaddr: stranger }, { requestedIp: '10.20.0.100' }), DIRECT, T0);
    expect(grab.event.kind).not.toBe('ack');
    const rebootWrong = engine.handle(client('REQUEST', {}, { requestedIp: '10.20.0.120' }), DIRECT, T0);
    expect(rebootWrong.event).toMatchObject({ kind: 'nak', phase: 'init-reboot' });
  });

  it('matches a client-id reservation on option 61, whatever the MAC', () => {
    const engine = new DhcpEngine({ ...CONFIG, reservations: [{ clientId: '01:00:1b:54:aa:bb:99', ip: '10.20.0.60' }] }, store);
    const clientId = { type: 1, id: Buffer.from('001b54aabb99', 'hex') };
    const d = engine.handle(client('DISCOVER', { chaddr: '02:00:00:00:00:01' }, { clientId }), DIRECT, T0);
    expect(d.reply?.message.yiaddr).toBe('10.20.0.60');
    const without = engine.handle(client('DISCOVER', { chaddr: '02:00:00:00:00:01' }), DIRECT, T0);
    expect(without.reply?.message.yiaddr).toBe('10.20.0.100');
  });

  it('refuses reservations outside the subnet or given twice', () => {
    expect(() => new DhcpEngine({ ...CONFIG, reservations: [{ mac: PHONE, ip: '10.99.0.5' }] }, store)).toThrow(/not inside/);
    expect(() => new DhcpEngine({ ...CONFIG, reservations: [{ mac: PHONE, ip: '10.20.0.5' }, { mac: PHONE, ip: '10.20.0.6' }] }, store)).toThrow(/two addresses/);
    expect(() => new DhcpEngine({ ...CONFIG, reservations: [{ mac: PHONE, ip: '10.20.0.1' }] }, store)).toThrow(/Outpost's/);
  });

  it('caps offers held for new clients but still serves a phone it knows', () => {
    const engine = new DhcpEngine({ ...CONFIG, maxOutstandingOffers: 2 }, store);
    engine.handle(client('DISCOVER'), DIRECT, T0);
    engine.handle(client('REQUEST', {}, { serverId: '10.20.0.1', requestedIp: '10.20.0.100' }), DIRECT, T0);
    const kinds = ['02:00:00:00:00:01', '02:00:00:00:00:02', '02:00:00:00:00:03']
      .map((mac) => engine.handle(client('DISCOVER', { chaddr: mac }), DIRECT, T0).event.kind);
    expect(kinds).toEqual(['offer', 'offer', 'throttled']);
    expect(engine.handle(client('DISCOVER'), DIRECT, T0).event.kind).toBe('offer');
    // Offers expire (60 s hold by default) and the cap frees up.
    expect(engine.handle(client('DISCOVER', { chaddr: '02:00:00:00:00:03' }), DIRECT, T0 + 61_000).event.kind).toBe('offer');
  });

  it('stages an ACK\'s lease: the decision sees it at once, the disk only after flush', () => {
    const engine = new DhcpEngine(CONFIG, store);
    const offer = engine.decide(client('DISCOVER'), DIRECT, T0);
    expect(offer).toMatchObject({ probe: '10.20.0.100' });
    const ack = engine.decide(client('REQUEST', {}, { serverId: '10.20.0.1', requestedIp: '10.20.0.100' }), DIRECT, T0);
    expect(ack.durable).toBe(true);
    expect(onDisk('10.20.0.100')).toBeUndefined();
    const other = engine.decide(client('REQUEST', { chaddr: '02:00:00:00:00:01' }, { serverId: '10.20.0.1', requestedIp: '10.20.0.100' }), DIRECT, T0);
    expect(other.event.kind).toBe('nak');
    expect(store.takeStaged().map((l) => l.address)).toEqual(['10.20.0.100']);
  });

  it('puts the cache back to what is on disk when a write fails', () => {
    const engine = new DhcpEngine(CONFIG, store);
    engine.decide(client('REQUEST', {}, { serverId: '10.20.0.1', requestedIp: '10.20.0.100' }), DIRECT, T0);
    db.exec("CREATE TRIGGER refuse BEFORE INSERT ON dhcp_leases BEGIN SELECT RAISE(ABORT, 'disk full'); END");
    expect(() => store.flush()).toThrow(/disk full/);
    expect(store.findByAddress('10.20.0.100', T0)).toBeUndefined();
    expect(engine.decide(client('DISCOVER', { chaddr: '02:00:00:00:00:01' }), DIRECT, T0).reply?.message.yiaddr).toBe('10.20.0.100');
  });

  it('quarantines an address another host answers ARP for, and offers the next one', () => {
    const engine = new DhcpEngine(CONFIG, store);
    expect(engine.decide(client('DISCOVER'), DIRECT, T0).probe).toBe('10.20.0.100');
    engine.addressInUse('10.20.0.100', '02:99:00:00:00:01', T0);
    store.flush();
    expect(onDisk('10.20.0.100')).toEqual({ mac: '02:99:00:00:00:01', state: 'declined' });
    const again = engine.decide(client('DISCOVER'), DIRECT, T0 + 10);
    expect(again.reply?.message.yiaddr).toBe('10.20.0.101');
    expect(engine.poolUsage(T0 + 10)).toMatchObject({ size: 100, declined: 1, offered: 1 });
  });

  it('tells RENEWING (unicast) from REBINDING (broadcast), and probes only never-used addresses', () => {
    const engine = new DhcpEngine(CONFIG, store);
    engine.handle(client('REQUEST', {}, { serverId: '10.20.0.1', requestedIp: '10.20.0.100' }), DIRECT, T0);
    const renew = engine.handle(client('REQUEST', { ciaddr: '10.20.0.100' }), DIRECT, T0 + 1000);
    expect(renew.event).toMatchObject({ kind: 'ack', phase: 'renewing' });
    const rebind = engine.handle(client('REQUEST', { ciaddr: '10.20.0.100' }), { ...DIRECT, broadcast: true }, T0 + 2000);
    expect(rebind.event).toMatchObject({ kind: 'ack', phase: 'rebinding' });
    engine.handle(client('RELEASE', { ciaddr: '10.20.0.100' }), DIRECT, T0 + 3000);
    expect(onDisk('10.20.0.100')).toEqual({ mac: PHONE, state: 'released' });
    const back = engine.decide(client('DISCOVER'), DIRECT, T0 + 4000);
    expect(back.reply?.message.yiaddr).toBe('10.20.0.100');
    expect(back.probe).toBeUndefined();
  });
});
