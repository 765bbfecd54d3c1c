// Decoding then encoding gives back the same message, and the same bytes when the original
// was written the usual way (options in code order after 53/54, zero padding to 300 bytes).

import { describe, expect, it } from 'vitest';
import { decodeDhcp, encodeDhcp, type DhcpMessage } from '../../../src/dhcp/codec.js';
import { parseDhcpFrame } from '../../../src/dhcp/frame.js';
import { emptyOptions } from '../../../src/dhcp/options.js';
import { doraFrames } from './helpers.js';

function payloads(): Buffer[] {
  return doraFrames().map((f) => {
    const udp = parseDhcpFrame(f.data);
    if (!udp.ok) throw new Error(udp.error);
    return udp.value.payload;
  });
}

function decodeOk(buf: Buffer): DhcpMessage {
  const r = decodeDhcp(buf);
  if (!r.ok) throw new Error(r.error);
  return r.value;
}

describe('DHCP codec round trip', () => {
  it('re-encodes each message of the real capture to identical bytes', () => {
    for (const payload of payloads()) {
      expect(encodeDhcp(decodeOk(payload)).equals(payload)).toBe(true);
    }
  });

  it('re-encodes to the same decoded values', () => {
    for (const payload of payloads()) {
      const once = decodeOk(payload);
      expect(decodeOk(encodeDhcp(once))).toEqual(once);
    }
  });

  it('keeps every option type through a round trip', () => {
    const msg: DhcpMessage = {
      op: 2, htype: 1, hlen: 6, hops: 1, xid: 0x01020304, secs: 7, broadcast: true, reservedFlags: 0,
      ciaddr: '0.0.0.0', yiaddr: '10.20.0.100', siaddr: '10.20.0.1', giaddr: '10.20.0.254',
      chaddr: '00:1b:54:aa:bb:cc', sname: 'outpost', file: 'SEP001B54AABBCC.cnf.xml',
      options: {
        ...emptyOptions(),
        subnetMask: '255.255.255.0', routers: ['10.20.0.254'], dnsServers: ['10.0.0.53', '10.0.0.54'],
        hostname: 'SEP001B54AABBCC', domainName: 'branch.example', broadcastAddress: '10.20.0.255',
        ntpServers: ['10.20.0.1'], vendorSpecific: Buffer.from([1, 2, 3]), requestedIp: '10.20.0.100',
        leaseTime: 86400, messageType: 'ACK', serverId: '10.20.0.1', parameterRequestList: [1, 3, 150, 66],
        maxMessageSize: 1500, renewalTime: 43200, rebindingTime: 75600,
        vendorClassId: 'Cisco Systems, Inc. IP Phone CP-8845', clientId: { type: 1, id: Buffer.from('001b54aabbcc', 'hex') },
        tftpServerName: '10.20.0.1', bootfileName: 'XMLDefault.cnf.xml',
        relayAgentInfo: { circuitId: Buffer.from('Gi1/0/5'), remoteId: Buffer.from([0, 6, 1, 2, 3, 4, 5, 6]), others: [{ code: 9, data: Buffer.from([0, 0, 0, 9]) }] },
        tftpServers: ['10.20.0.1', '10.1.1.10'],
      },
    };
    msg.options.raw.set(224, Buffer.from('site-private'));
    const again = decodeOk(encodeDhcp(msg, { maxSize: 1472 }));
    expect(again).toEqual(msg);
  });
});
