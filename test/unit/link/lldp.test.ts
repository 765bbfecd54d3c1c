import { describe, expect, it } from 'vitest';
import { decodeLldp, decodeLldpFrame, encodeLldp, encodeLldpFrame, lldpSummary } from '../../../src/link/lldp/index.js';
import { describeLinkFrame } from '../../../src/link/describe.js';
import { decodeEthernet } from '../../../src/link/ethernet.js';
import { CDP_DIR, LLDP_DIR, MALFORMED_LLDP, captureFiles, frames, num, nums, tsharkFields } from './fixtures.js';

const FIELDS = [
  'lldp.chassis.subtype', 'lldp.chassis.id.mac', 'lldp.port.subtype', 'lldp.port.id', 'lldp.time_to_live', 'lldp.tlv.system.name',
  'lldp.tlv.system_cap', 'lldp.tlv.enable_system_cap', 'lldp.media.subtype.class', 'lldp.media.app_type', 'lldp.media.vlan_id',
  'lldp.media.tag_flag', 'lldp.media.l2_prio', 'lldp.media.dscp', 'lldp.media.power.type', 'lldp.media.power.source',
  'lldp.media.power.prio', 'lldp.media.power.value', 'lldp.media.hardware', 'lldp.media.firmware', 'lldp.media.software',
  'lldp.media.sn', 'lldp.media.manufacturer', 'lldp.media.model', 'lldp.ieee.802_3.mdi_pde_requested',
  'lldp.ieee.802_3.mdi_pse_allocated', 'lldp.ieee.802_1.port_vlan.id', 'lldp.tlv.type',
];
const INVENTORY = [
  ['hardwareRevision', 'lldp.media.hardware'], ['firmwareRevision', 'lldp.media.firmware'], ['softwareRevision', 'lldp.media.software'],
  ['serialNumber', 'lldp.media.sn'], ['manufacturer', 'lldp.media.manufacturer'], ['model', 'lldp.media.model'],
] as const;
const PRIORITY = { unknown: 0, critical: 1, high: 2, low: 3 } as Record<string, number>;
const wellFormed = [...captureFiles(LLDP_DIR).filter((f) => f !== MALFORMED_LLDP), `${CDP_DIR}/cdp_and_lldp_two_c3560_switches.pcap`];

describe('LLDP golden: every fixture frame decodes as tshark decodes it', () => {
  for (const file of wellFormed) {
    it(file, () => {
      const expected = tsharkFields(file, 'lldp', FIELDS);
      expect(expected.size).toBeGreaterThan(0);
      for (const [number, t] of expected) {
        const decoded = decodeLldpFrame(frames(file)[number - 1].data);
        if (!decoded.ok) throw new Error(`frame ${number}: ${decoded.error}`);
        const s = lldpSummary(decoded.value.pdu);
        expect(s.chassisIdSubtype).toBe(num(t['lldp.chassis.subtype']));
        if (t['lldp.chassis.id.mac']) expect(s.chassisId).toBe(t['lldp.chassis.id.mac']);
        expect(s.portIdSubtype).toBe(num(t['lldp.port.subtype']));
        expect(s.portId).toBe(t['lldp.port.id']);
        expect(s.ttl).toBe(num(t['lldp.time_to_live']));
        expect(s.systemName).toBe(t['lldp.tlv.system.name'] || undefined);
        const caps = decoded.value.pdu.tlvs.find((x) => x.type === 'systemCapabilities');
        expect(caps?.type === 'systemCapabilities' ? caps.capabilities : undefined).toBe(num(t['lldp.tlv.system_cap']));
        expect(caps?.type === 'systemCapabilities' ? caps.enabled : undefined).toBe(num(t['lldp.tlv.enable_system_cap']));
        expect(s.portVlanId).toBe(num(t['lldp.ieee.802_1.port_vlan.id']));
        expect(s.med?.deviceClass).toBe(num(t['lldp.media.subtype.class']));
        const policies = s.med?.policies ?? [];
        expect(policies.map((p) => p.vlanId)).toEqual(nums(t['lldp.media.vlan_id']));
        expect(policies.map((p) => p.priority)).toEqual(nums(t['lldp.media.l2_prio']));
        expect(policies.map((p) => p.dscp)).toEqual(nums(t['lldp.media.dscp']));
        expect(policies.map((p) => (p.tagged ? 1 : 0))).toEqual(nums(t['lldp.media.tag_flag']));
        const appTypes = decoded.value.pdu.tlvs.flatMap((x) => (x.type === 'medNetworkPolicy' ? [x.application] : []));
        expect(appTypes).toEqual(nums(t['lldp.media.app_type']));
        const power = s.med?.power;
        expect(power ? (power.type === 'pse' ? 0 : 1) : undefined).toBe(num(t['lldp.media.power.type']));
        expect(power ? power.milliwatts / 100 : undefined).toBe(num(t['lldp.media.power.value']));
        expect(power ? PRIORITY[power.priority] : undefined).toBe(num(t['lldp.media.power.prio']));
        for (const [field, tsharkField] of INVENTORY) expect(s.med?.inventory[field]).toBe(t[tsharkField] || undefined);
        expect(s.dot3Power?.pdRequestedMw).toBe(t['lldp.ieee.802_3.mdi_pde_requested'] ? num(t['lldp.ieee.802_3.mdi_pde_requested'])! * 100 : undefined);
        expect(s.dot3Power?.pseAllocatedMw).toBe(t['lldp.ieee.802_3.mdi_pse_allocated'] ? num(t['lldp.ieee.802_3.mdi_pse_allocated'])! * 100 : undefined);
        expect(decoded.value.pdu.layout.map((l) => l.type)).toEqual(nums(t['lldp.tlv.type']));
      }
    });
  }

  it('reads the 802.3bt extension of the Catalyst 9K power TLV', () => {
    const d = decodeLldpFrame(frames(`${LLDP_DIR}/lldp_cisco_catalyst_8023bt_poe_power.pcap`)[0].data);
    if (!d.ok) throw new Error(d.error);
    const power = d.value.pdu.tlvs.find((t) => t.type === 'dot3Power');
    expect(power?.type === 'dot3Power' && power.bt).toBeTruthy();
    expect(lldpSummary(d.value.pdu).dot3Power).toMatchObject({ pdRequestedMw: 71000, pseAllocatedMw: 51000 });
  });

  it('reads the ProCurve civic location', () => {
    const d = decodeLldpFrame(frames(`${LLDP_DIR}/lldpmed_hp_procurve2600_pwr_network_policy_voice_vlan50_civic.pcap`)[0].data);
    if (!d.ok) throw new Error(d.error);
    const loc = lldpSummary(d.value.pdu).med?.location;
    expect(loc?.format).toBe('civic');
    const civicRows = tsharkFields(`${LLDP_DIR}/lldpmed_hp_procurve2600_pwr_network_policy_voice_vlan50_civic.pcap`, 'lldp', ['lldp.media.civic.country', 'lldp.media.civic.type']);
    const row = civicRows.get(1)!;
    if (loc?.format !== 'civic') throw new Error('not civic');
    expect(loc.country).toBe(row['lldp.media.civic.country']);
    expect(loc.elements.map((e) => e.caType)).toEqual(nums(row['lldp.media.civic.type']));
  });
});

describe('LLDP round trip', () => {
  for (const file of wellFormed) {
    it(`re-encodes ${file} byte for byte`, () => {
      for (const frame of frames(file)) {
        const decoded = decodeLldpFrame(frame.data);
        const eth = decodeEthernet(frame.data);
        if (!decoded.ok || !eth.ok) continue;
        const pdu = eth.value.payload.subarray(0, decoded.value.pdu.length);
        expect(encodeLldp(decoded.value.pdu).equals(pdu)).toBe(true);
        if (!decoded.value.vlanTag && eth.value.payload.length === pdu.length && decoded.value.dst === '01:80:c2:00:00:0e') {
          expect(encodeLldpFrame(decoded.value.pdu, decoded.value.src).equals(frame.data)).toBe(true);
        }
      }
    });
  }
});

describe('malformed LLDP-MED location', () => {
  it('is an error Result, not an exception', () => {
    const [frame] = frames(MALFORMED_LLDP);
    const decoded = decodeLldpFrame(frame.data);
    expect(decoded.ok).toBe(false);
    if (!decoded.ok) expect(decoded.error).toMatch(/civic location/);
    expect(describeLinkFrame(1, frame.data)).toEqual({ frame: 1, error: expect.stringMatching(/civic location/) });
  });

  it('rejects LLDPDUs that do not start with chassis ID, port ID, TTL', () => {
    expect(decodeLldp(Buffer.from([0x06, 0x02, 0x00, 0x78, 0x00, 0x00])).ok).toBe(false);
    expect(decodeLldp(Buffer.alloc(0)).ok).toBe(false);
    expect(decodeLldp(Buffer.from([0x02, 0x09, 0x04])).ok).toBe(false);
  });
});
