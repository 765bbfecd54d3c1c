// What Outpost tells phones on its port, as a Cisco access switch would: the voice VLAN and
// the power it grants. Pure builders from configuration and what the phone asked for.
import { CdpCapability, cdpAddress, type CdpPdu } from './cdp/index.js';
import { ChassisIdSubtype, MedApplication, MedCapability, PortIdSubtype, lldpChassisId, lldpManagementAddress, lldpPortId, type LldpPdu } from './lldp/index.js';

export const SOFTWARE_VERSION = 'Outpost 0.1.0';

export interface AdvertisementInput {
  systemName: string;
  interfaceName: string;
  mac: string;
  address: string;
  voice: { vlan: number; cos: number; dscp: number };
  /** Power Outpost grants a phone, in mW (the per-port budget). */
  grantMw: number;
}

/** The power request being answered: the phone's own ids are echoed back (what the phone checks). */
export interface PowerReply {
  requestId: number;
  managementId: number;
  grantMw: number;
}

export function buildCdp(input: AdvertisementInput, holdtime: number, power?: PowerReply): CdpPdu {
  return {
    version: 2, ttl: holdtime, checksum: 0,
    tlvs: [
      { type: 'deviceId', value: input.systemName },
      { type: 'addresses', addresses: [cdpAddress(input.address)] },
      { type: 'portId', value: input.interfaceName },
      { type: 'capabilities', bits: CdpCapability.switch | CdpCapability.igmp },
      { type: 'softwareVersion', value: SOFTWARE_VERSION },
      { type: 'platform', value: 'Outpost' },
      { type: 'duplex', value: 1 },
      { type: 'voipVlanReply', data: 1, vlanId: input.voice.vlan },
      // Trust nothing the phone's PC port marks; the phone itself marks voice.
      { type: 'trustBitmap', value: 0 },
      { type: 'untrustedCos', value: 0 },
      { type: 'powerAvailable', requestId: power?.requestId ?? 0, managementId: power?.managementId ?? 1,
        levelsMw: [power?.grantMw ?? input.grantMw, 0xffffffff] },
      { type: 'managementAddresses', addresses: [cdpAddress(input.address)] },
    ],
  };
}

export function buildLldp(input: AdvertisementInput, ttl: number): LldpPdu {
  // Voice signalling (SIP/SCCP) is marked CS3 (DSCP 24, CoS 3) as Cisco's QoS baseline does.
  const policy = (application: number, priority: number, dscp: number) => ({
    type: 'medNetworkPolicy' as const, application, unknown: false, tagged: true, vlanId: input.voice.vlan, priority, dscp,
  });
  return {
    tlvs: [
      lldpChassisId(ChassisIdSubtype.macAddress, input.mac),
      lldpPortId(PortIdSubtype.interfaceName, input.interfaceName),
      { type: 'ttl', seconds: ttl },
      { type: 'portDescription', value: `Outpost voice port ${input.interfaceName}` },
      { type: 'systemName', value: input.systemName },
      { type: 'systemDescription', value: SOFTWARE_VERSION },
      { type: 'systemCapabilities', capabilities: 0x0004, enabled: 0x0004 },
      lldpManagementAddress(input.address),
      { type: 'medCapabilities', capabilities: MedCapability.capabilities | MedCapability.networkPolicy | MedCapability.extendedPowerPse, deviceClass: 4 },
      policy(MedApplication.voice, input.voice.cos, input.voice.dscp),
      policy(MedApplication.voiceSignaling, 3, 24),
      { type: 'medPower', powerType: 0, source: 1, priority: 2, deciWatts: Math.round(input.grantMw / 100) },
      { type: 'end' },
    ],
  };
}

/** TTL 0 tells neighbours to forget Outpost at once (sent on shutdown). */
export function buildLldpShutdown(input: AdvertisementInput): LldpPdu {
  return {
    tlvs: [
      lldpChassisId(ChassisIdSubtype.macAddress, input.mac),
      lldpPortId(PortIdSubtype.interfaceName, input.interfaceName),
      { type: 'ttl', seconds: 0 },
      { type: 'end' },
    ],
  };
}
