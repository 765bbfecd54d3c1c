// Flattens an LLDPDU into the named facts Outpost's neighbour table and `outpost decode` use.

import {
  type LldpCapabilityName, LldpCapability, type LldpPdu, MedApplication, type MedApplicationName,
  type MedInventoryField, type MedLocation,
} from './types.js';

export interface MedPolicySummary {
  application: MedApplicationName | `app-${number}`;
  vlanId: number;
  tagged: boolean;
  priority: number;
  dscp: number;
  unknown: boolean;
}

export interface MedPowerSummary {
  type: 'pse' | 'pd' | `reserved-${number}`;
  source: string;
  priority: 'unknown' | 'critical' | 'high' | 'low' | `reserved-${number}`;
  milliwatts: number;
}

export interface Dot3PowerSummary {
  mdiSupport: number;
  psePair: number;
  powerClass: number;
  powerType?: number;
  powerSource?: number;
  priority?: number;
  pdRequestedMw?: number;
  pseAllocatedMw?: number;
}

export interface LldpSummary {
  chassisId?: string;
  chassisIdSubtype?: number;
  portId?: string;
  portIdSubtype?: number;
  ttl?: number;
  portDescription?: string;
  systemName?: string;
  systemDescription?: string;
  capabilities?: LldpCapabilityName[];
  enabledCapabilities?: LldpCapabilityName[];
  managementAddresses: string[];
  portVlanId?: number;
  vlanNames: { vlanId: number; name: string }[];
  maxFrameSize?: number;
  dot3Power?: Dot3PowerSummary;
  med?: {
    capabilities?: number;
    deviceClass?: number;
    policies: MedPolicySummary[];
    power?: MedPowerSummary;
    location?: MedLocation;
    inventory: Partial<Record<MedInventoryField, string>>;
  };
}

const applicationName = new Map<number, MedApplicationName>(
  (Object.entries(MedApplication) as [MedApplicationName, number][]).map(([name, code]) => [code, name]),
);

export function lldpCapabilityNames(bits: number): LldpCapabilityName[] {
  return (Object.keys(LldpCapability) as LldpCapabilityName[]).filter((name) => (bits & LldpCapability[name]) !== 0);
}

/** TIA-1057 power source: meaning depends on whether the sender is a PSE or a PD. */
function powerSource(powerType: number, source: number): string {
  if (powerType === 0) return ['unknown', 'primary', 'backup', 'reserved'][source];
  if (powerType === 1) return ['unknown', 'pse', 'local', 'pse-and-local'][source];
  return `reserved-${source}`;
}

function powerPriority(priority: number): MedPowerSummary['priority'] {
  return (['unknown', 'critical', 'high', 'low'] as const)[priority] ?? `reserved-${priority}`;
}

/** Some switches end strings with a NUL; people never want to see it. */
const clean = (s: string): string => s.replace(/\0+$/, '');

export function lldpSummary(pdu: LldpPdu): LldpSummary {
  const s: LldpSummary = { managementAddresses: [], vlanNames: [] };
  const med = (): NonNullable<LldpSummary['med']> => (s.med ??= { policies: [], inventory: {} });
  for (const t of pdu.tlvs) {
    switch (t.type) {
      case 'chassisId': s.chassisId = t.text; s.chassisIdSubtype = t.subtype; break;
      case 'portId': s.portId = t.text; s.portIdSubtype = t.subtype; break;
      case 'ttl': s.ttl = t.seconds; break;
      case 'portDescription': s.portDescription = clean(t.value); break;
      case 'systemName': s.systemName = clean(t.value); break;
      case 'systemDescription': s.systemDescription = clean(t.value); break;
      case 'systemCapabilities':
        s.capabilities = lldpCapabilityNames(t.capabilities);
        s.enabledCapabilities = lldpCapabilityNames(t.enabled);
        break;
      case 'managementAddress': s.managementAddresses.push(t.ip ?? t.address.toString('hex')); break;
      case 'dot1PortVlan': s.portVlanId = t.vlanId; break;
      case 'dot1VlanName': s.vlanNames.push({ vlanId: t.vlanId, name: t.name }); break;
      case 'dot3MaxFrameSize': s.maxFrameSize = t.bytes; break;
      case 'dot3Power': {
        const p: Dot3PowerSummary = { mdiSupport: t.mdiSupport, psePair: t.psePair, powerClass: t.powerClass };
        if (t.at) {
          p.powerType = t.at.typeSourcePriority >> 6;
          p.powerSource = (t.at.typeSourcePriority >> 4) & 0x03;
          p.priority = t.at.typeSourcePriority & 0x03;
          p.pdRequestedMw = t.at.pdRequested * 100;
          p.pseAllocatedMw = t.at.pseAllocated * 100;
        }
        s.dot3Power = p;
        break;
      }
      case 'medCapabilities': med().capabilities = t.capabilities; med().deviceClass = t.deviceClass; break;
      case 'medNetworkPolicy':
        med().policies.push({
          application: applicationName.get(t.application) ?? `app-${t.application}`,
          vlanId: t.vlanId, tagged: t.tagged, priority: t.priority, dscp: t.dscp, unknown: t.unknown,
        });
        break;
      case 'medPower':
        med().power = {
          type: t.powerType === 0 ? 'pse' : t.powerType === 1 ? 'pd' : `reserved-${t.powerType}`,
          source: powerSource(t.powerType, t.source), priority: powerPriority(t.priority), milliwatts: t.deciWatts * 100,
        };
        break;
      case 'medLocation': med().location = t.location; break;
      // Inventory strings are often NUL-padded to a fixed size: the text ends at the first NUL.
      case 'medInventory': med().inventory[t.field] = t.value.split('\0')[0]; break;
      default: break;
    }
  }
  return s;
}
