// The JSON `outpost decode FILE.pcap --json` prints for CDP and LLDP frames: the facts an
// engineer looks for when a phone will not boot (voice VLAN, power, who is on the port),
// plus the TLV layout so odd frames can be compared with Wireshark.

import { decodeEthernet } from './ethernet.js';
import { CDP_SNAP_OUI, CDP_SNAP_PID, cdpSummary, decodeCdpFrame } from './cdp/index.js';
import { LLDP_ETHERTYPE, decodeLldpFrame, lldpSummary } from './lldp/index.js';

/** Returns undefined when the frame is neither CDP nor LLDP; `{frame, error}` when it is but is malformed. */
export function describeLinkFrame(frameNumber: number, data: Buffer): object | undefined {
  const eth = decodeEthernet(data);
  if (!eth.ok) return undefined;
  const f = eth.value;
  if (f.kind === 'llc-snap' && f.oui === CDP_SNAP_OUI && f.pid === CDP_SNAP_PID) return describeCdp(frameNumber, data);
  if (f.kind === 'ethernet2' && f.etherType === LLDP_ETHERTYPE) return describeLldp(frameNumber, data);
  return undefined;
}

function describeCdp(frame: number, data: Buffer): object {
  const decoded = decodeCdpFrame(data);
  if (!decoded.ok) return { frame, error: decoded.error };
  const pdu = decoded.value.pdu;
  const s = cdpSummary(pdu);
  return compact({
    frame,
    protocol: 'cdp',
    deviceId: s.deviceId,
    portId: s.portId,
    platform: s.platform,
    softwareVersion: s.softwareVersion,
    nativeVlan: s.nativeVlan,
    voiceVlan: s.voiceVlan,
    powerRequested: s.powerRequested,
    powerAvailable: s.powerAvailable,
    powerConsumptionMw: s.powerConsumptionMw,
    checksumValid: pdu.checksumValid,
    tlvs: pdu.layout.map((t) => ({ type: t.type, length: t.length })),
  });
}

function describeLldp(frame: number, data: Buffer): object {
  const decoded = decodeLldpFrame(data);
  if (!decoded.ok) return { frame, error: decoded.error };
  const s = lldpSummary(decoded.value.pdu);
  let med: object | undefined;
  if (s.med) {
    const inventory = Object.keys(s.med.inventory).length > 0 ? s.med.inventory : undefined;
    med = compact({
      deviceClass: s.med.deviceClass,
      policies: s.med.policies.length > 0
        ? s.med.policies.map((p) => ({ application: p.application, vlanId: p.vlanId, tagged: p.tagged, priority: p.priority, dscp: p.dscp }))
        : undefined,
      power: s.med.power,
      inventory,
    });
  }
  return compact({
    frame,
    protocol: 'lldp',
    chassisId: s.chassisId,
    portId: s.portId,
    ttl: s.ttl,
    systemName: s.systemName,
    med,
    tlvs: decoded.value.pdu.layout.map((t) => ({ type: t.type, length: t.length })),
  });
}

/** Absent facts are left out of the JSON rather than printed as null. */
function compact(o: Record<string, unknown>): object {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
}
