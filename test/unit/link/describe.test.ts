import { describe, expect, it } from 'vitest';
import { describeLinkFrame } from '../../../src/link/describe.js';
import { CDP_DIR, LLDP_DIR, frames } from './fixtures.js';

describe('describeLinkFrame (outpost decode --json)', () => {
  it('describes the CP-7970 Power Requested frame', () => {
    const out = describeLinkFrame(2, frames(`${CDP_DIR}/cdp_phones_cp7912_cp7970_power_request.pcap`)[1].data);
    expect(out).toEqual({
      frame: 2, protocol: 'cdp', deviceId: 'SEP0012DADBD34E', portId: 'Port 1', platform: 'Cisco IP Phone 7970',
      softwareVersion: 'SIP70.8-5-3S', powerRequested: { requestId: 54094, managementId: 0, levelsMw: [10250, 6300] },
      powerConsumptionMw: 6300, checksumValid: true,
      tlvs: [1, 2, 3, 4, 5, 6, 0x1c, 0x19, 0x0b, 0x10].map((type, i) => ({ type, length: [19, 17, 10, 8, 16, 23, 7, 16, 5, 6][i] })),
    });
    expect(JSON.stringify(out)).not.toContain('null');
  });

  it('describes the VoIP VLAN Reply', () => {
    expect(describeLinkFrame(1, frames(`${CDP_DIR}/cdp_nec_bcm1100_voipvlan_reply_4095.pcap`)[0].data)).toMatchObject({ protocol: 'cdp', voiceVlan: 4095 });
  });

  it('describes LLDP-MED policy and power', () => {
    const out = describeLinkFrame(1, frames(`${LLDP_DIR}/lldpmed_hp_procurve2600_pwr_network_policy_voice_vlan50_civic.pcap`)[0].data);
    expect(out).toMatchObject({
      frame: 1, protocol: 'lldp', chassisId: '00:13:21:57:ca:40', portId: '1', ttl: 120, systemName: 'ProCurve Switch 2600-8-PWR',
      med: { deviceClass: 4, policies: [{ application: 'voice', vlanId: 50, tagged: true, priority: 6, dscp: 46 }], power: { type: 'pse', priority: 'low', milliwatts: 6500 } },
    });
    expect(Object.keys(out!)).toEqual(['frame', 'protocol', 'chassisId', 'portId', 'ttl', 'systemName', 'med', 'tlvs']);
  });

  it('describes LLDP-MED inventory', () => {
    const out = describeLinkFrame(1, frames(`${LLDP_DIR}/lldpmed_cisco_sg200-08p_inventory_location.pcap`)[0].data) as { med: { inventory: object } };
    expect(out.med.inventory).toMatchObject({ hardwareRevision: 'V02', firmwareRevision: '1.0.8.3', serialNumber: 'XXX11111ZZZ', model: 'SG 200-08P' });
  });

  it('returns undefined for frames that are neither CDP nor LLDP', () => {
    const ipv4 = Buffer.alloc(60);
    ipv4.writeUInt16BE(0x0800, 12);
    expect(describeLinkFrame(1, ipv4)).toBeUndefined();
    expect(describeLinkFrame(1, Buffer.alloc(5))).toBeUndefined();
  });

  it('gives {frame, error} for a truncated CDP frame', () => {
    const data = frames(`${CDP_DIR}/cdp_phones_cp7912_cp7970_power_request.pcap`)[1].data;
    const cut = Buffer.from(data.subarray(0, 40));
    expect(describeLinkFrame(7, cut)).toEqual({ frame: 7, error: expect.any(String) });
  });
});
