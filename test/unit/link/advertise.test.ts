// Outpost's own advertisements, checked by tshark: what a phone will see from Outpost.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CdpCapability, cdpSummary, decodeCdpFrame, encodeCdp, encodeCdpFrame, type CdpPdu } from '../../../src/link/cdp/index.js';
import {
  ChassisIdSubtype, MedApplication, MedCapability, PortIdSubtype, decodeLldpFrame, encodeLldpFrame, lldpChassisId, lldpPortId, lldpSummary, type LldpPdu,
} from '../../../src/link/lldp/index.js';
import { writePcap } from '../../../src/util/pcap-writer.js';
import { CDP_DIR, frames, nums, tsharkFields } from './fixtures.js';

const OUTPOST_MAC = '02:00:5e:10:00:01';
const dir = mkdtempSync(join(tmpdir(), 'outpost-link-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function phoneRequestId(): number {
  const phone = decodeCdpFrame(frames(`${CDP_DIR}/cdp_phones_cp7912_cp7970_power_request.pcap`)[1].data);
  if (!phone.ok) throw new Error(phone.error);
  const requested = cdpSummary(phone.value.pdu).powerRequested;
  if (!requested) throw new Error('CP-7970 fixture lost its Power Requested TLV');
  return requested.requestId;
}

describe('Outpost CDPv2 advertisement', () => {
  const requestId = phoneRequestId();
  const pdu: CdpPdu = {
    version: 2, ttl: 180, checksum: 0,
    tlvs: [
      { type: 'deviceId', value: 'outpost-branch1' },
      { type: 'portId', value: 'eth0' },
      { type: 'capabilities', bits: CdpCapability.switch | CdpCapability.igmp },
      { type: 'softwareVersion', value: 'Outpost 0.1.0' },
      { type: 'platform', value: 'Outpost' },
      { type: 'nativeVlan', vlanId: 1 },
      { type: 'voipVlanReply', data: 1, vlanId: 100 },
      { type: 'trustBitmap', value: 0 },
      { type: 'untrustedCos', value: 0 },
      { type: 'powerAvailable', requestId, managementId: 1, levelsMw: [15400] },
    ],
  };

  it('is read by tshark with the values Outpost meant and a good checksum', () => {
    expect(requestId).toBe(54094);
    const frame = encodeCdpFrame(pdu, OUTPOST_MAC);
    const file = join(dir, 'cdp.pcap');
    writeFileSync(file, writePcap([frame]));
    const t = tsharkFields(file, 'cdp', ['cdp.deviceid', 'cdp.portid', 'cdp.voice_vlan', 'cdp.power_available', 'cdp.request_id', 'cdp.checksum.status', 'cdp.native_vlan', 'cdp.capabilities', 'cdp.platform', 'cdp.version']).get(1);
    expect(t).toEqual({
      'cdp.deviceid': 'outpost-branch1', 'cdp.portid': 'eth0', 'cdp.voice_vlan': '100', 'cdp.power_available': '15400',
      'cdp.request_id': '54094', 'cdp.checksum.status': '1', 'cdp.native_vlan': '1', 'cdp.capabilities': '0x00000028',
      'cdp.platform': 'Outpost', 'cdp.version': '2',
    });
    const back = decodeCdpFrame(frame);
    expect(back.ok && back.value.pdu.checksumValid).toBe(true);
  });

  it('stays valid for odd-length PDUs whose last byte has the high bit set', () => {
    const odd: CdpPdu = { ...pdu, tlvs: [...pdu.tlvs, { type: 'unknown', code: 0x99, data: Buffer.from([0xee]) }] };
    expect(encodeCdp(odd).length % 2).toBe(1);
    expect(encodeCdp(odd).at(-1)).toBe(0xee);
    const file = join(dir, 'cdp-odd.pcap');
    writeFileSync(file, writePcap([encodeCdpFrame(odd, OUTPOST_MAC)]));
    expect(tsharkFields(file, 'cdp', ['cdp.checksum.status']).get(1)?.['cdp.checksum.status']).toBe('1');
  });

  it('pads a short frame to 60 bytes without counting the padding in the 802.3 length', () => {
    const frame = encodeCdpFrame({ version: 2, ttl: 180, checksum: 0, tlvs: [{ type: 'deviceId', value: 'x' }] }, OUTPOST_MAC);
    expect(frame.length).toBe(60);
    expect(frame.readUInt16BE(12)).toBe(8 + 4 + 5);
  });
});

describe('Outpost LLDP-MED advertisement', () => {
  const pdu: LldpPdu = {
    tlvs: [
      lldpChassisId(ChassisIdSubtype.macAddress, OUTPOST_MAC),
      lldpPortId(PortIdSubtype.interfaceName, 'eth0'),
      { type: 'ttl', seconds: 120 },
      { type: 'systemName', value: 'outpost-branch1' },
      { type: 'systemCapabilities', capabilities: 0x0004, enabled: 0x0004 },
      { type: 'medCapabilities', capabilities: MedCapability.capabilities | MedCapability.networkPolicy | MedCapability.extendedPowerPse, deviceClass: 4 },
      { type: 'medNetworkPolicy', application: MedApplication.voice, unknown: false, tagged: true, vlanId: 100, priority: 5, dscp: 46 },
      { type: 'medNetworkPolicy', application: MedApplication.voiceSignaling, unknown: false, tagged: true, vlanId: 100, priority: 3, dscp: 24 },
      { type: 'medPower', powerType: 0, source: 1, priority: 2, deciWatts: 154 },
      { type: 'end' },
    ],
  };

  it('is read by tshark with the values Outpost meant', () => {
    const frame = encodeLldpFrame(pdu, OUTPOST_MAC);
    const file = join(dir, 'lldp.pcap');
    writeFileSync(file, writePcap([frame]));
    const t = tsharkFields(file, 'lldp', ['lldp.chassis.id.mac', 'lldp.port.id', 'lldp.time_to_live', 'lldp.media.subtype.class', 'lldp.media.app_type',
      'lldp.media.vlan_id', 'lldp.media.tag_flag', 'lldp.media.l2_prio', 'lldp.media.dscp', 'lldp.media.power.type', 'lldp.media.power.value', '_ws.malformed']).get(1)!;
    expect(t['lldp.chassis.id.mac']).toBe(OUTPOST_MAC);
    expect(t['lldp.port.id']).toBe('eth0');
    expect(t['lldp.time_to_live']).toBe('120');
    expect(t['lldp.media.subtype.class']).toBe('4');
    expect(nums(t['lldp.media.app_type'])).toEqual([1, 2]);
    expect(nums(t['lldp.media.vlan_id'])).toEqual([100, 100]);
    expect(nums(t['lldp.media.tag_flag'])).toEqual([1, 1]);
    expect(nums(t['lldp.media.l2_prio'])).toEqual([5, 3]);
    expect(nums(t['lldp.media.dscp'])).toEqual([46, 24]);
    expect(t['lldp.media.power.type']).toBe('0');
    expect(t['lldp.media.power.value']).toBe('154');
    expect(t['_ws.malformed']).toBe('');
    const back = decodeLldpFrame(frame);
    if (!back.ok) throw new Error(back.error);
    expect(lldpSummary(back.value.pdu).med).toMatchObject({
      deviceClass: 4,
      policies: [{ application: 'voice', vlanId: 100, tagged: true, priority: 5, dscp: 46 }, { application: 'voiceSignaling' }],
      power: { type: 'pse', source: 'primary', priority: 'high', milliwatts: 15400 },
    });
  });
});
