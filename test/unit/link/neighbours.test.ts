// The neighbour table and the identity Outpost derives from it, fed with real CP-7912/CP-7970
// CDP frames and an LLDP-MED class 3 phone LLDPDU (with the same MAC as the CP-7970).
import { describe, expect, it } from 'vitest';
import { cdpSummary, decodeCdpFrame } from '../../../src/link/cdp/index.js';
import {
  ChassisIdSubtype, MedCapability, MedApplication, PortIdSubtype, decodeLldpFrame, encodeLldpFrame, lldpChassisId, lldpPortId, lldpSummary,
} from '../../../src/link/lldp/index.js';
import { NeighbourTable, cdpFacts, lldpFacts, type CdpFacts, type HeardResult, type LldpFacts } from '../../../src/link/neighbours.js';
import { linkJourneyDetail, neighbourIdentity, neighbourPowerRequest, neighbourView } from '../../../src/link/neighbour-view.js';
import { CDP_DIR, LLDP_DIR, frames } from './fixtures.js';

const PHONES = `${CDP_DIR}/cdp_phones_cp7912_cp7970_power_request.pcap`;
const CP7970_MAC = '0012DADBD34E';

function cdpFrom(file: string, index: number): CdpFacts {
  const d = decodeCdpFrame(frames(file)[index].data);
  if (!d.ok) throw new Error(d.error);
  return cdpFacts(cdpSummary(d.value.pdu));
}

function lldpFromFrame(data: Buffer): LldpFacts {
  const d = decodeLldpFrame(data);
  if (!d.ok) throw new Error(d.error);
  return lldpFacts(lldpSummary(d.value.pdu));
}

/** What lldpd -M 3 with a voice policy and a 15.4 W PD request sends (see the lab test). */
function medPhone(ttl = 120): LldpFacts {
  return lldpFromFrame(encodeLldpFrame({
    tlvs: [
      lldpChassisId(ChassisIdSubtype.macAddress, '00:12:da:db:d3:4e'),
      lldpPortId(PortIdSubtype.macAddress, '00:12:da:db:d3:4e'),
      { type: 'ttl', seconds: ttl },
      { type: 'systemName', value: 'SEP0012DADBD34E' },
      { type: 'systemCapabilities', capabilities: 0x0024, enabled: 0x0020 },
      { type: 'medCapabilities', capabilities: MedCapability.capabilities | MedCapability.networkPolicy | MedCapability.extendedPowerPd | MedCapability.inventory, deviceClass: 3 },
      { type: 'medNetworkPolicy', application: MedApplication.voice, unknown: false, tagged: true, vlanId: 100, priority: 5, dscp: 46 },
      { type: 'medPower', powerType: 1, source: 1, priority: 2, deciWatts: 154 },
      { type: 'medInventory', field: 'softwareRevision', value: 'sip8845.14-1-1' },
      { type: 'medInventory', field: 'model', value: 'CP-8845' },
      { type: 'end' },
    ],
  }, '00:12:da:db:d3:4e'));
}

const heard = (r: HeardResult | 'full' | undefined): HeardResult => {
  if (typeof r !== 'object') throw new Error(`expected a neighbour, got ${String(r)}`);
  return r;
};

describe('NeighbourTable', () => {
  it('records a CP-7970 from its CDP: SEP name, model, firmware, capabilities, power request', () => {
    const t = new NeighbourTable(10);
    const r = heard(t.heardCdp(CP7970_MAC, cdpFrom(PHONES, 1), 0));
    expect(r).toMatchObject({ isNew: true, changed: true, left: false });
    expect(neighbourIdentity(r.neighbour)).toEqual({
      deviceName: 'SEP0012DADBD34E', isPhone: true, model: 'Cisco IP Phone 7970', firmware: 'SIP70.8-5-3S',
      capabilities: ['host', 'phone', 'twoPortMacRelay'],
    });
    expect(neighbourPowerRequest(r.neighbour)).toEqual({ source: 'cdp', levelsMw: [10250, 6300], requestId: 54094, managementId: 0 });
    expect(linkJourneyDetail('cdp', r.neighbour)).toBe(
      'CDPv2 from SEP0012DADBD34E; requests 10250/6300 mW (request id 54094); model Cisco IP Phone 7970; firmware SIP70.8-5-3S; capabilities host, phone, twoPortMacRelay');
  });

  it('a repeated identical frame is neither new nor changed; a firmware change is', () => {
    const t = new NeighbourTable(10);
    const facts = cdpFrom(PHONES, 1);
    t.heardCdp(CP7970_MAC, facts, 0);
    expect(heard(t.heardCdp(CP7970_MAC, facts, 60_000))).toMatchObject({ isNew: false, changed: false });
    expect(heard(t.heardCdp(CP7970_MAC, { ...facts, softwareVersion: 'SIP70.9-4-2' }, 120_000))).toMatchObject({ isNew: false, changed: true });
  });

  it('merges CDP and LLDP from one MAC into one entry; CDP power request wins', () => {
    const t = new NeighbourTable(10);
    t.heardCdp(CP7970_MAC, cdpFrom(PHONES, 1), 0);
    const r = heard(t.heardLldp(CP7970_MAC, medPhone(), 0));
    expect(r.isNew).toBe(true);
    expect(t.size).toBe(1);
    const v = neighbourView(r.neighbour, 'lan0', undefined, 30_000);
    expect(v.protocols).toEqual(['cdp', 'lldp']);
    expect(v.cdp?.holdRemainingSeconds).toBe(150);
    expect(v.lldp?.ttlRemainingSeconds).toBe(90);
    expect(v.lldp?.med).toMatchObject({ deviceClass: 3, capabilities: ['capabilities', 'networkPolicy', 'extendedPowerPd', 'inventory'] });
    expect(v.capabilities).toEqual(['host', 'phone', 'twoPortMacRelay', 'bridge', 'telephone']);
    expect(neighbourPowerRequest(r.neighbour)?.source).toBe('cdp');
  });

  it('an LLDP-MED class 3 phone alone: identity from inventory, PD power request in mW', () => {
    const t = new NeighbourTable(10);
    const n = heard(t.heardLldp(CP7970_MAC, medPhone(), 0)).neighbour;
    expect(neighbourIdentity(n)).toMatchObject({ deviceName: 'SEP0012DADBD34E', isPhone: true, model: 'CP-8845', firmware: 'sip8845.14-1-1' });
    expect(neighbourPowerRequest(n)).toEqual({ source: 'lldp', levelsMw: [15400] });
  });

  it('a switch is a neighbour but not a phone, and a PSE advertisement is not a request', () => {
    const t = new NeighbourTable(10);
    const procurve = lldpFromFrame(frames(`${LLDP_DIR}/lldpmed_hp_procurve2600_pwr_network_policy_voice_vlan50_civic.pcap`)[0].data);
    const n = heard(t.heardLldp('00132157CA7F', procurve, 0)).neighbour;
    expect(neighbourIdentity(n)).toMatchObject({ isPhone: false, deviceName: undefined });
    expect(neighbourPowerRequest(n)).toBeUndefined();
  });

  it('forgets each protocol when its hold time runs out, and the neighbour when both have', () => {
    const t = new NeighbourTable(10);
    t.heardCdp(CP7970_MAC, cdpFrom(PHONES, 1), 0); // hold time 180 s
    t.heardLldp(CP7970_MAC, medPhone(120), 0);
    expect(t.expire(119_999)).toEqual([]);
    expect(t.expire(120_000).map((e) => [e.protocol, e.gone])).toEqual([['lldp', false]]);
    const [last] = t.expire(180_000);
    expect([last.protocol, last.gone]).toEqual(['cdp', true]);
    // Who it was survives its expiry, so the journey can still name it.
    expect(neighbourIdentity(last.before)).toMatchObject({ deviceName: 'SEP0012DADBD34E', isPhone: true });
    expect(t.size).toBe(0);
  });

  it('TTL 0 removes that protocol at once; TTL 0 from a stranger is ignored', () => {
    const t = new NeighbourTable(10);
    t.heardLldp(CP7970_MAC, medPhone(), 0);
    const left = heard(t.heardLldp(CP7970_MAC, medPhone(0), 1000));
    expect(left).toMatchObject({ left: true, changed: true });
    expect(neighbourIdentity(left.before!).model).toBe('CP-8845');
    expect(t.size).toBe(0);
    expect(t.heardLldp('020000000001', medPhone(0), 0)).toBeUndefined();
  });

  it('when full, frames from new neighbours are refused while known ones are still heard', () => {
    const t = new NeighbourTable(1);
    t.heardCdp(CP7970_MAC, cdpFrom(PHONES, 1), 0);
    expect(t.heardCdp('001B53489EE0', cdpFrom(PHONES, 0), 0)).toBe('full');
    expect(heard(t.heardCdp(CP7970_MAC, cdpFrom(PHONES, 1), 1))).toMatchObject({ isNew: false });
  });
});
