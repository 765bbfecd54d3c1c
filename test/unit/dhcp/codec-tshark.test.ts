// Replies Outpost encodes, framed and written to a capture, are read by tshark without a
// warning and with the values Outpost meant.

import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeDhcpFitted, type DhcpMessage } from '../../../src/dhcp/codec.js';
import { buildUdpFrame } from '../../../src/dhcp/frame.js';
import { emptyOptions } from '../../../src/dhcp/options.js';
import { tempDir, tsharkFields, writePcap } from './helpers.js';

const base: DhcpMessage = {
  op: 2, htype: 1, hlen: 6, hops: 0, xid: 0xcafe0001, secs: 0, broadcast: true, reservedFlags: 0,
  ciaddr: '0.0.0.0', yiaddr: '10.20.0.100', siaddr: '10.20.0.1', giaddr: '0.0.0.0',
  chaddr: '00:1b:54:aa:bb:01', sname: '', file: '', options: emptyOptions(),
};

const offer: DhcpMessage = {
  ...base,
  options: {
    ...emptyOptions(), messageType: 'OFFER', serverId: '10.20.0.1', leaseTime: 3600, renewalTime: 1800, rebindingTime: 3150,
    subnetMask: '255.255.255.0', routers: ['10.20.0.254'], dnsServers: ['10.0.0.53'], domainName: 'branch.example',
    broadcastAddress: '10.20.0.255', ntpServers: ['10.20.0.1'], tftpServers: ['10.20.0.1', '10.1.1.10'], tftpServerName: '10.20.0.1',
  },
};
const relayedAck: DhcpMessage = {
  ...offer, giaddr: '10.20.0.254', xid: 0xcafe0002,
  options: { ...offer.options, messageType: 'ACK', relayAgentInfo: { circuitId: Buffer.from('Gi1/0/7'), remoteId: Buffer.from('sw1'), others: [] } },
};
const nak: DhcpMessage = { ...base, yiaddr: '0.0.0.0', siaddr: '0.0.0.0', xid: 0xcafe0003, options: { ...emptyOptions(), messageType: 'NAK', serverId: '10.20.0.1' } };
nak.options.raw.set(56, Buffer.from('address is leased to another client'));
const manyServers: DhcpMessage = {
  ...offer, xid: 0xcafe0004, options: { ...offer.options, tftpServers: Array.from({ length: 80 }, (_, i) => `10.1.${i}.10`) },
};

describe('encoded replies read by tshark', () => {
  const dir = tempDir('dhcp-tshark');
  afterAll(() => dir.remove());

  it('decodes every reply without malformed-packet or warning reports', () => {
    const messages = [offer, relayedAck, nak, manyServers];
    const encoded = messages.map((m) => encodeDhcpFitted(m, { maxSize: 1472, prl: [1, 3, 6, 15, 28, 42, 150, 66] }));
    expect(encoded.every((e) => e.dropped.length === 0)).toBe(true);
    const frames = encoded.map((e) => buildUdpFrame({
      srcMac: '02:00:00:00:00:01', dstMac: 'ff:ff:ff:ff:ff:ff', srcIp: '10.20.0.1', dstIp: '255.255.255.255',
      srcPort: 67, dstPort: 68, payload: e.packet,
    }));
    const file = join(dir.path, 'replies.pcap');
    writePcap(file, frames);

    const rows = tsharkFields(file, ['_ws.malformed', '_ws.expert.severity', 'dhcp.option.dhcp', 'dhcp.id', 'dhcp.ip.your',
      'dhcp.option.tftp_server_address', 'dhcp.option.tftp_server_name', 'dhcp.option.ip_address_lease_time',
      'dhcp.option.agent_information_option.agent_circuit_id', 'dhcp.option.domain_name', 'dhcp.flags.bc',
      'dhcp.option.agent_information_option.agent_remote_id'],
    ['udp.check_checksum:TRUE', 'ip.check_checksum:TRUE']);
    expect(rows).toHaveLength(4);
    // Expert severities: 0x00600000 is a warning, 0x00800000 an error.
    for (const [malformed, severities] of rows) {
      expect(malformed).toBe('');
      for (const s of severities.split(',').filter((v) => v !== '')) expect(Number(s)).toBeLessThan(0x00600000);
    }
    const [o, a, n, many] = rows;
    expect(o.slice(2, 11)).toEqual(['2', '0xcafe0001', '10.20.0.100', '10.20.0.1,10.1.1.10', '10.20.0.1', '3600', '', 'branch.example', '1']);
    expect(a[2]).toBe('5');
    expect([a[8], a[11]]).toEqual([Buffer.from('Gi1/0/7').toString('hex'), Buffer.from('sw1').toString('hex')]);
    expect(n[2]).toBe('6');
    expect(many[5].split(',')).toHaveLength(80);
  });
});
