// Outpost's builders from configuration, read back by tshark: trust settings, the Power
// Available echo of a phone's own ids, the voice-signaling policy and the goodbye frames.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildCdp, buildCdpShutdown, buildLldp, buildLldpShutdown, type AdvertisementInput } from '../../../src/link/advertisement.js';
import { encodeCdpFrame } from '../../../src/link/cdp/index.js';
import { encodeLldpFrame } from '../../../src/link/lldp/index.js';
import { writePcap } from '../../../src/util/pcap-writer.js';
import { nums, tsharkFields } from './fixtures.js';

const dir = mkdtempSync(join(tmpdir(), 'outpost-adv-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const INPUT: AdvertisementInput = {
  systemName: 'outpost-branch1', interfaceName: 'lan0', mac: '02:00:5e:10:00:01', address: '10.20.0.1',
  voice: { vlan: 100, cos: 5, dscp: 46 }, signaling: { cos: 3, dscp: 26 }, trustBitmap: 1, untrustedCos: 2, portLimitMw: 15400,
};

function tshark(name: string, frame: Buffer, filter: string, fields: string[]): Record<string, string> {
  const file = join(dir, `${name}.pcap`);
  writeFileSync(file, writePcap([frame]));
  const row = tsharkFields(file, filter, fields).get(1);
  if (!row) throw new Error(`tshark found no ${filter} in ${name}`);
  return row;
}

describe('Outpost advertisements from configuration', () => {
  it('CDP: VoIP VLAN, trust bitmap and untrusted CoS from config; periodic Power Available offers the port limit', () => {
    const t = tshark('cdp', encodeCdpFrame(buildCdp(INPUT, 180), INPUT.mac), 'cdp',
      ['cdp.ttl', 'cdp.voice_vlan', 'cdp.trust_bitmap', 'cdp.untrusted_port_cos', 'cdp.power_available', 'cdp.request_id', 'cdp.management_id', 'cdp.checksum.status']);
    expect(t).toEqual({
      'cdp.ttl': '180', 'cdp.voice_vlan': '100', 'cdp.trust_bitmap': '0x01', 'cdp.untrusted_port_cos': '0x02',
      'cdp.power_available': '15400,4294967295', 'cdp.request_id': '0', 'cdp.management_id': '1', 'cdp.checksum.status': '1',
    });
  });

  it('CDP reply to a CP-7970: its request and management ids echoed with the granted level', () => {
    const reply = buildCdp(INPUT, 180, { requestId: 54094, managementId: 0, availableMw: 10250 });
    const t = tshark('reply', encodeCdpFrame(reply, INPUT.mac), 'cdp', ['cdp.request_id', 'cdp.management_id', 'cdp.power_available', 'cdp.checksum.status']);
    expect(t).toEqual({ 'cdp.request_id': '54094', 'cdp.management_id': '0', 'cdp.power_available': '10250,4294967295', 'cdp.checksum.status': '1' });
  });

  it('LLDP-MED: voice and voice-signaling policies, PSE power at the port limit', () => {
    const t = tshark('lldp', encodeLldpFrame(buildLldp(INPUT, 120), INPUT.mac), 'lldp',
      ['lldp.media.app_type', 'lldp.media.vlan_id', 'lldp.media.l2_prio', 'lldp.media.dscp', 'lldp.media.power.type', 'lldp.media.power.value', '_ws.malformed']);
    expect(nums(t['lldp.media.app_type'])).toEqual([1, 2]);
    expect(nums(t['lldp.media.vlan_id'])).toEqual([100, 100]);
    expect(nums(t['lldp.media.l2_prio'])).toEqual([5, 3]);
    expect(nums(t['lldp.media.dscp'])).toEqual([46, 26]);
    expect(t['lldp.media.power.type']).toBe('0');
    expect(t['lldp.media.power.value']).toBe('154');
    expect(t['_ws.malformed']).toBe('');
  });

  it('goodbye frames carry TTL 0 and stay valid', () => {
    expect(tshark('cdp-bye', encodeCdpFrame(buildCdpShutdown(INPUT), INPUT.mac), 'cdp', ['cdp.ttl', 'cdp.checksum.status', 'cdp.deviceid']))
      .toEqual({ 'cdp.ttl': '0', 'cdp.checksum.status': '1', 'cdp.deviceid': 'outpost-branch1' });
    expect(tshark('lldp-bye', encodeLldpFrame(buildLldpShutdown(INPUT), INPUT.mac), 'lldp', ['lldp.time_to_live', '_ws.malformed']))
      .toEqual({ 'lldp.time_to_live': '0', '_ws.malformed': '' });
  });
});
