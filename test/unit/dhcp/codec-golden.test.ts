// The real DORA exchange decodes to what tshark reads in it.

import { describe, expect, it } from 'vitest';
import { decodeDhcp, type DhcpMessage } from '../../../src/dhcp/codec.js';
import { parseDhcpFrame } from '../../../src/dhcp/frame.js';
import { OPTION_FIELDS } from '../../../src/dhcp/options.js';
import { DORA_PCAP, doraFrames, tsharkFields } from './helpers.js';

const TYPE_NAMES: Record<string, string> = { '1': 'DISCOVER', '2': 'OFFER', '3': 'REQUEST', '5': 'ACK' };

function decodedFrames(): DhcpMessage[] {
  return doraFrames().map((f) => {
    const udp = parseDhcpFrame(f.data, { verifyUdpChecksum: true });
    if (!udp.ok) throw new Error(udp.error);
    const msg = decodeDhcp(udp.value.payload);
    if (!msg.ok) throw new Error(msg.error);
    return msg.value;
  });
}

describe('DHCP codec against the real DORA capture', () => {
  const fields = ['dhcp.option.dhcp', 'dhcp.id', 'dhcp.ip.client', 'dhcp.ip.your', 'dhcp.ip.server', 'dhcp.ip.relay',
    'dhcp.hw.mac_addr', 'dhcp.option.type', 'dhcp.option.request_list_item', 'dhcp.option.tftp_server_address',
    'dhcp.option.dhcp_server_id', 'dhcp.option.requested_ip_address', 'dhcp.option.ip_address_lease_time',
    'dhcp.option.subnet_mask', 'dhcp.option.router', 'dhcp.flags.bc'];

  it('agrees with tshark on every header field and option of all four messages', () => {
    const rows = tsharkFields(DORA_PCAP, fields);
    const messages = decodedFrames();
    expect(messages).toHaveLength(4);
    expect(rows).toHaveLength(4);
    messages.forEach((m, i) => {
      const [type, xid, ciaddr, yiaddr, siaddr, giaddr, mac, optionTypes, prl, tftp, serverId, requested, lease, mask, router, bc] = rows[i];
      expect(m.options.messageType).toBe(TYPE_NAMES[type]);
      expect(`0x${m.xid.toString(16).padStart(8, '0')}`).toBe(xid);
      expect([m.ciaddr, m.yiaddr, m.siaddr, m.giaddr]).toEqual([ciaddr, yiaddr, siaddr, giaddr]);
      expect(m.chaddr).toBe(mac);
      expect(m.broadcast).toBe(bc === '1');
      // tshark lists End and the trailing padding as option types too.
      const presentCodes = optionTypes.split(',').map(Number).filter((c) => c !== 0 && c !== 255);
      expect(presentOptionCodes(m).sort((a, b) => a - b)).toEqual([...presentCodes].sort((a, b) => a - b));
      expect(m.options.parameterRequestList?.join(',') ?? '').toBe(prl);
      expect(m.options.tftpServers?.join(',') ?? '').toBe(tftp);
      expect(m.options.serverId ?? '').toBe(serverId);
      expect(m.options.requestedIp ?? '').toBe(requested);
      expect(m.options.leaseTime?.toString() ?? '').toBe(lease);
      expect(m.options.subnetMask ?? '').toBe(mask);
      expect(m.options.routers?.join(',') ?? '').toBe(router);
    });
  });

  it('reads the values the capture is known for', () => {
    const [discover, offer, request, ack] = decodedFrames();
    expect(discover.options.parameterRequestList).toContain(150);
    expect(request.options.parameterRequestList).toContain(150);
    expect(offer.options.tftpServers).toEqual(['192.168.1.10', '192.168.1.11']);
    expect(ack.options.tftpServers).toEqual(['192.168.1.10', '192.168.1.11']);
    expect(offer.options.raw.size).toBe(0);
    expect(ack.yiaddr).toBe('192.168.1.4');
    expect(request.options.requestedIp).toBe('192.168.1.4');
  });
});

function presentOptionCodes(m: DhcpMessage): number[] {
  const codes = Object.keys(m.options).filter((k) => k !== 'raw').map((k) => OPTION_FIELDS.find((f) => f.key === k)?.code ?? -1);
  return [...codes, ...m.options.raw.keys()];
}
