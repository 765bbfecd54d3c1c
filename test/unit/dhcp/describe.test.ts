// What `outpost decode --json` prints for DHCP frames.

import { describe, expect, it } from 'vitest';
import { describeDhcpFrame } from '../../../src/dhcp/describe.js';
import { buildUdpFrame } from '../../../src/dhcp/frame.js';
import { doraFrames } from './helpers.js';

describe('describeDhcpFrame', () => {
  it('describes the DISCOVER and OFFER of the real capture', () => {
    const [discover, offer] = doraFrames().map((f) => describeDhcpFrame(f.number, f.data));
    expect(discover).toEqual({
      frame: 1, protocol: 'dhcp', messageType: 'DISCOVER', xid: '0xde549277', broadcast: false,
      chaddr: '00:0c:29:1f:74:06', ciaddr: '0.0.0.0', yiaddr: '0.0.0.0', siaddr: '0.0.0.0', giaddr: '0.0.0.0',
      options: { 53: 'DISCOVER', 55: [1, 28, 2, 3, 15, 6, 12, 150] },
    });
    expect(offer).toMatchObject({
      frame: 2, messageType: 'OFFER', yiaddr: '192.168.1.4',
      options: { 1: '255.255.255.0', 3: ['192.168.1.1'], 51: 43200, 53: 'OFFER', 54: '192.168.1.1', 150: ['192.168.1.10', '192.168.1.11'] },
    });
    expect(JSON.parse(JSON.stringify(offer))).toEqual(offer);
  });

  it('shows binary options as hex', () => {
    const payload = Buffer.alloc(260);
    payload[0] = 1; payload[1] = 1; payload[2] = 6;
    payload.writeUInt32BE(0x63825363, 236);
    Buffer.from([53, 1, 1, 61, 3, 1, 0xab, 0xcd, 82, 4, 1, 2, 0x47, 0x69, 250, 1, 0xff, 255]).copy(payload, 240);
    const frame = buildUdpFrame({ srcMac: '00:1b:54:00:00:01', dstMac: 'ff:ff:ff:ff:ff:ff', srcIp: '0.0.0.0', dstIp: '255.255.255.255', srcPort: 68, dstPort: 67, payload });
    const d = describeDhcpFrame(7, frame) as { options: Record<string, unknown> };
    expect(d.options).toEqual({ 53: 'DISCOVER', 61: { type: 1, id: 'ab:cd' }, 82: { circuitId: '47:69', others: [] }, 250: 'ff' });
  });

  it('returns undefined for frames that are not DHCP', () => {
    const frame = buildUdpFrame({ srcMac: '00:1b:54:00:00:01', dstMac: 'ff:ff:ff:ff:ff:ff', srcIp: '10.0.0.1', dstIp: '10.0.0.2', srcPort: 5060, dstPort: 5060, payload: Buffer.from('OPTIONS') });
    expect(describeDhcpFrame(1, frame)).toBeUndefined();
    expect(describeDhcpFrame(1, Buffer.alloc(5))).toBeUndefined();
  });

  it('reports a malformed DHCP frame with the reason', () => {
    const frame = buildUdpFrame({ srcMac: '00:1b:54:00:00:01', dstMac: 'ff:ff:ff:ff:ff:ff', srcIp: '0.0.0.0', dstIp: '255.255.255.255', srcPort: 68, dstPort: 67, payload: Buffer.alloc(100) });
    expect(describeDhcpFrame(3, frame)).toEqual({ frame: 3, protocol: 'dhcp', error: expect.stringMatching(/too short/) });
    const badIp = Buffer.from(frame);
    badIp[24] ^= 1;
    expect(describeDhcpFrame(4, badIp)).toEqual({ frame: 4, protocol: 'dhcp', error: 'IPv4 header checksum is wrong' });
  });
});
