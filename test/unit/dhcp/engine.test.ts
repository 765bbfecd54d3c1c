// The RFC 2131 server paths, each with a real lease store on a temp-file SQLite database.

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
  serverAddress: '10.20.0.1', subnetMask: '255.255.255.0', pool: '10.20.0.100-10.20.0.199', router: '10.20.0.254',
  dnsServers: ['10.0.0.53'], domainName: 'branch.example', ntpServers: ['10.20.0.1'], leaseTimeSeconds: 3600,
  tftpServers: ['10.20.0.1', '10.1.1.10'],
};
const PHONE = '00:1b:54:aa:bb:01';
const OTHER_PHONE = '00:1b:54:aa:bb:02';
const PRL = [1, 3, 6, 15, 28, 42, 150];
const DIRECT: ArrivalContext = { viaRelay: false, giaddr: '0.0.0.0' };

function client(type: DhcpOptions['messageType'], fields: Partial<DhcpMessage> = {}, options: Partial<DhcpOptions> = {}): DhcpMessage {
  return {
    op: 1, htype: 1, hlen: 6, hops: 0, xid: 0x1234, secs: 0, broadcast: false, reservedFlags: 0,
    ciaddr: '0.0.0.0', yiaddr: '0.0.0.0', siaddr: '0.0.0.0', giaddr: '0.0.0.0', chaddr: PHONE, sname: '', file: '',
    ...fields,
    options: { ...emptyOptions(), messageType: type, parameterRequestList: PRL, ...options },
  };
}

describe('DhcpEngine', () => {
  let dir: TempDir;
  let file: string;
  let db: Database.Database;
  let store: LeaseStore;
  let engine: DhcpEngine;
  beforeEach(() => {
    dir = tempDir('engine');
    file = join(dir.path, 'outpost.db');
    db = openLeaseDb(file);
    store = new LeaseStore(db);
    engine = new DhcpEngine(CONFIG, store);
  });
  afterEach(() => {
    if (db.open) db.close();
    dir.remove();
  });

  const onDisk = (address: string) => leaseOnDisk(file, address);


  /** DISCOVER then SELECTING REQUEST; returns the bound address. */
  function bind(mac = PHONE, now = T0): string {
    const offer = engine.handle(client('DISCOVER', { chaddr: mac }), DIRECT, now);
    const ip = offer.reply?.message.yiaddr ?? '';
    const ack = engine.handle(client('REQUEST', { chaddr: mac }, { serverId: CONFIG.serverAddress, requestedIp: ip }), DIRECT, now);
    expect(ack.reply?.message.options.messageType).toBe('ACK');
    return ip;
  }

  describe('DISCOVER', () => {
    it('offers the first pool address with the lease, network and TFTP options, held in memory only', () => {
      const d = engine.handle(client('DISCOVER', {}, { vendorClassId: 'Cisco Systems, Inc. IP Phone CP-8845' }), DIRECT, T0);
      const m = d.reply?.message;
      expect(m).toMatchObject({ op: 2, xid: 0x1234, yiaddr: '10.20.0.100', siaddr: '10.20.0.1', chaddr: PHONE });
      expect(m?.options).toMatchObject({
        messageType: 'OFFER', serverId: '10.20.0.1', leaseTime: 3600, renewalTime: 1800, rebindingTime: 3150,
        subnetMask: '255.255.255.0', routers: ['10.20.0.254'], dnsServers: ['10.0.0.53'], domainName: 'branch.example',
        broadcastAddress: '10.20.0.255', ntpServers: ['10.20.0.1'], tftpServers: ['10.20.0.1', '10.1.1.10'],
        tftpServerName: '10.20.0.1',
      });
      expect(d.event).toEqual({ kind: 'offer', mac: PHONE, ip: '10.20.0.100', vendorClass: 'Cisco Systems, Inc. IP Phone CP-8845' });
      expect(onDisk('10.20.0.100')).toBeUndefined();
      expect(d.reply?.encode).toEqual({ maxSize: 548, prl: PRL });
    });

    it('sends 150 and 66 to a Cisco phone even when its list does not ask for them', () => {
      const cisco = engine.handle(client('DISCOVER', {}, { parameterRequestList: [1, 3], vendorClassId: 'Cisco Systems, Inc. IP Phone CP-7975G' }), DIRECT, T0);
      expect(cisco.reply?.message.options.tftpServers).toEqual(['10.20.0.1', '10.1.1.10']);
      expect(cisco.reply?.message.options.tftpServerName).toBe('10.20.0.1');
      const laptop = engine.handle(client('DISCOVER', { chaddr: OTHER_PHONE }, { parameterRequestList: [1, 3], vendorClassId: 'MSFT 5.0' }), DIRECT, T0);
      expect(laptop.reply?.message.options.tftpServers).toBeUndefined();
      expect(laptop.reply?.message.options.ntpServers).toBeUndefined();
      expect(laptop.reply?.message.options.routers).toEqual(['10.20.0.254']);
    });

    it('offers the same address again on a repeated DISCOVER', () => {
      const first = engine.handle(client('DISCOVER'), DIRECT, T0).reply?.message.yiaddr;
      const again = engine.handle(client('DISCOVER'), DIRECT, T0 + 2000).reply?.message.yiaddr;
      const other = engine.handle(client('DISCOVER', { chaddr: OTHER_PHONE }), DIRECT, T0 + 2000).reply?.message.yiaddr;
      expect([first, again, other]).toEqual(['10.20.0.100', '10.20.0.100', '10.20.0.101']);
    });

    it('sends the reply where RFC 2131 §4.1 says', () => {
      const unicast = engine.handle(client('DISCOVER'), DIRECT, T0).reply?.destination;
      expect(unicast).toEqual({ kind: 'unicast', ip: '10.20.0.100', mac: PHONE, port: 68 });
      const broadcast = engine.handle(client('DISCOVER', { broadcast: true }), DIRECT, T0).reply;
      expect(broadcast?.destination).toEqual({ kind: 'broadcast', ip: '255.255.255.255', mac: 'ff:ff:ff:ff:ff:ff', port: 68 });
      expect(broadcast?.message.broadcast).toBe(true);
      const relayed = engine.handle(client('DISCOVER', { giaddr: '10.20.0.254', hops: 1 }), { viaRelay: true, giaddr: '10.20.0.254' }, T0).reply;
      expect(relayed?.destination).toEqual({ kind: 'relay', ip: '10.20.0.254', port: 67 });
      expect(relayed?.message.giaddr).toBe('10.20.0.254');
    });

    it('ignores a relay from a subnet it has no pool for', () => {
      const d = engine.handle(client('DISCOVER', { giaddr: '192.168.7.1' }), { viaRelay: true, giaddr: '192.168.7.1' }, T0);
      expect(d.reply).toBeUndefined();
      expect(d.event.kind).toBe('ignored');
    });

    it('echoes option 82 and respects the client\'s maximum message size', () => {
      const relayAgentInfo = { circuitId: Buffer.from('Gi1/0/7'), others: [] };
      const d = engine.handle(client('DISCOVER', { giaddr: '10.20.0.254' }, { relayAgentInfo, maxMessageSize: 1000 }), { viaRelay: true, giaddr: '10.20.0.254' }, T0);
      expect(d.reply?.message.options.relayAgentInfo).toEqual(relayAgentInfo);
      expect(d.reply?.encode.maxSize).toBe(972);
    });

    it('never hands out its own, the router\'s, network or broadcast address', () => {
      const tight = new DhcpEngine({ ...CONFIG, pool: '10.20.0.0-10.20.0.2', router: '10.20.0.2' }, new LeaseStore(db));
      const macs = ['00:00:00:00:00:01', '00:00:00:00:00:02'];
      const got = macs.map((mac) => tight.handle(client('DISCOVER', { chaddr: mac }), DIRECT, T0));
      expect(got[0].reply?.message.yiaddr).toBeUndefined();
      expect(got[0].event).toMatchObject({ kind: 'exhausted', mac: macs[0] });
    });

    it('reports an exhausted pool instead of answering', () => {
      const small = new DhcpEngine({ ...CONFIG, pool: '10.20.0.100-10.20.0.101' }, new LeaseStore(db));
      const kinds = ['00:00:00:00:00:01', '00:00:00:00:00:02', '00:00:00:00:00:03']
        .map((mac) => small.handle(client('DISCOVER', { chaddr: mac }), DIRECT, T0).event.kind);
      expect(kinds).toEqual(['offer', 'offer', 'exhausted']);
    });
  });

  describe('REQUEST in SELECTING', () => {
    it('ACKs our offer only after the lease is on disk', () => {
      engine.handle(client('DISCOVER'), DIRECT, T0);
      const d = engine.handle(client('REQUEST', {}, { serverId: '10.20.0.1', requestedIp: '10.20.0.100', hostname: 'SEP001B54AABB01' }), DIRECT, T0 + 100);
      expect(d.reply?.message).toMatchObject({ yiaddr: '10.20.0.100', options: { messageType: 'ACK', leaseTime: 3600 } });
      expect(onDisk('10.20.0.100')).toEqual({ mac: PHONE, state: 'bound', expiresAt: T0 + 100 + 3_600_000 });
      expect(d.event).toEqual({ kind: 'ack', mac: PHONE, ip: '10.20.0.100', hostname: 'SEP001B54AABB01', phase: 'selecting' });
    });

    it('stays silent and frees the offer when the client chose another server', () => {
      engine.handle(client('DISCOVER'), DIRECT, T0);
      const d = engine.handle(client('REQUEST', {}, { serverId: '10.20.0.2', requestedIp: '10.20.0.100' }), DIRECT, T0);
      expect(d.reply).toBeUndefined();
      expect(d.event.kind).toBe('ignored');
      expect(store.heldOffer({ mac: PHONE }, T0)).toBeUndefined();
      expect(store.isAvailableFor('10.20.0.100', { mac: OTHER_PHONE }, T0)).toBe(true);
    });

    it('NAKs an address offered to someone else or outside the pool', () => {
      engine.handle(client('DISCOVER', { chaddr: OTHER_PHONE }), DIRECT, T0);
      const taken = engine.handle(client('REQUEST', {}, { serverId: '10.20.0.1', requestedIp: '10.20.0.100' }), DIRECT, T0);
      expect(taken.reply?.message.options.messageType).toBe('NAK');
      expect(taken.event).toMatchObject({ kind: 'nak', ip: '10.20.0.100' });
      const outside = engine.handle(client('REQUEST', {}, { serverId: '10.20.0.1', requestedIp: '10.20.0.50' }), DIRECT, T0);
      expect(outside.reply?.message.options.messageType).toBe('NAK');
    });

    it('writes a NAK with only type, server id and a message, broadcast', () => {
      engine.handle(client('DISCOVER', { chaddr: OTHER_PHONE }), DIRECT, T0);
      const nak = engine.handle(client('REQUEST', {}, { serverId: '10.20.0.1', requestedIp: '10.20.0.100' }), DIRECT, T0).reply;
      expect(nak?.message).toMatchObject({ yiaddr: '0.0.0.0', ciaddr: '0.0.0.0', siaddr: '0.0.0.0' });
      const { raw, ...typed } = nak?.message.options ?? emptyOptions();
      expect(typed).toEqual({ messageType: 'NAK', serverId: '10.20.0.1' });
      expect(raw.get(56)?.toString()).toMatch(/another client/);
      expect(nak?.destination.kind).toBe('broadcast');
    });

    it('sends a relayed NAK to the relay with the broadcast bit set', () => {
      engine.handle(client('DISCOVER', { chaddr: OTHER_PHONE }), DIRECT, T0);
      const nak = engine.handle(client('REQUEST', { giaddr: '10.20.0.254' }, { serverId: '10.20.0.1', requestedIp: '10.20.0.100' }), { viaRelay: true, giaddr: '10.20.0.254' }, T0).reply;
      expect(nak?.destination).toEqual({ kind: 'relay', ip: '10.20.0.254', port: 67 });
      expect(nak?.message.broadcast).toBe(true);
    });
  });

  describe('REQUEST in INIT-REBOOT', () => {
    it('ACKs the client\'s own address', () => {
      const ip = bind();
      const d = engine.handle(client('REQUEST', {}, { requestedIp: ip }), DIRECT, T0 + 60_000);
      expect(d.reply?.message).toMatchObject({ yiaddr: ip, options: { messageType: 'ACK' } });
    });

    it('NAKs an address on another network', () => {
      bind();
      const d = engine.handle(client('REQUEST', {}, { requestedIp: '192.168.1.4' }), DIRECT, T0);
      expect(d.reply?.message.options.messageType).toBe('NAK');
      expect(d.reply?.destination.kind).toBe('broadcast');
    });

    it('NAKs an address that is not this client\'s', () => {
      bind();
      const d = engine.handle(client('REQUEST', {}, { requestedIp: '10.20.0.150' }), DIRECT, T0);
      expect(d.reply?.message.options.messageType).toBe('NAK');
    });

    it('stays silent for a client it has no record of', () => {
      const d = engine.handle(client('REQUEST', {}, { requestedIp: '10.20.0.150' }), DIRECT, T0);
      expect(d.reply).toBeUndefined();
      expect(d.event.kind).toBe('ignored');
    });

    it('still knows the client after the database is closed and reopened', () => {
      const ip = bind();
      db.close();
      db = openLeaseDb(file);
      const restarted = new DhcpEngine(CONFIG, new LeaseStore(db));
      expect(restarted.handle(client('REQUEST', {}, { requestedIp: ip }), DIRECT, T0 + 1000).reply?.message.options.messageType).toBe('ACK');
      expect(restarted.handle(client('DISCOVER'), DIRECT, T0 + 2000).reply?.message.yiaddr).toBe(ip);
      expect(restarted.handle(client('DISCOVER', { chaddr: OTHER_PHONE }), DIRECT, T0 + 2000).reply?.message.yiaddr).not.toBe(ip);
    });
  });

  describe('REQUEST in RENEWING and REBINDING', () => {
    it('extends the lease and unicasts the ACK to ciaddr', () => {
      const ip = bind();
      const later = T0 + 1_800_000;
      const d = engine.handle(client('REQUEST', { ciaddr: ip }), DIRECT, later);
      expect(d.reply?.message).toMatchObject({ ciaddr: ip, yiaddr: ip, options: { messageType: 'ACK' } });
      expect(d.reply?.destination).toEqual({ kind: 'unicast', ip, mac: PHONE, port: 68 });
      expect(onDisk(ip)).toMatchObject({ state: 'bound', expiresAt: later + 3_600_000 });
    });

    it('answers a rebinding broadcast the same way', () => {
      const ip = bind();
      const d = engine.handle(client('REQUEST', { ciaddr: ip, broadcast: true }), DIRECT, T0 + 3_200_000);
      expect(d.reply?.message.options.messageType).toBe('ACK');
    });

    it('NAKs an address leased to another client or on another network', () => {
      const ip = bind(OTHER_PHONE);
      expect(engine.handle(client('REQUEST', { ciaddr: ip }), DIRECT, T0).reply?.message.options.messageType).toBe('NAK');
      expect(engine.handle(client('REQUEST', { ciaddr: '172.16.0.9' }), DIRECT, T0).reply?.message.options.messageType).toBe('NAK');
    });

    it('lets a client it does not know keep a free pool address', () => {
      const d = engine.handle(client('REQUEST', { ciaddr: '10.20.0.170' }), DIRECT, T0);
      expect(d.reply?.message.options.messageType).toBe('ACK');
      expect(onDisk('10.20.0.170')).toMatchObject({ mac: PHONE, state: 'bound' });
    });
  });

  describe('RELEASE, DECLINE, INFORM', () => {
    it('releases the lease silently, and the client gets the same address back later', () => {
      const ip = bind();
      const d = engine.handle(client('RELEASE', { ciaddr: ip }, { serverId: '10.20.0.1' }), DIRECT, T0 + 1000);
      expect(d.reply).toBeUndefined();
      expect(d.event).toEqual({ kind: 'release', mac: PHONE, ip });
      expect(onDisk(ip)).toMatchObject({ state: 'released' });
      expect(engine.handle(client('DISCOVER'), DIRECT, T0 + 2000).reply?.message.yiaddr).toBe(ip);
    });

    it('ignores a RELEASE of somebody else\'s address', () => {
      const ip = bind(OTHER_PHONE);
      expect(engine.handle(client('RELEASE', { ciaddr: ip }), DIRECT, T0).event.kind).toBe('ignored');
      expect(onDisk(ip)).toMatchObject({ state: 'bound' });
    });

    it('quarantines a declined address, then offers the client another one', () => {
      const ip = bind();
      const d = engine.handle(client('DECLINE', {}, { serverId: '10.20.0.1', requestedIp: ip }), DIRECT, T0 + 1000);
      expect(d.reply).toBeUndefined();
      expect(d.event).toMatchObject({ kind: 'decline', mac: PHONE, ip });
      expect(onDisk(ip)).toMatchObject({ state: 'declined', expiresAt: T0 + 1000 + 600_000 });
      expect(engine.handle(client('DISCOVER'), DIRECT, T0 + 2000).reply?.message.yiaddr).not.toBe(ip);
      expect(engine.handle(client('DISCOVER', { chaddr: OTHER_PHONE }), DIRECT, T0 + 2000).reply?.message.yiaddr).not.toBe(ip);
    });

    it('ignores a DECLINE for an address the client was never given', () => {
      bind(OTHER_PHONE);
      expect(engine.handle(client('DECLINE', {}, { serverId: '10.20.0.1', requestedIp: '10.20.0.100' }), DIRECT, T0).event.kind).toBe('ignored');
    });

    it('answers INFORM with configuration but no address or lease times, unicast to ciaddr', () => {
      const d = engine.handle(client('INFORM', { ciaddr: '10.20.0.50' }), DIRECT, T0);
      const m = d.reply?.message;
      expect(m).toMatchObject({ yiaddr: '0.0.0.0', ciaddr: '10.20.0.50', options: { messageType: 'ACK', tftpServers: ['10.20.0.1', '10.1.1.10'] } });
      expect(m?.options.leaseTime).toBeUndefined();
      expect(m?.options.renewalTime).toBeUndefined();
      expect(m?.options.rebindingTime).toBeUndefined();
      expect(d.reply?.destination).toEqual({ kind: 'unicast', ip: '10.20.0.50', mac: PHONE, port: 68 });
      expect(onDisk('10.20.0.50')).toBeUndefined();
    });
  });

  describe('what it refuses', () => {
    it('ignores replies from other servers and messages without a type', () => {
      expect(engine.handle({ ...client('OFFER'), op: 2 }, DIRECT, T0).event.kind).toBe('ignored');
      expect(engine.handle(client('OFFER'), DIRECT, T0).event.kind).toBe('ignored');
      expect(engine.handle(client(undefined), DIRECT, T0).event.kind).toBe('ignored');
    });

    it('sends no ACK when the lease cannot be written', () => {
      engine.handle(client('DISCOVER'), DIRECT, T0);
      db.close();
      const d = engine.handle(client('REQUEST', {}, { serverId: '10.20.0.1', requestedIp: '10.20.0.100' }), DIRECT, T0);
      expect(d.reply).toBeUndefined();
      expect(d.event).toMatchObject({ kind: 'error', ip: '10.20.0.100' });
    });

    it('refuses a configuration whose pool is outside its subnet', () => {
      expect(() => new DhcpEngine({ ...CONFIG, pool: '10.30.0.1-10.30.0.9' }, store)).toThrow(/not inside/);
    });
  });
});
