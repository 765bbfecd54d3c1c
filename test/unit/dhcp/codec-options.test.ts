// Option handling at the edges: long options, overload, size limits, ordering, bad input.

import { describe, expect, it } from 'vitest';
import { BOOTP_MIN_SIZE, decodeDhcp, encodeDhcp, encodeDhcpFitted, type DhcpMessage } from '../../../src/dhcp/codec.js';
import { emptyOptions } from '../../../src/dhcp/options.js';

function reply(options: Partial<DhcpMessage['options']> = {}): DhcpMessage {
  return {
    op: 2, htype: 1, hlen: 6, hops: 0, xid: 42, secs: 0, broadcast: false, reservedFlags: 0,
    ciaddr: '0.0.0.0', yiaddr: '10.20.0.100', siaddr: '0.0.0.0', giaddr: '0.0.0.0',
    chaddr: '00:1b:54:aa:bb:cc', sname: '', file: '',
    options: { ...emptyOptions(), messageType: 'OFFER', serverId: '10.20.0.1', ...options },
  };
}

/** Option codes in wire order, from a packet Outpost encoded (no overload). */
function wireOrder(packet: Buffer): number[] {
  const codes: number[] = [];
  for (let o = 240; o < packet.length && packet[o] !== 255;) {
    if (packet[o] === 0) { o++; continue; }
    codes.push(packet[o]);
    o += 2 + packet[o + 1];
  }
  return codes;
}

/** The fixed header and magic cookie of a DISCOVER, plus `room` zero bytes for options. */
function bare(room = 0): Buffer {
  const b = Buffer.alloc(240 + room);
  b[0] = 1; b[1] = 1; b[2] = 6;
  b.writeUInt32BE(0x63825363, 236);
  return b;
}

describe('DHCP option encoding', () => {
  it('pads a small message to the 300-byte BOOTP minimum', () => {
    const packet = encodeDhcp(reply());
    expect(packet.length).toBe(BOOTP_MIN_SIZE);
    expect(packet.subarray(240 + 9 + 1).every((b) => b === 0)).toBe(true);
  });

  it('puts 53 and 54 first, then the lease times, then the client PRL order, then the rest, 82 last', () => {
    const msg = reply({
      leaseTime: 3600, renewalTime: 1800, rebindingTime: 3150, subnetMask: '255.255.255.0', routers: ['10.20.0.254'],
      tftpServers: ['10.20.0.1'], tftpServerName: '10.20.0.1', domainName: 'branch',
      relayAgentInfo: { circuitId: Buffer.from('port5'), others: [] },
    });
    const order = wireOrder(encodeDhcp(msg, { prl: [150, 66, 3, 1] }));
    expect(order).toEqual([53, 54, 51, 58, 59, 150, 66, 3, 1, 15, 82]);
  });

  it('splits an option longer than 255 bytes and decodes it whole again (RFC 3396)', () => {
    const servers = Array.from({ length: 100 }, (_, i) => `10.1.${i}.1`);
    const packet = encodeDhcp(reply({ tftpServers: servers }), { maxSize: 1472 });
    const order = wireOrder(packet);
    expect(order.filter((c) => c === 150)).toHaveLength(2);
    const decoded = decodeDhcp(packet);
    expect(decoded.ok && decoded.value.options.tftpServers).toEqual(servers);
  });

  it('drops the lowest-priority options to stay within the size limit and says which', () => {
    const servers = Array.from({ length: 60 }, (_, i) => `10.1.${i}.1`);
    const msg = reply({ leaseTime: 3600, subnetMask: '255.255.255.0', tftpServers: servers, ntpServers: servers, domainName: 'x'.repeat(200) });
    const { packet, dropped } = encodeDhcpFitted(msg, { prl: [1, 150, 42, 15] });
    expect(packet.length).toBeLessThanOrEqual(548);
    expect(dropped).toEqual([15, 42]);
    const decoded = decodeDhcp(packet);
    expect(decoded.ok && decoded.value.options.tftpServers).toEqual(servers);
  });

  it('honours a larger limit from option 57', () => {
    const servers = Array.from({ length: 60 }, (_, i) => `10.1.${i}.1`);
    const { packet, dropped } = encodeDhcpFitted(reply({ tftpServers: servers, ntpServers: servers }), { maxSize: 1000 });
    expect(dropped).toEqual([]);
    expect(packet.length).toBeLessThanOrEqual(1000);
  });

  it('never writes option 52, since Outpost never overloads file or sname', () => {
    const packet = encodeDhcp(reply({ overload: 3 }));
    expect(wireOrder(packet)).not.toContain(52);
  });
});

describe('DHCP option decoding', () => {
  it('reads options continued in file and sname when option 52 says so, concatenating split ones', () => {
    const b = bare(20);
    Buffer.from([53, 1, 1, 52, 1, 3, 12, 3, ...Buffer.from('SEP'), 255]).copy(b, 240);
    // file continues the hostname and adds option 60; sname carries option 66.
    Buffer.from([12, 3, ...Buffer.from('001'), 60, 5, ...Buffer.from('Cisco'), 255]).copy(b, 108);
    Buffer.from([66, 4, ...Buffer.from('tftp'), 255]).copy(b, 44);
    const r = decodeDhcp(b);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.options.hostname).toBe('SEP001');
    expect(r.value.options.vendorClassId).toBe('Cisco');
    expect(r.value.options.tftpServerName).toBe('tftp');
    expect(r.value.options.overload).toBe(3);
    expect(r.value.sname).toBe('');
    expect(r.value.file).toBe('');
  });

  it('reads file and sname as names when there is no overload', () => {
    const b = bare(4);
    Buffer.from([53, 1, 1, 255]).copy(b, 240);
    Buffer.from('SEP001B54AABBCC.cnf.xml').copy(b, 108);
    Buffer.from('outpost').copy(b, 44);
    const r = decodeDhcp(b);
    expect(r.ok && [r.value.sname, r.value.file]).toEqual(['outpost', 'SEP001B54AABBCC.cnf.xml']);
  });

  it('keeps a known option with a malformed value as raw bytes', () => {
    const b = Buffer.concat([bare(), Buffer.from([53, 1, 3, 1, 3, 255, 255, 0, 255])]);
    const r = decodeDhcp(b);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.options.subnetMask).toBeUndefined();
    expect(r.value.options.raw.get(1)).toEqual(Buffer.from([255, 255, 0]));
  });

  it('decodes relay agent sub-options and the client identifier', () => {
    const b = Buffer.concat([bare(), Buffer.from([53, 1, 1, 61, 7, 1, 0, 0x1b, 0x54, 1, 2, 3, 82, 12, 1, 3, 0x61, 0x62, 0x63, 2, 1, 9, 5, 2, 7, 7, 255])]);
    const r = decodeDhcp(b);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value.options.clientId).toEqual({ type: 1, id: Buffer.from([0, 0x1b, 0x54, 1, 2, 3]) });
    expect(r.value.options.relayAgentInfo).toEqual({
      circuitId: Buffer.from('abc'), remoteId: Buffer.from([9]), others: [{ code: 5, data: Buffer.from([7, 7]) }],
    });
  });

  it('keeps unknown message types and unknown options raw', () => {
    const b = Buffer.concat([bare(), Buffer.from([53, 1, 13, 250, 2, 0xab, 0xcd, 255])]);
    const r = decodeDhcp(b);
    expect(r.ok && r.value.options.messageType).toBeUndefined();
    expect(r.ok && r.value.options.raw.get(53)).toEqual(Buffer.from([13]));
    expect(r.ok && r.value.options.raw.get(250)).toEqual(Buffer.from([0xab, 0xcd]));
  });

  it('rejects truncated options, short packets and a missing magic cookie', () => {
    expect(decodeDhcp(Buffer.concat([bare(), Buffer.from([53, 1, 1, 3, 8, 10, 20])])).ok).toBe(false);
    expect(decodeDhcp(Buffer.concat([bare(), Buffer.from([53])])).ok).toBe(false);
    expect(decodeDhcp(Buffer.alloc(239)).ok).toBe(false);
    const noCookie = bare();
    noCookie.writeUInt32BE(0, 236);
    expect(decodeDhcp(noCookie).ok).toBe(false);
  });

  it('tolerates a missing End option', () => {
    const r = decodeDhcp(Buffer.concat([bare(), Buffer.from([53, 1, 1])]));
    expect(r.ok && r.value.options.messageType).toBe('DISCOVER');
  });
});
