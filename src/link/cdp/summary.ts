// Flattens a CDP PDU into the named facts Outpost's neighbour table and `outpost decode` use.

import { type CdpCapabilityName, CdpCapability, type CdpPdu } from './types.js';

export interface CdpPower {
  requestId: number;
  managementId: number;
  levelsMw: number[];
}

export interface CdpSummary {
  version: number;
  ttl: number;
  deviceId?: string;
  portId?: string;
  platform?: string;
  softwareVersion?: string;
  addresses: string[];
  managementAddresses: string[];
  capabilities?: CdpCapabilityName[];
  capabilityBits?: number;
  vtpDomain?: string;
  nativeVlan?: number;
  duplex?: 'half' | 'full';
  voiceVlan?: number;
  voiceVlanQuery?: number;
  powerConsumptionMw?: number;
  powerRequested?: CdpPower;
  powerAvailable?: CdpPower;
  trustBitmap?: number;
  untrustedCos?: number;
  systemName?: string;
  location?: string;
  mtu?: number;
}

/** Names of the capability bits that are set. */
export function cdpCapabilityNames(bits: number): CdpCapabilityName[] {
  return (Object.keys(CdpCapability) as CdpCapabilityName[]).filter((name) => (bits & CdpCapability[name]) !== 0);
}

/** Some IOS releases end strings with a NUL; people never want to see it. */
const clean = (s: string): string => s.replace(/\0+$/, '');

export function cdpSummary(pdu: CdpPdu): CdpSummary {
  const s: CdpSummary = { version: pdu.version, ttl: pdu.ttl, addresses: [], managementAddresses: [] };
  for (const t of pdu.tlvs) {
    switch (t.type) {
      case 'deviceId': s.deviceId = clean(t.value); break;
      case 'portId': s.portId = clean(t.value); break;
      case 'platform': s.platform = clean(t.value); break;
      case 'softwareVersion': s.softwareVersion = clean(t.value); break;
      case 'addresses': s.addresses.push(...t.addresses.flatMap((a) => (a.ip ? [a.ip] : []))); break;
      case 'managementAddresses': s.managementAddresses.push(...t.addresses.flatMap((a) => (a.ip ? [a.ip] : []))); break;
      case 'capabilities': s.capabilityBits = t.bits; s.capabilities = cdpCapabilityNames(t.bits); break;
      case 'vtpDomain': s.vtpDomain = clean(t.value); break;
      case 'nativeVlan': s.nativeVlan = t.vlanId; break;
      case 'duplex': s.duplex = t.value === 1 ? 'full' : 'half'; break;
      case 'voipVlanReply': if (t.vlanId !== undefined) s.voiceVlan = t.vlanId; break;
      case 'voipVlanQuery': if (t.vlanId !== undefined) s.voiceVlanQuery = t.vlanId; break;
      case 'powerConsumption': s.powerConsumptionMw = t.milliwatts; break;
      case 'powerRequested': s.powerRequested = { requestId: t.requestId, managementId: t.managementId, levelsMw: [...t.levelsMw] }; break;
      case 'powerAvailable': s.powerAvailable = { requestId: t.requestId, managementId: t.managementId, levelsMw: [...t.levelsMw] }; break;
      case 'trustBitmap': s.trustBitmap = t.value; break;
      case 'untrustedCos': s.untrustedCos = t.value; break;
      case 'systemName': s.systemName = clean(t.value); break;
      case 'location': s.location = clean(t.value); break;
      case 'mtu': s.mtu = t.bytes; break;
      default: break;
    }
  }
  return s;
}
